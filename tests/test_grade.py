"""hnn grade runs each submission in its own kernel and judges the answers it leaves; nbgrader's own
generate_assignment and autograde take the exercises' source as it is."""
import csv
import importlib.util
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from hnn.classroom import exercises as ex
from tests.test_exercises import DL_DB, LOSS_2, W1_1, W1_2, N, O

pytestmark = pytest.mark.skipif(importlib.util.find_spec("nbgrader") is None,
                                reason="the student copy is made by nbgrader's preprocessors: pip install nbgrader")

RIGHT = {"a-answer": f"n = {N!r}\no = {O!r}", "b-answer": f"dL_db = {DL_DB!r}", "c-answer": f"loss = {LOSS_2!r}",
         "d-answer": f"w1 = {W1_2!r}", "e-answer": "learning_rate = 0.3"}


def submission(answers: dict, extra: str = "") -> nbformat.NotebookNode:
    """The student copy with some answer cells filled in, and optionally a cell of the student's own at the end."""
    from hnn.classroom import course

    nb = course.copy(student=True)
    for cell in nb.cells:
        cell_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell_id in answers:
            cell.source = answers[cell_id]
    if extra:
        nb.cells.append(nbformat.v4.new_code_cell(extra))
    return nb


def rows(path: Path) -> dict:
    with path.open(newline="", encoding="utf-8") as file:
        table = list(csv.reader(file))
    assert table[0] == ["submission", "exercise", "status", "feedback"]
    return {(Path(r[0]).name, r[1]): (r[2], r[3]) for r in table[1:]}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A class's folder graded once: a correct, a wrong one that fakes its checks, a blank, an erroring,
    a never-ending and a corrupt submission."""
    folder = tmp_path_factory.mktemp("class")
    faker = ("import hnn.classroom.exercises\n"
             "hnn.classroom.exercises.verdict = lambda *a, **k: hnn.classroom.exercises.Verdict('ok', '✓')")
    notebooks = {
        "alice.ipynb": submission(RIGHT),
        "bob.ipynb": submission({**RIGHT, "d-answer": f"w1 = {W1_1!r}", "b-answer": "dL_db = 'I do not know'"}, faker),
        "carol.ipynb": submission({}),
        "dave.ipynb": submission({**RIGHT, "a-answer": "n = 1 / 0\no = 0.5"}),
        "erin.ipynb": submission({**RIGHT, "c-answer": "while True:\n    pass"}),
    }
    for name, nb in notebooks.items():
        nbformat.write(nb, folder / name)
    (folder / "frank.ipynb").write_text('{"cells": [', encoding="utf-8")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    out = folder / "grades.csv"
    result = subprocess.run(
        [Path(sys.executable).parent / "hnn", "grade", str(folder), "--out", str(out), "--timeout", "30"],
        capture_output=True, text=True, timeout=600,
    )
    return folder, before, out, result


def test_a_correct_submission_is_ok_everywhere(graded):
    table = rows(graded[2])
    assert [table["alice.ipynb", e][0] for e in ex.EXERCISES] == ["ok"] * 5
    assert table["alice.ipynb", "a"][1] == "✓ n is right / ✓ o is right"


def test_a_wrong_answer_is_judged_by_the_grader_not_by_the_submissions_checks(graded):
    table = rows(graded[2])
    assert table["bob.ipynb", "d"] == ("wrong", ex.verdict("d", w1=W1_1).feedback)
    assert table["bob.ipynb", "d"][1].startswith("✗ w1 looks like w1 before the update")
    assert table["bob.ipynb", "b"] == ("wrong", "✗ dL_db should be a finite number, got 'I do not know'")
    assert table["bob.ipynb", "a"][0] == "ok"


def test_a_blank_submission_is_unanswered(graded):
    table = rows(graded[2])
    assert [table["carol.ipynb", e][0] for e in ex.EXERCISES] == ["unanswered"] * 5
    assert table["carol.ipynb", "e"][1].startswith("Not answered yet")


def test_an_answer_cell_that_raises_is_an_error_and_the_rest_is_graded(graded):
    table = rows(graded[2])
    assert table["dave.ipynb", "a"] == ("error", "n, o never set: cell 4 raised ZeroDivisionError: division by zero")
    assert [table["dave.ipynb", e][0] for e in "bcde"] == ["ok"] * 4


def test_a_never_ending_and_a_corrupt_submission_are_errors_and_grading_goes_on(graded):
    folder, _, out, result = graded
    table = rows(out)
    assert {table["erin.ipynb", e] for e in ex.EXERCISES} == {("error", "did not finish within 30 s")}
    assert {table["frank.ipynb", e] for e in ex.EXERCISES} == {("error", "is not a notebook (NotJSONError)")}
    assert len(table) == 6 * len(ex.EXERCISES)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"hnn grade: {folder / 'dave.ipynb'}: cell 4 raised ZeroDivisionError: division by zero",
        f"hnn grade: {folder / 'erin.ipynb'}: did not finish within 30 s",
        f"hnn grade: {folder / 'frank.ipynb'}: is not a notebook (NotJSONError)",
    ]
    assert result.stdout == f"graded 3 of 6 submissions into {out}\n"


def test_grading_touches_nothing_but_its_csv(graded):
    folder, before, _, _ = graded
    assert {p.name: p.read_bytes() for p in folder.iterdir() if p.name != "grades.csv"} == before


def test_a_class_that_all_ran_through_exits_0(hnn_cli, tmp_path):
    nbformat.write(submission({}), tmp_path / "blank.ipynb")
    result = hnn_cli("grade", str(tmp_path / "blank.ipynb"), "--out", str(tmp_path / "grades.csv"))
    assert result.returncode == 0, result.stderr
    assert {status for status, _ in rows(tmp_path / "grades.csv").values()} == {"unanswered"}


@pytest.mark.parametrize("args, message", [
    (["x.ipynb", "--out", "g.csv", "--timeout", "0"], "--timeout must be a number of seconds greater than 0, got '0'"),
    (["x.ipynb", "--out", "g.csv", "--timeout", "soon"], "--timeout must be a number of seconds greater than 0, got 'soon'"),
    (["x.ipynb", "--out", "missing/g.csv"], "--out must be a file in an existing folder, got missing/g.csv"),
    ([".", "--out", "g.csv"], "no submissions: give notebooks, or folders that hold .ipynb files"),
])
def test_bad_input_is_one_line_and_writes_nothing(hnn_cli, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    result = hnn_cli("grade", *args)
    assert (result.returncode, result.stderr) == (2, f"hnn grade: error: {message}\n")
    assert list(tmp_path.iterdir()) == []


def test_nbgrader_generates_and_autogrades_the_source_as_it_is(tmp_path):
    """A course folder: source/exercises/, then each student's copy of the release under submitted/."""
    from hnn.classroom import course

    bin_folder = Path(sys.executable).parent
    nbgrader = [bin_folder / "nbgrader"]
    env = {**os.environ, "PATH": f"{bin_folder}{os.pathsep}{os.environ['PATH']}"}  # nbgrader runs `alembic` from PATH
    (tmp_path / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.course_id = 'neurons'\n"
        f"c.ClearSolutions.code_stub = {course.CODE_STUB!r}\n", encoding="utf-8")
    (tmp_path / "source" / "exercises").mkdir(parents=True)
    course.write(tmp_path / "source" / "exercises" / "exercises.ipynb", course.copy(student=False))
    subprocess.run([*nbgrader, "generate_assignment", "exercises", "--create"], cwd=tmp_path, env=env, check=True,
                   capture_output=True, timeout=300)
    release = nbformat.read(tmp_path / "release" / "exercises" / "exercises.ipynb", 4)
    wrong = {**RIGHT, "b-answer": f"dL_db = {-DL_DB!r}", "d-answer": f"w1 = {W1_1!r}"}
    for student, answers in (("alice", RIGHT), ("bob", wrong)):
        nb = nbformat.from_dict(release)
        for cell in nb.cells:
            if cell.metadata["nbgrader"]["grade_id"] in answers:
                cell.source = answers[cell.metadata["nbgrader"]["grade_id"]]
        (tmp_path / "submitted" / student / "exercises").mkdir(parents=True)
        nbformat.write(nb, tmp_path / "submitted" / student / "exercises" / "exercises.ipynb")
    subprocess.run([*nbgrader, "autograde", "exercises", "--create"], cwd=tmp_path, env=env, check=True,
                   capture_output=True, timeout=300)
    with sqlite3.connect(tmp_path / "gradebook.db") as db:  # nbgrader's own gradebook, read without its ORM
        scores = dict(db.execute(
            "SELECT student.id, SUM(grade.auto_score) FROM grade"
            " JOIN submitted_notebook ON grade.notebook_id = submitted_notebook.id"
            " JOIN submitted_assignment ON submitted_notebook.assignment_id = submitted_assignment.id"
            " JOIN student ON submitted_assignment.student_id = student.id GROUP BY student.id"))
    points = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"].get("points", 0) for c in release.cells}
    assert scores == {"alice": sum(points.values()), "bob": sum(points.values()) - points["b"] - points["d"]}
