"""Writing outputs safely: check the folder and every file's place before anything is written, never leave half a
file, and honour the user's umask."""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterable
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


def check_targets(paths: Iterable[Path], force: bool = False) -> None:
    """Before any work: every file's name fits its file system, no folder stands where a file goes, and without force
    no earlier file would be overwritten. ValueError names the first problem. One pass, one stat or two a file, so
    that the 300 003 files of 100 000 epochs' diagrams are checked in a second, and held nowhere."""
    folders = {}  # each file's folder → the nearest part of it that exists, looked up once
    existing, count = None, 0
    for path in paths:
        if path.parent not in folders:
            folders[path.parent] = next(p for p in path.parents if os.path.exists(p))
        _check_name_length(path.name, folders[path.parent], "an output file's")
        if path.is_dir():
            raise ValueError(f"{path} is a directory, where this command writes a file; move it away or choose another --out")
        if not force and os.path.lexists(path):
            existing, count = existing or path, count + 1
    if existing:
        more = f" (and {count - 1} more of this command's files)" if count > 1 else ""
        raise ValueError(f"{existing} already exists{more}; pass --force to overwrite")


def _check_name_length(name: str, folder: Path, what: str) -> None:
    """A name longer than the file system takes (255 bytes on most) fails only when written: say so before."""
    limit = os.pathconf(folder, "PC_NAME_MAX")
    if len(os.fsencode(name)) > limit:
        size = len(os.fsencode(name))
        raise ValueError(f"{what} name is {size} bytes, more than the {limit} that {folder} takes: {name[:40]}…")


def create(path: Path, option: str = "--out") -> list[Path]:
    """Make the folder checked by directory(); a place that refuses, such as /proc, is told in one line. The folders
    that were made, deepest first: what to remove again if the work fails."""
    made = [p for p in (path, *path.parents) if not os.path.lexists(p)]
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ValueError(f"{option} {path} cannot be created: {error.strerror}") from None
    return made


@contextlib.contextmanager
def staged(out: Path, option: str = "--out"):
    """A set of files, however many, written into out whole or not at all, with one file in memory at a time.

    Yields put(name, data), which writes the file into a hidden folder inside out: the same file system, so that a
    rename moves it. Once the block is done, every file is renamed into out, over any older file of its name. If
    anything fails before (a full disk, a renderer's error, Ctrl-C), the hidden folder goes, and so does any folder
    this made, so that out holds what it held, with the same times; the older files were never touched. Renaming
    writes no data, so only a fault of the directory itself can stop it: then the files that were new are removed.
    """
    before = out.stat() if out.is_dir() else None
    made = create(out, option)
    stage = Path(tempfile.mkdtemp(dir=out, prefix=".hnn-"))
    new = []

    def put(name: str, data: bytes) -> None:  # may be called in a forked child: it keeps no record of its own
        try:
            with open(os.open(stage / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE), "wb") as file:
                file.write(data)
        except OSError as error:  # named as the file it would have become: the hidden one is about to go
            raise OSError(error.errno, error.strerror, str(out / name)) from None

    try:
        yield put
        for name in os.listdir(stage):
            if not os.path.lexists(out / name):
                new.append(name)
            os.replace(stage / name, out / name)
        stage.rmdir()
    except BaseException:
        for name in new:
            with contextlib.suppress(FileNotFoundError):
                (out / name).unlink()
        shutil.rmtree(stage, ignore_errors=True)
        for folder in made:
            with contextlib.suppress(OSError):
                folder.rmdir()
        if before:  # the folder was there: its entries are as they were, and so is its time
            with contextlib.suppress(OSError):
                os.utime(out, ns=(before.st_atime_ns, before.st_mtime_ns))
        raise


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
