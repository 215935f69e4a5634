"""Files, safely: writes that are never seen half-done, and sizes checked before reading.

Every file nmfkit writes (model files, checkpoints, ``--W``, ``transform -o``) goes
through ``write_atomic``. Every array file it reads has its declared sizes checked first
(``check_npy``, ``check_npz``): what a header or a zip directory declares must fit in the
file that holds it and in the memory available, so a damaged or hostile file is refused
with one line instead of exhausting memory (a 2 MB .npz that inflates to gigabytes, a
header declaring shape (3, 10**11)).
"""

import contextlib
import os
import stat
import tempfile
import zipfile

from numpy.lib import format as npy_format

__all__ = [
    "write_atomic",
    "available_memory",
    "check_memory",
    "check_npy",
    "check_npz",
    "describe_bytes",
    "remove_stale_temporaries",
]


def write_atomic(path, write):
    """Write a file through ``write(f)`` so that it is never seen half-written.

    ``write`` gets a binary file: a fresh temporary created exclusively in the target's
    folder (never a fixed name, which could be a planted symlink, and unique to this
    writer). It is flushed to disk, then renamed over ``path``, and the folder is
    synced; on any failure (a full disk, an exception in ``write``, Ctrl-C) the
    temporary is removed and ``path`` is left as it was. The file gets the permissions
    ``open`` would have given it (those of the file it replaces, else 0o666 less the
    umask).

    Parameters
    ----------
    path : str or os.PathLike
        The file to write; written exactly under this name (no suffix is added).
    write : callable
        ``write(f)`` writes the contents to the open binary file ``f``.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    with contextlib.suppress(FileNotFoundError):
        if not stat.S_ISREG(os.stat(path).st_mode):  # /dev/null, a folder, a FIFO
            raise ValueError(f"{path} is not a regular file; write to a file path instead")
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _file_mode(path))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    # make the rename itself durable (POSIX); the file is in place whatever happens here,
    # and some folders (write-only, network or FUSE mounts) refuse to be opened or synced
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def remove_stale_temporaries(path):
    """Remove the temporaries ``write_atomic(path, ...)`` leaves when a process is killed
    mid-write (their names are unique, so they would pile up). The caller must be the
    only writer of ``path`` (a checkpoint folder holds its lock)."""
    folder, name = os.path.split(os.path.abspath(path))
    for entry in os.listdir(folder):
        if entry.startswith(f".{name}.") and entry.endswith(".tmp"):
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(folder, entry))


def _file_mode(path):
    """The permission bits ``open(path, 'w')`` would give: kept when replacing a
    regular file, else 0o666 less the process's umask."""
    with contextlib.suppress(OSError):
        st = os.stat(path)
        if stat.S_ISREG(st.st_mode):
            return stat.S_IMODE(st.st_mode)
    umask = None
    with contextlib.suppress(OSError, ValueError):  # Linux: read it without changing it
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    umask = int(line.split()[1], 8)
    if umask is None:
        umask = os.umask(0o022)
        os.umask(umask)
    return 0o666 & ~umask


# -- sizes ---------------------------------------------------------------------------
def available_memory():
    """Bytes of memory available to a new allocation (Linux: MemAvailable), else the
    physical memory, else None when unknown."""
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    with contextlib.suppress(AttributeError, ValueError, OSError):
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return None


def describe_bytes(n):
    """'1.5 GiB' and the like."""
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024


def check_memory(nbytes, what):
    """Raise ValueError (before allocating) when ``nbytes`` exceed the available memory."""
    free = available_memory()
    if free is not None and nbytes > free:
        raise ValueError(
            f"{what} needs {describe_bytes(nbytes)} of memory and {describe_bytes(free)} is "
            "available; use a smaller file or a machine with more memory"
        )


def _header(f, label):
    """(shape, dtype, nbytes of the data) from the header of the .npy open at ``f``."""
    start = f.tell()
    if f.read(4) == b"PK\x03\x04":
        raise ValueError(f"{label} is a zip archive (an .npz), not one bare array, an .npy; "
                         "name it .npz")  # fmt: skip
    f.seek(start)
    try:
        version = npy_format.read_magic(f)
        read = npy_format.read_array_header_2_0 if version >= (2, 0) else (
            npy_format.read_array_header_1_0)  # fmt: skip
        shape, _, dtype = read(f)
    except (ValueError, OSError, EOFError, SyntaxError, TypeError) as exc:
        raise ValueError(f"{label} is not a readable .npy array ({exc})") from None
    if not all(isinstance(n, int) and n >= 0 for n in shape):
        raise ValueError(f"{label} declares an invalid shape {shape}")
    count = 1
    for n in shape:
        count *= n
    return shape, dtype, count * dtype.itemsize


def check_npy(path, in_memory=True):
    """Check an .npy file's header against its size and (``in_memory``: it is to be
    read whole rather than memory-mapped) against the memory before reading it.

    Returns
    -------
    shape, dtype
    """
    with open(path, "rb") as f:
        shape, dtype, nbytes = _header(f, path)
        held = os.fstat(f.fileno()).st_size - f.tell()
    if nbytes > held:
        raise ValueError(
            f"{path} declares shape {shape} of {dtype} ({describe_bytes(nbytes)}) but holds "
            f"{describe_bytes(held)}: the file is truncated or damaged"
        )
    if in_memory:
        check_memory(nbytes, f"reading {path}")
    return shape, dtype


def check_npz(path, stored_only=False):
    """Check an .npz's members before reading: each .npy header against the member's
    size, the members' total against the memory, and (``stored_only``, as for the
    files nmfkit writes) that nothing is compressed, so nothing can inflate.

    Returns
    -------
    members : dict
        Member name (without '.npy') to (shape, dtype).
    """
    members, total = {}, 0
    try:
        with zipfile.ZipFile(path) as z:
            for info in z.infolist():
                label = f"{path} (member {info.filename})"
                if stored_only and info.compress_type != zipfile.ZIP_STORED:
                    raise ValueError(
                        f"{label} is compressed; nmfkit writes its files uncompressed, so "
                        "this one was changed after it was written"
                    )
                total += info.file_size
                if not info.filename.endswith(".npy"):
                    continue
                with z.open(info) as f:
                    shape, dtype, nbytes = _header(f, label)
                    held = info.file_size - f.tell()
                if nbytes > held:
                    raise ValueError(
                        f"{label} declares shape {shape} of {dtype} ({describe_bytes(nbytes)}) "
                        f"but holds {describe_bytes(max(held, 0))}: damaged or not an .npz of "
                        "arrays"
                    )
                members[info.filename[:-4]] = (shape, dtype)
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        NotImplementedError,
        EOFError,
        RuntimeError,
    ) as exc:  # fmt: skip  (RuntimeError: an encrypted member)
        raise ValueError(f"{path} is not a readable .npz (zip) file ({exc})") from None
    check_memory(total, f"reading {path}")
    return members
