"""Grading a class: each submission runs in a kernel of its own under a time limit, and only the answers it leaves
behind come back, to be judged here by hnn.classroom.exercises, so that nothing a submission does can pass its own checks."""
from __future__ import annotations

import csv
import io
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbclient
import nbformat

from hnn.classroom import exercises
from hnn.files import write_atomically

HEADER = ("submission", "exercise", "status", "feedback")
ANSWERS = tuple(name for names in exercises.EXERCISES.values() for name in names)
MARK = "hnn-grade-answers "  # starts the line of JSON the appended cell prints
# Appended to every submission and run last, in the submission's kernel: every answer as JSON, or what stands in
# its place. Whatever the submission defined, this cell defines its helper afresh.
EXPORT = f"""\
def _hnn_grade_answers():
    import json
    answers = {{}}
    for name in {ANSWERS!r}:
        if name not in globals():
            answers[name] = {{"missing": True}}
        elif globals()[name] is ...:
            answers[name] = {{"placeholder": True}}
        elif isinstance(globals()[name], (bool, int, float, str)):
            answers[name] = {{"value": globals()[name]}}
        else:
            answers[name] = {{"repr": repr(globals()[name])[:200]}}
    print({MARK!r} + json.dumps(answers))
_hnn_grade_answers()
"""


class Shown:
    """An answer of a type JSON cannot carry (a tensor, a list), standing in for it by its repr."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


class Ungraded(Exception):
    """The submission could not be run to its end: its one line for stderr and every exercise's feedback."""


def timeout(value: str) -> float:
    """--timeout as seconds; ValueError naming what it accepts."""
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise ValueError(f"--timeout must be a number of seconds greater than 0, got {value!r}")
    return seconds


def submissions(paths: list[Path]) -> list[Path]:
    """The notebooks to grade: each path as given, or a folder's .ipynb files in name order."""
    found = []
    for path in paths:
        found.extend(sorted(path.glob("*.ipynb")) if path.is_dir() else [path])
    return found


def _read(path: Path) -> nbformat.NotebookNode:
    try:
        return nbformat.read(path, as_version=4)
    except OSError as error:
        raise Ungraded(f"cannot be read: {error.strerror}") from None
    except Exception as error:  # nbformat raises JSON, validation and version errors, each its own type
        raise Ungraded(f"is not a notebook ({type(error).__name__})") from None


def _first_error(nb) -> str | None:
    """The first error a cell raised, as ErrorName: message, or None."""
    for index, cell in enumerate(nb.cells, 1):
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                return f"cell {index} raised {output.ename}: {output.evalue}"
    return None


def _answers(nb) -> dict:
    """The answers the appended cell printed, each as a value the checks take (`...` for a placeholder)."""
    text = "".join(o.get("text", "") for o in nb.cells[-1].get("outputs", []) if o.output_type == "stream")
    lines = [line for line in text.splitlines() if line.startswith(MARK)]
    if not lines:
        raise Ungraded("left no answers to read (the last cell, which reads them, did not print them)")
    answers = {}
    for name, entry in json.loads(lines[-1][len(MARK):]).items():
        if "value" in entry:
            answers[name] = entry["value"]
        elif "repr" in entry:
            answers[name] = Shown(entry["repr"])
        else:
            answers[name] = ... if "placeholder" in entry else None
    return answers


def run(path: Path, seconds: float) -> tuple[dict, str | None]:
    """Execute the submission in a fresh kernel, in an empty folder, with `seconds` for all its cells together."""
    nb = _read(path)
    nb.cells.append(nbformat.v4.new_code_cell(EXPORT))
    deadline = time.monotonic() + seconds
    with tempfile.TemporaryDirectory(prefix="hnn-grade-") as folder:
        client = nbclient.NotebookClient(
            nb, kernel_name="python3", allow_errors=True, record_timing=False,
            timeout_func=lambda cell: max(deadline - time.monotonic(), 0.01),  # a time limit for the whole notebook
            resources={"metadata": {"path": folder}},
            # No start-up log, and no history database written for a submission's kernel.
            extra_arguments=["--IPKernelApp.log_level=CRITICAL", "--HistoryManager.enabled=False"],
        )
        try:
            # The kernel's own stderr goes nowhere: one killed at its time limit may print the zmq library's
            # assertion there, and hnn grade's stderr is one line per submission that went wrong.
            client.execute(stderr=subprocess.DEVNULL)
        except nbclient.exceptions.CellTimeoutError:
            raise Ungraded(f"did not finish within {seconds:g} s") from None
        except nbclient.exceptions.DeadKernelError:
            raise Ungraded("stopped its kernel") from None
    return _answers(nb), _first_error(nb)


def grade(path: Path, seconds: float) -> tuple[list[tuple], str | None]:
    """One row per exercise, and the line for stderr when the submission raised or could not be run."""
    try:
        answers, error = run(path, seconds)
    except Ungraded as problem:
        return [(str(path), exercise, "error", str(problem)) for exercise in exercises.EXERCISES], str(problem)
    rows = []
    for exercise, names in exercises.EXERCISES.items():
        missing = [name for name in names if answers[name] is None]
        if missing and error:
            rows.append((str(path), exercise, "error", f"{', '.join(missing)} never set: {error}"))
        elif missing:
            rows.append((str(path), exercise, "unanswered", f"{', '.join(missing)} is set nowhere in the notebook"))
        else:
            status, feedback = exercises.verdict(exercise, **{name: answers[name] for name in names})
            rows.append((str(path), exercise, status, feedback.replace("\n", " / ")))
    return rows, error


def grade_all(paths: list[Path], out: Path, seconds: float) -> int:
    """Grade every submission into the CSV at out; 0 when every one ran to its end without an error, else 1."""
    if out.is_dir() or not out.parent.is_dir():
        raise ValueError(f"--out must be a file in an existing folder, got {out}")
    found = submissions(paths)
    if not found:
        raise ValueError("no submissions: give notebooks, or folders that hold .ipynb files")
    rows, failed = [], 0
    for path in found:
        graded, problem = grade(path, seconds)
        rows.extend(graded)
        if problem:
            failed += 1
            print(f"hnn grade: {path}: {problem}", file=sys.stderr)
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows([HEADER, *rows])
    write_atomically(out, text.getvalue().encode("utf-8"))
    print(f"graded {len(found) - failed} of {len(found)} submissions into {out}")
    return 1 if failed else 0
