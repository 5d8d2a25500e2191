"""Writing outputs safely: check the folder and every file's place before anything is written, never leave half a
file, and honour the user's umask."""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path


def _umask() -> int:
    """The process's umask, read once at import: os.umask can only be read by setting it, which would race a thread."""
    try:
        with open("/proc/self/status") as status:  # Linux ≥ 4.7 shows it without changing it
            return int(re.search(r"^Umask:\s*([0-7]+)", status.read(), re.MULTILINE).group(1), 8)
    except (OSError, AttributeError):
        umask = os.umask(0o022)  # elsewhere: set, then restore at once, before any thread of hnn's exists
        os.umask(umask)
        return umask


UMASK = _umask()
FILE_MODE = 0o666 & ~UMASK  # what open() would give a new file: 0644 under the usual umask 022, 0600 under 077


def directory(out_dir, option: str = "--out") -> Path:
    """out_dir as a Path, once its nearest existing part is a writable directory; ValueError naming option otherwise."""
    if str(out_dir) == "":
        raise ValueError(f"{option} must name a directory, got ''")
    path = Path(out_dir)
    existing = next(p for p in (path, *path.parents) if os.path.exists(p))  # False, not an error, for a too-long name
    if not existing.is_dir():
        raise ValueError(f"{option} must be a directory (it is created if missing), but {existing} is a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ValueError(f"{option} must be a directory you can write to, but {existing} is not writable")
    for part in path.relative_to(existing).parts:  # the folders still to be made
        _check_name_length(part, existing, option)
    return path


def check_targets(paths: list[Path], force: bool = False) -> None:
    """Before any work: every file's name fits its file system, no folder stands where a file goes, and without force
    no earlier file would be overwritten. ValueError names the first problem."""
    for path in paths:
        existing = next(p for p in path.parents if os.path.exists(p))
        _check_name_length(path.name, existing, "an output file's")
        if path.is_dir():
            raise ValueError(f"{path} is a directory, where this command writes a file; move it away or choose another --out")
    existing = [path for path in paths if os.path.lexists(path)]
    if existing and not force:
        more = f" (and {len(existing) - 1} more of this command's files)" if len(existing) > 1 else ""
        raise ValueError(f"{existing[0]} already exists{more}; pass --force to overwrite")


def _check_name_length(name: str, folder: Path, what: str) -> None:
    """A name longer than the file system takes (255 bytes on most) fails only when written: say so before."""
    limit = os.pathconf(folder, "PC_NAME_MAX")
    if len(os.fsencode(name)) > limit:
        size = len(os.fsencode(name))
        raise ValueError(f"{what} name is {size} bytes, more than the {limit} that {folder} takes: {name[:40]}…")


def create(path: Path, option: str = "--out") -> None:
    """Make the folder checked by directory(); a place that refuses, such as /proc, is told in one line."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ValueError(f"{option} {path} cannot be created: {error.strerror}") from None


def write_atomically(path: Path, data: bytes) -> Path:
    """Write a temporary file beside path, then rename it over path: no reader ever sees half a file."""
    return write_all({path: data})[0]


def write_all(files: dict[Path, bytes]) -> list[Path]:
    """Write every file, or none: each goes to a temporary file beside it first, and only once all of them are
    written (a full disk or an I/O error shows there) are they renamed into place."""
    temporaries = []
    try:
        for path, data in files.items():
            # A short fixed-length temporary name: one built from path's name could pass the length check, then fail.
            fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".hnn-", suffix=".tmp")
            temporaries.append(temporary)
            with os.fdopen(fd, "wb") as file:
                os.fchmod(file.fileno(), FILE_MODE)  # mkstemp's 0600 would ignore the umask
                file.write(data)
        for temporary, path in zip(temporaries, files):
            os.replace(temporary, path)
    except BaseException:
        for temporary in temporaries:
            if os.path.lexists(temporary):
                os.unlink(temporary)
        raise
    return list(files)
