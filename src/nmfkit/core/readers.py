"""Data files in: a matrix from .npy, .npz, .mtx or delimited text, and the text reader
the applications share.

Every reader checks what a file declares before it allocates (``files.check_npy``,
``check_npz``, the Matrix Market header) and raises ValueError naming the file (and the
line, for text) for anything it cannot read exactly: nothing is skipped or guessed
silently.
"""

import csv
import os
import re

import numpy as np

from ..arrays.engines import check_sparse
from .files import check_memory, check_npy, check_npz

__all__ = ["read_matrix", "read_matrix_from", "text_rows", "as_ids"]


def read_matrix(path, key=None):
    """Read a data matrix from .npy, .npz, .mtx, .h5ad, .csv, .tsv or .txt.

    Parameters
    ----------
    path : str or os.PathLike
        .npz may hold a scipy.sparse matrix (``scipy.sparse.save_npz``) or arrays; the
        array ``key`` is taken, else one named ``X``, else the only array in the file.
        Delimited text (',' for .csv, a tab for .tsv and .txt; UTF-8, quotes allowed) is
        numbers, with an empty field or ``nan`` for an unknown entry (NaN, as the
        estimators take it), and an optional first row of column names.
    key : str, optional
        The array of an .npz to read, or the layer of an .h5ad (default: its X; needs
        ``anndata``).

    Returns
    -------
    X : ndarray or scipy.sparse matrix

    Raises
    ------
    FileNotFoundError, IsADirectoryError
        ``path`` is missing or a folder.
    ValueError
        The file cannot be read as a matrix, it declares more than the memory available,
        or its format is not one of the above ("unsupported format ...": for example a
        binary file under a text name).
    """
    return read_matrix_from(path, key)[0]


