"""The exercises' student and solutions copies, made from one nbgrader source by nbgrader's own preprocessors.

The source, exercises_source.ipynb, lives inside the package, so that `hnn exercises` works wherever hnn is
installed, not only in a source checkout. Its answer cells hold `### BEGIN SOLUTION` regions and its check cells
`### BEGIN HIDDEN TESTS` regions (an assert that fails a wrong answer, for nbgrader's autograde); both are marked
with nbgrader cell metadata, so a course can also put it through `nbgrader generate_assignment` as it is.
"""
from __future__ import annotations

import importlib.resources
from pathlib import Path

import nbformat

from hnn.files import write_atomically

SOURCE = importlib.resources.files("hnn.classroom") / "exercises_source.ipynb"
# Each solution region stands inside parentheses, `n = (...)`, so that its stub leaves `n = ...` for the student.
CODE_STUB = {"python": "..."}
INSTALL = "pip install 'hnn[course]' (or pip install nbgrader==0.9.6)"


class NbgraderMissing(RuntimeError):
    """nbgrader, the course extra, is not installed: the copies need its preprocessors."""


def _preprocessors(student: bool) -> list:
    try:
        from nbgrader.preprocessors import ClearHiddenTests, ClearOutput, ClearSolutions
    except ImportError:
        raise NbgraderMissing(f"writing the exercises needs nbgrader, which is not installed: {INSTALL}") from None
    if student:
        return [ClearSolutions(code_stub=CODE_STUB), ClearHiddenTests(), ClearOutput()]
    return [ClearOutput()]  # the source as it is: solutions and hidden tests in their regions, for generate_assignment


def copy(student: bool) -> nbformat.NotebookNode:
    """The student copy (answers replaced by `...`, hidden tests removed) or the solutions copy, without outputs."""
    nb = nbformat.reads(SOURCE.read_text(encoding="utf-8"), as_version=4)
    resources: dict = {}
    for preprocessor in _preprocessors(student):
        nb, resources = preprocessor.preprocess(nb, resources)
    return nb


def check_target(path: Path, force: bool) -> None:
    """ValueError, before anything is written, for a path that exists (without force) or has no folder."""
    if path.suffix != ".ipynb":
        raise ValueError(f"a copy must be an .ipynb file, got {path}")
    if path.exists() and not force:
        raise ValueError(f"{path} exists; pass --force to overwrite it")
    if not path.parent.is_dir():
        raise ValueError(f"{path.parent} is not a folder; a copy is written into an existing one")


def write(path: Path, nb: nbformat.NotebookNode) -> Path:
    """Write a copy atomically: an interrupted write leaves no half notebook."""
    return write_atomically(path, nbformat.writes(nb).encode("utf-8"))
