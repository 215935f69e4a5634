"""Reading a corpus of documents: .txt, .jsonl (.gz) and .tsv/.csv files."""

import codecs
import csv
import gzip
import io
import json
import os
import zlib

__all__ = ["read_corpus"]


def _lines(path, encoding):
    """Decoded lines of a file, one at a time, with a line number in decoding errors
    and in a damaged or truncated .gz."""
    opener = gzip.open if path.endswith(".gz") else open
    n = 0
    try:
        with opener(path, "rb") as f:
            for n, raw in enumerate(f, 1):
                try:
                    yield n, raw.decode(encoding)
                except UnicodeDecodeError as exc:
                    raise ValueError(
                        f"{path}:{n}: not valid {encoding} ({exc.reason} at byte "
                        f"{exc.start}); pass the file's encoding, for example --encoding "
                        "latin-1."
                    ) from None
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise ValueError(
            f"{path}: the compressed file is damaged or truncated after line {n} ({exc})."
        ) from None


# The largest CSV field (one document) read: far above the csv module's 128 KiB default
_FIELD_LIMIT = 2**30


# the fields or columns taken as document titles by title_field="auto", in this order
TITLE_FIELDS = ("title", "name", "subject")


def read_corpus(path, text_field="text", encoding="utf-8", title_field=None):
    """Read documents from a file.

    Parameters
    ----------
    path : str or os.PathLike
        ``.txt``: one document per line. ``.jsonl`` (or ``.jsonl.gz``): one JSON object
        per line, its text in ``text_field``. ``.tsv`` / ``.csv``: a header row and the
        text in the column named ``text_field``.
    text_field : str, default='text'
    encoding : str, default='utf-8'
    title_field : str, 'auto' or None, default=None
        Also read a title for each document from this JSON field or CSV/TSV column
        (``'auto'``: the first of ``title``, ``name`` and ``subject`` that the file's first
        record or header has; a record without it gets the title "").

    Returns
    -------
    docs : list of str
    titles : list of str or None
        Only with ``title_field``: the titles, or None when ``title_field='auto'`` found
        no title field (and always for ``.txt``).
    """
    docs, titles = _read(os.fspath(path), text_field, encoding, title_field)
    return docs if title_field is None else (docs, titles)


def _title_field(title_field, fields):
    """The title field to read from a file whose fields are ``fields`` (None: none)."""
    if title_field == "auto":
        return next((f for f in TITLE_FIELDS if f in fields), None)
    return title_field


def _read(path, text_field, encoding, title_field):
    """(docs, titles or None) of a corpus file."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"corpus file not found: {path}")
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ValueError(
            f"unknown encoding {encoding!r}; use a Python codec name such as utf-8 or latin-1."
        ) from None
    name = path[:-3] if path.endswith(".gz") else path
    ext = os.path.splitext(name)[1].lower()
    if ext == ".txt":
        if title_field not in (None, "auto"):
            raise ValueError(
                f"{path}: a .txt corpus has no fields, so no {title_field!r} titles; use a "
                ".jsonl or .csv/.tsv file with a title field, or leave --title-field out."
            )
        return [line.rstrip("\r\n") for _, line in _lines(path, encoding)], None
    if ext == ".jsonl":
        docs, titles = [], []
        for n, line in _lines(path, encoding):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{n}: not JSON ({exc.msg}).") from None
            except RecursionError:
                raise ValueError(f"{path}:{n}: JSON nested too deeply to read.") from None
            if not isinstance(record, dict) or text_field not in record:
                raise ValueError(
                    f"{path}:{n}: no {text_field!r} field; name the text field with --text-field."
                )
            docs.append(str(record[text_field]))
            if len(docs) == 1:
                auto, title_field = title_field == "auto", _title_field(title_field, record)
            if title_field is not None:
                if title_field not in record and not auto:
                    raise ValueError(
                        f"{path}:{n}: no {title_field!r} field; name the title field with "
                        "--title-field, or pass --title-field none."
                    )
                titles.append(str(record.get(title_field, "")))  # auto: a missing one is ""
        return docs, (titles if title_field is not None else None)
    if ext in (".tsv", ".csv"):
        text = "".join(line for _, line in _lines(path, encoding))
        if text.startswith("\ufeff"):  # a byte order mark
            text = text[1:]
        limit = csv.field_size_limit(_FIELD_LIMIT)
        try:
            reader = csv.reader(io.StringIO(text), delimiter="\t" if ext == ".tsv" else ",")
            rows = list(reader)
        except csv.Error as exc:
            raise ValueError(f"{path}:{reader.line_num}: {exc}") from None
        finally:
            csv.field_size_limit(limit)
        header, reader = (rows[0], rows[1:]) if rows else (None, [])
        if header is None:
            return [], None
        if text_field not in header:
            raise ValueError(
                f"{path}: no column named {text_field!r} (columns: {', '.join(header)}); name "
                "the text column with --text-field."
            )
        col = header.index(text_field)
        docs = [row[col] if col < len(row) else "" for row in reader]
        title_field = _title_field(title_field, header)
        if title_field is None:
            return docs, None
        if title_field not in header:
            raise ValueError(
                f"{path}: no column named {title_field!r} (columns: {', '.join(header)}); "
                "name the title column with --title-field, or pass --title-field none."
            )
        col = header.index(title_field)
        return docs, [row[col] if col < len(row) else "" for row in reader]
    raise ValueError(
        f"unsupported corpus format {ext!r} for {path}; use .txt, .jsonl, .jsonl.gz, .tsv or .csv"
    )
