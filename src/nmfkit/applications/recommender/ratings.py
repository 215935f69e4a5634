"""Ratings as input: (user, item, rating) triples from files, DataFrames or arrays."""

import os

import numpy as np
import scipy.sparse as sp

__all__ = ["read_ratings", "ratings_arrays", "check_ratings"]


def _ids(values, what, caller):
    """Ids as a plain NumPy array (integers, floats or strings; never objects)."""
    a = np.asarray(values)
    if a.ndim != 1:
        raise ValueError(f"{caller}: {what} ids must be one-dimensional, got shape {a.shape}.")
    if a.dtype.kind in "iub":
        return a.astype(np.int64)
    if a.dtype.kind in "fUS":
        return a
    return a.astype(str)  # objects (mixed or pandas strings): compared as text


def ratings_arrays(ratings, caller):
    """(users, items, values) from a DataFrame, a tuple of arrays, an (n, >=3) array or
    a sparse users × items matrix; ids as integer, float or string arrays."""
    if sp.issparse(ratings):
        R = sp.coo_matrix(ratings)
        users, items, values = R.row.astype(np.int64), R.col.astype(np.int64), R.data
    elif hasattr(ratings, "columns") and hasattr(ratings, "iloc"):  # a pandas DataFrame
        names = ["user", "item", "rating"]
        cols = names if all(c in ratings.columns for c in names) else list(ratings.columns[:3])
        if len(cols) < 3:
            raise ValueError(
                f"{caller}: the ratings DataFrame has {len(cols)} columns; it needs user, item "
                "and rating columns (named so, or the first three)."
            )
        users, items, values = (ratings[c].to_numpy() for c in cols)
    elif isinstance(ratings, (tuple, list)) and len(ratings) == 3:
        users, items, values = (np.asarray(c) for c in ratings)
    else:
        a = np.asarray(ratings)
        if not (a.ndim == 2 and a.shape[1] >= 3):
            raise TypeError(
                f"{caller}: ratings must be a DataFrame (user, item, rating), a tuple (users, "
                "items, ratings), an (n, 3) array or a sparse users × items matrix; got "
                f"{type(ratings).__name__}."
            )
        users, items, values = a[:, 0], a[:, 1], a[:, 2]
    users, items = _ids(users, "user", caller), _ids(items, "item", caller)
    if not len(users) == len(items) == len(values):
        raise ValueError(
            f"{caller}: {len(users)} users, {len(items)} items and {len(values)} ratings; "
            "pass one user and one item per rating."
        )
    return users, items, values


def check_ratings(values, caller):
    """Ratings as float64, or a ValueError naming a non-numeric or non-finite one."""
    try:
        values = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        bad = next((v for v in np.asarray(values, dtype=object).ravel() if not _is_number(v)), None)
        raise ValueError(
            f"{caller}: ratings must be numbers; found {bad!r}. Clean or drop those rows."
        ) from None
    if not np.isfinite(values).all():
        raise ValueError(
            f"{caller}: {int((~np.isfinite(values)).sum())} ratings are NaN or inf; drop the "
            "rows without a rating (an unknown rating is simply not listed)."
        )
    return values


def _is_number(v):
    try:
        float(v)
        return True
    except (TypeError, ValueError):
        return False


def read_ratings(path, sep=None):
    """Read a ratings file: one ``user item rating [...]`` per line.

    Parameters
    ----------
    path : str or os.PathLike
        .tsv/.txt (tab or whitespace separated) or .csv. A first line whose rating
        field is not a number is taken as a header.
    sep : str, optional
        Field separator (default: ',' for .csv, whitespace otherwise).

    Returns
    -------
    users, items, ratings : ndarray
        Ids as integers when every id is one, else as strings.
    """
    path = os.fspath(path)
    if sep is None:
        sep = "," if path.lower().endswith(".csv") else None
    users, items, values = [], [], []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            parts = line.strip().split(sep)
            if not line.strip():
                continue
            if len(parts) < 3:
                raise ValueError(
                    f"{path}:{n}: expected 'user item rating' fields, got {line.strip()!r}."
                )
            if not _is_number(parts[2]):
                if n == 1:
                    continue  # a header
                raise ValueError(f"{path}:{n}: rating {parts[2]!r} is not a number.")
            users.append(parts[0].strip())
            items.append(parts[1].strip())
            values.append(float(parts[2]))
    if not values:
        raise ValueError(f"{path}: no ratings found.")

    def as_ids(a):
        a = np.array(a)
        try:
            return a.astype(np.int64)
        except ValueError:
            return a

    return as_ids(users), as_ids(items), np.array(values)
