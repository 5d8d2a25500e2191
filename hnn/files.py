"""Writing outputs safely: check the folder before anything is written, and never leave half a file."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


def directory(out_dir, option: str = "--out") -> Path:
    """out_dir as a Path, once its nearest existing part is a writable directory; ValueError naming option otherwise."""
    path = Path(out_dir)
    existing = next(p for p in (path, *path.parents) if p.exists())
    if not existing.is_dir():
        raise ValueError(f"{option} must be a directory (it is created if missing), but {existing} is a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ValueError(f"{option} must be a directory you can write to, but {existing} is not writable")
    return path


def create(path: Path, option: str = "--out") -> None:
    """Make the folder checked by directory(); a place that refuses, such as /proc, is told in one line."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ValueError(f"{option} {path} cannot be created: {error.strerror}") from None


def write_atomically(path: Path, data: bytes) -> Path:
    """Write a temporary file beside path, then rename it over path: no reader ever sees half a file."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o644)  # mkstemp's 0600 would make the diagrams private to their writer
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
    return path