def read_matrix_from(path, key=None):
    """``read_matrix``, and where in the file the matrix came from.

    Returns
    -------
    X : ndarray or scipy.sparse matrix
    source : str
        The file, and of an .npz the array read (``data.npz[X]``) or ``(sparse)``, of an
        .h5ad the layer (``cells.h5ad[layer counts]``): what a command line reports.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"input file not found: {path}")
    if os.path.isdir(path):
        raise IsADirectoryError(f"input is a directory, not a file: {path}")
    ext = os.path.splitext(path)[1].lower()
    readers = {".npy": _read_npy, ".npz": _read_npz, ".mtx": _read_mtx, ".h5ad": _read_h5ad}
    for text in (".csv", ".tsv", ".txt"):
        readers[text] = _read_text
    if ext not in readers:
        raise ValueError(
            f"unsupported input format {ext!r} for {path}; use .npy, .npz, .mtx, .h5ad, .csv "
            "or .tsv"
        )
    if key is not None and ext not in (".npz", ".h5ad"):
        raise ValueError(
            f"{path} is a {ext} file, which holds one matrix; a key ({key!r}) names an array "
            "of an .npz or a layer of an .h5ad"
        )
    try:
        if ext in (".npz", ".h5ad"):
            return readers[ext](path, key)
        return readers[ext](path), path
    except (ValueError, OSError, EOFError, TypeError, OverflowError, csv.Error) as exc:
        message = str(exc)
        raise ValueError(message if path in message else f"could not read {path}: {exc}") from None


def _read_h5ad(path, layer=None):
    """X (or a layer) of an AnnData file, as stored (sparse stays sparse)."""
    from .anndata import from_anndata, read_h5ad

    try:
        adata = read_h5ad(path)
    except ImportError:
        raise ValueError(
            f"reading {path} needs anndata; install it with pip install 'nmfkit[anndata]'"
        ) from None
    where = f"{path}[layer {layer}]" if layer is not None else f"{path}[X]"
    return from_anndata(adata, layer, f"reading {path}"), where


def _read_npy(path):
    check_npy(path)
    return np.load(path, allow_pickle=False)


def _read_npz(path, key=None):
    """(matrix, source): a scipy.sparse matrix saved with save_npz, the array ``key``,
    the array 'X', or the only array."""
    members = check_npz(path)
    sparse_keys = (
        {"format", "data", "indices", "indptr", "shape"},
        {"format", "row", "col", "data", "shape"},
    )
    if key is None and any(keys <= set(members) for keys in sparse_keys):
        import scipy.sparse

        # the structure (indices in range, indptr non-decreasing) is checked where the
        # matrix enters a fit: nmfkit.arrays.engines check_sparse
        M = scipy.sparse.load_npz(path)
        check_sparse(M, "read_matrix", path)  # before anything converts it
        return M, f"{path} (sparse)"
    if key is not None and key not in members:
        raise ValueError(f"{path} has no array {key!r}; it holds {', '.join(sorted(members))}")
    name = key
    if name is None:
        name = "X" if "X" in members else (next(iter(members)) if len(members) == 1 else None)
    if name is None:
        raise ValueError(
            f"{path} holds {len(members)} arrays ({', '.join(sorted(members))}); choose one "
            "(the command line's --key NAME), or name the data matrix 'X'"
        )
    with np.load(path, allow_pickle=False) as f:
        return f[name], f"{path}[{name}]"


def _read_mtx(path):
    import scipy.io

    rows, cols, entries, layout, field, _ = scipy.io.mminfo(path)
    if field == "complex":
        raise ValueError(f"{path} holds complex values; NMF needs real numbers")
    # dense: one float per cell; coordinate: a value and two indices per entry
    check_memory(rows * cols * 8 if layout == "array" else entries * 24, f"reading {path}")
    X = scipy.io.mmread(path)
    return X.tocsr() if hasattr(X, "tocsr") else np.asarray(X)


# how the binary files most often renamed to .csv begin: what to tell their owner
_MAGIC = {
    b"PK\x03\x04": "a ZIP archive (an .xlsx, .docx or .ods file?)",
    b"\xd0\xcf\x11\xe0": "an OLE document (an .xls or .doc file?)",
    b"%PDF": "a PDF document",
    b"\x93NUMPY": "a NumPy .npy array",
    b"\x1f\x8b": "gzip-compressed",
    b"\x89HDF": "an HDF5 file (an .h5ad?)",
}


_HEAD = 1 << 16


def _check_text(path):
    """Raise ValueError "unsupported format ..." when ``path`` is not UTF-8 text: a
    spreadsheet, a document or random bytes under a .csv name."""
    with open(path, "rb") as f:
        head = f.read(_HEAD)
    what = next((what for magic, what in _MAGIC.items() if head.startswith(magic)), None)
    if what is None:
        if b"\x00" in head:
            what = "binary (it holds NUL bytes)"
        else:
            try:
                head.decode("utf-8")
            except UnicodeDecodeError as exc:
                # (not a character cut at the end of the block read)
                if len(head) < _HEAD or exc.start < len(head) - 3:
                    what = f"not UTF-8 text (byte {exc.start}: {head[exc.start]:#04x})"
    if what is not None:
        raise ValueError(
            f"unsupported format: {path} is {what}, not delimited text; save the matrix as "
            "UTF-8 .csv or .tsv, or as .npy, .npz or .mtx"
        )


def _read_text(path):
    """Numbers in delimited text: an optional header row, then rows of equal length;
    an empty field is an unknown entry (NaN)."""
    delimiter = "," if path.lower().endswith(".csv") else "\t"
    _check_text(path)
    check_memory(os.path.getsize(path) * 8, f"reading {path}")  # strings, lists, floats
    rows, lines, header = [], [], None
    for n, fields in text_rows(path, delimiter):
        if not rows and header is None and not all(map(_is_value, fields)):
            if any(f and _is_number(f) for f in fields):
                raise ValueError(f"{path}:{n}: {_not_a_number(_first_bad(fields))}")
            header = (n, fields)  # a first row of names only: column names
            continue
        if rows and len(fields) != len(rows[0]):
            first = rows[0]
            if len(first) == len(fields) + 1 and first[-1] == "":
                raise ValueError(
                    f"{path}:{lines[0]}: an empty field at the end of the line, where line "
                    f"{n} has {len(fields)} fields (a delimiter too many?)"
                )
            raise ValueError(
                f"{path}:{n}: {len(fields)} fields, where line {lines[0]} has {len(rows[0])}"
            )
        rows.append(fields)
        lines.append(n)
    if not rows:
        raise ValueError(f"{path}: no data rows")
    if header is not None and len(header[1]) != len(rows[0]):
        raise ValueError(
            f"{path}:{header[0]}: a header of {len(header[1])} names for rows of "
            f"{len(rows[0])} fields"
        )
    for j in range(len(rows[0])):
        if all(row[j] == "" for row in rows):
            raise ValueError(
                f"{path}: column {j + 1} is empty in every row (a delimiter too many at the "
                "ends of the lines?); remove it"
            )
    for row, n in zip(rows, lines):
        bad = _first_bad(row)
        if bad is not None:
            raise ValueError(f"{path}:{n}: {_not_a_number(bad)}")
    return np.array([[f or "nan" for f in row] for row in rows], dtype=np.float64)


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return "_" not in text  # float() reads '1_000'; a data file does not mean that


def _is_value(text):
    """A number, or an empty field (an unknown entry)."""
    return text == "" or _is_number(text)


def _not_a_number(field):
    return f"{field!r} is not a number (leave the field empty or write nan for an unknown entry)"


def _first_bad(fields):
    return next((f for f in fields if not _is_value(f)), None)


def text_rows(path, delimiter, encoding="utf-8", field_limit=None):
    """(line number, fields) for each non-blank record of a delimited text file.

    A real CSV reader (the ``csv`` module): quoted fields may hold the delimiter, quotes
    and newlines; a UTF-8 byte order mark is dropped; nothing is a comment. ``delimiter``
    None splits on runs of whitespace, a longer string (such as '::') splits on it
    exactly; neither has quoting.

    Parameters
    ----------
    path : str
    delimiter : str or None
    encoding : str, default='utf-8'
    field_limit : int, optional
        Largest field in characters (the csv module's default is 128 KiB).
    """
    if encoding.replace("-", "").lower() == "utf8":
        encoding = "utf-8-sig"
    with open(path, encoding=encoding, newline="") as f:
        if delimiter is not None and len(delimiter) == 1:
            previous = csv.field_size_limit(max(field_limit or 0, csv.field_size_limit()))
            try:
                reader = csv.reader(f, delimiter=delimiter, strict=True)
                for fields in reader:
                    if fields and any(s.strip() for s in fields):
                        yield reader.line_num, [s.strip() for s in fields]
            except csv.Error as exc:
                raise ValueError(f"{path}:{reader.line_num}: {exc}") from None
            finally:
                csv.field_size_limit(previous)
            return
        for n, line in enumerate(f, 1):
            fields = line.split(delimiter) if delimiter else line.split()
            if any(s.strip() for s in fields):
                yield n, [s.strip() for s in fields]


_INTEGER = re.compile(r"(0|-?[1-9][0-9]*)\Z")
_INT64 = np.iinfo(np.int64)


def as_ids(texts):
    """Ids read from text: integers when every one is an integer written plainly (no
    sign of its own but '-', no leading zeros, within int64), else the strings as
    written, so '007' and '7' stay two ids."""
    texts = list(texts)
    if texts and all(_INTEGER.match(t) for t in texts):
        values = [int(t) for t in texts]
        if _INT64.min <= min(values) and max(values) <= _INT64.max:
            return np.array(values, dtype=np.int64)
    return np.array(texts, dtype=str)
