"""hnn for a class: the exercises and their grading, variants of the walkthrough (sweeps), and the notebooks and links
handed to students."""
import os


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
