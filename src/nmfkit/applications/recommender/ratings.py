"""Ratings as input: (user, item, rating) triples from files, DataFrames or arrays."""

import os
import re

import numpy as np
import scipy.sparse as sp

from ...arrays.engines import check_sparse
from ...core.readers import as_ids, text_rows

__all__ = ["read_ratings", "read_titles", "ratings_arrays", "check_ratings"]


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
        check_sparse(ratings, caller, "ratings")  # before scipy's conversion reads it
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
    """Read a ratings file: one ``user item rating [...]`` record per line.

    Parameters
    ----------
    path : str or os.PathLike
        Text in UTF-8 (a byte order mark is dropped). '.csv' is comma separated and
        '.tsv' tab separated, both read by a real CSV reader (quoted fields may hold the
        separator); other files (MovieLens' u.data, .txt) split on whitespace. The first
        line is a header when its rating field is a name (letters, digits, '_', '-'
        and spaces, not starting with a digit, such as 'rating') and neither its user
        nor its item field is a number; any other line whose rating is not a number is
        an error, never skipped.
    sep : str, optional
        Field separator (default: ',' for .csv, a tab for .tsv, else whitespace); one
        character is read as CSV, a longer one (such as '::') splits exactly.

    Returns
    -------
    users, items, ratings : ndarray
        Ids as int64 when every id is an integer written plainly (no leading zeros,
        within int64), else as the strings written: '007' and '7' are two users.
    """
    path = os.fspath(path)
    if sep is None:
        sep = {".csv": ",", ".tsv": "\t"}.get(os.path.splitext(path)[1].lower())
    users, items, values = [], [], []
    for n, fields in text_rows(path, sep):
        if len(fields) < 3:
            raise ValueError(f"{path}:{n}: expected 'user item rating' fields, got {fields}.")
        if not _is_number(fields[2]):
            names = not any(_is_number(f) for f in fields[:2])
            if not values and names and _HEADER.match(fields[2]):
                continue  # a header
            raise ValueError(f"{path}:{n}: rating {fields[2]!r} is not a number.")
        users.append(fields[0])
        items.append(fields[1])
        values.append(float(fields[2]))
    if not values:
        raise ValueError(f"{path}: no ratings found.")
    return as_ids(users), as_ids(items), np.array(values)


# a column name: letters first, then letters, digits, '_', '-' or spaces
_HEADER = re.compile(r"[^\W\d][\w\- ]*\Z")


def ratings_matrix(u, i, values, shape, duplicates, caller):
    """CSR users × items of the ratings, duplicate pairs resolved by the ``duplicates``
    policy ('mean', 'last' or 'raise'); ``u``, ``i`` integer positions."""
    key = u * shape[1] + i
    order = np.argsort(key, kind="stable")
    key, u, i, values = key[order], u[order], i[order], values[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    if not first.all():
        n_dup = int((~first).sum())
        if duplicates == "raise":
            raise ValueError(
                f"{caller}: {n_dup} (user, item) pairs are rated more than once; set "
                "duplicates='mean' or 'last', or remove them."
            )
        starts = np.flatnonzero(first)
        if duplicates == "mean":
            values = np.add.reduceat(values, starts) / np.diff(np.append(starts, len(key)))
        else:  # 'last' as listed: the stable sort keeps listing order within a pair
            values = values[np.append(starts[1:], len(key)) - 1]
        u, i = u[starts], i[starts]
    R = sp.csr_matrix((values, (u, i)), shape=shape)
    R.sort_indices()
    return R


def lookup_ids(ids, known, what, strict):
    """Positions of ``ids`` in the sorted ``known`` (-1 where unknown, or KeyError), and
    whether ``ids`` was a scalar."""
    ids = np.asarray(ids)
    scalar = ids.ndim == 0
    ids = np.atleast_1d(ids)
    if known.dtype.kind in "US" and ids.dtype.kind not in "US":
        ids = ids.astype(str)
    try:
        pos = np.searchsorted(known, ids)
        pos = np.clip(pos, 0, len(known) - 1)
        hit = known[pos] == ids
    except (TypeError, np.exceptions.DTypePromotionError):
        pos, hit = np.zeros(len(ids), dtype=np.int64), np.zeros(len(ids), dtype=bool)
    if strict and not hit.all():
        raise KeyError(f"{what} {ids[~hit][0].item()!r} was not in the ratings given to fit.")
    pos = np.where(hit, pos, -1)
    return (pos[0] if scalar else pos), scalar


def read_titles(path, sep=None):
    """Read item titles: an id and a title per line, as ``{id as text: title}``.

    Parameters
    ----------
    path : str or os.PathLike
        Delimited UTF-8 text: ',' for .csv, else a tab (MovieLens' items.tsv, movies.csv
        of ml-latest). When the first line has a column named 'title' (any case), it is
        a header and that column holds the titles; else the titles are the second column.
        The ids are the first column.
    sep : str, optional
        Field separator instead.

    Returns
    -------
    dict
        Title of each id, keyed by the id as written (compare with ``str(id)``).
    """
    path = os.fspath(path)
    if sep is None:
        sep = "," if os.path.splitext(path)[1].lower() == ".csv" else "\t"
    titles, column = {}, 1
    for n, fields in text_rows(path, sep):
        if not titles and n == 1 and "title" in (f.lower() for f in fields):
            column = [f.lower() for f in fields].index("title")
            continue
        if len(fields) <= column:
            raise ValueError(f"{path}:{n}: expected an id and a title, got {fields}.")
        titles[fields[0]] = fields[column]
    if not titles:
        raise ValueError(f"{path}: no titles found.")
    return titles
