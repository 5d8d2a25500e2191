"""hnn for a class: the exercises and their grading, variants of the walkthrough (sweeps), and the notebooks and links
handed to students."""
import contextlib
import os
from pathlib import Path

from hnn.files import create, write_all


def jobs_limit(jobs) -> int:
    """How many runs may execute at once: --jobs as a whole number of at least 1, or one per core when None."""
    if jobs is None:
        return os.cpu_count() or 1
    accepted = f"--jobs must be a whole number of at least 1, got {jobs!r}"
    try:
        number = int(jobs)
    except (TypeError, ValueError):
        raise ValueError(accepted) from None
    if isinstance(jobs, (bool, float)) or number < 1:
        raise ValueError(accepted)
    return number


def write_into(folders: dict[str, Path], files: dict[Path, bytes]) -> None:
    """Every file or none, into folders made if missing (each named by its option for an error); a folder made here
    goes again if the writing fails."""
    made = [folder for option, path in folders.items() for folder in create(path, option)]
    try:
        write_all(files)
    except BaseException:
        for folder in made:
            with contextlib.suppress(OSError):  # not empty: a file of someone else's arrived meanwhile
                folder.rmdir()
        raise
