"""Each student's own network, derived from the roster, a secret the instructor keeps and the assignment's name.

The numbers come from an HMAC-SHA256 of the assignment and the student id, keyed with the secret: the same inputs give
the same network on any machine, so grading recovers it from the roster alone, and without the secret no student can
work out another's. A network is checked before anyone sees it (problems() below); one that fails is drawn again with
the next attempt number, which is part of the HMAC's message, so the draw stays deterministic.
"""
from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import math
import re
import tempfile
import warnings
from pathlib import Path
from typing import NamedTuple

import hnn
from hnn.classroom import course, write_into
from hnn.classroom.exercises import GOAL_LOSS, SIGNIFICANT, Checks, hidden, made_by, returning
from hnn.files import check_targets, directory

ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}")  # safe as a file name, and no spreadsheet formula
ID_RULE = "letters, digits and . _ @ + -, starting with a letter or digit, at most 100 characters"
SECRET_BYTES = 16  # the least a secret may hold: 128 bits are beyond guessing
NEW_SECRET = 'python3 -c "import secrets; print(secrets.token_hex(32))" > FILE'
ATTEMPTS = 1000  # draws per student before giving up; in practice the first or second one passes
EPOCHS = 10


def _signed(low: float, high: float, step: float) -> tuple[float, ...]:
    """±low … ±high in steps of step, as the decimals a student types."""
    magnitudes = [round(low + k * step, 2) for k in range(round((high - low) / step) + 1)]
    return tuple(sorted(-m for m in magnitudes)) + tuple(magnitudes)


# What each number is drawn from: short decimals, both signs, never 0.
CHOICES = {
    "x1": _signed(0.5, 2.0, 0.1),
    "x2": _signed(0.5, 2.0, 0.1),
    "w1": _signed(0.1, 1.0, 0.05),
    "w2": _signed(0.1, 1.0, 0.05),
    "b": _signed(0.05, 0.5, 0.05),
    "target": _signed(0.1, 0.8, 0.05),
    "learning_rate": (0.05, 0.1),  # small enough that exercise (e) asks for a larger one
}


class Student(NamedTuple):
    student_id: str
    name: str


def read_roster(path: Path) -> list[Student]:
    """The roster's students, in its order: a CSV file with a student_id column and, optionally, a name column.
    ValueError naming the file, the line and what is accepted, for anything else."""
    where = f"--roster {path}"
    try:
        text = Path(path).read_text(encoding="utf-8-sig")  # a spreadsheet's byte order mark is no part of the header
    except FileNotFoundError:
        raise ValueError(f"{where} does not exist") from None
    except IsADirectoryError:
        raise ValueError(f"{where} is a folder; give the roster's CSV file") from None
    except UnicodeDecodeError:
        raise ValueError(f"{where} is not UTF-8 text; save the roster as a UTF-8 CSV file") from None
    try:
        table = list(csv.reader(io.StringIO(text)))
    except csv.Error as error:
        raise ValueError(f"{where} is not a CSV file: {error}") from None
    header = [column.strip().lower() for column in table[0]] if table else []
    if "student_id" not in header:
        raise ValueError(f"{where} needs a header row with a student_id column (and, if you like, a name column)")
    column, name_column = header.index("student_id"), header.index("name") if "name" in header else None
    students, seen = [], set()
    for line, row in enumerate(table[1:], 2):
        if not any(cell.strip() for cell in row):
            continue  # a blank line
        student_id = row[column].strip() if column < len(row) else ""
        if not ID.fullmatch(student_id):
            raise ValueError(f"{where}, line {line}: a student_id must be {ID_RULE}, got {student_id[:40]!r}")
        if student_id in seen:
            raise ValueError(f"{where}, line {line}: student_id {student_id} appears twice")
        seen.add(student_id)
        name = row[name_column].strip() if name_column is not None and name_column < len(row) else ""
        students.append(Student(student_id, name))
    if not students:
        raise ValueError(f"{where} lists no students: one row per student under its student_id header")
    return students


def read_secret(path: Path) -> bytes:
    """The instructor's secret: the file's bytes, without surrounding white space; ValueError if it is too short."""
    try:
        secret = Path(path).read_bytes().strip()
    except FileNotFoundError:
        raise ValueError(f"--secret-file {path} does not exist; make one with: {NEW_SECRET.replace('FILE', str(path))}") from None
    except IsADirectoryError:
        raise ValueError(f"--secret-file {path} is a folder; give the file that holds the secret") from None
    if len(secret) < SECRET_BYTES:
        raise ValueError(f"--secret-file {path} holds {len(secret)} bytes, and a secret needs at least {SECRET_BYTES};"
                         f" make one with: {NEW_SECRET.replace('FILE', str(path))}")
    return secret


def _draw(secret: bytes, assignment: str, student_id: str, attempt: int) -> hnn.Config:
    """One candidate network: each number picked by 32 bits of the HMAC."""
    message = json.dumps(["hnn network", assignment, student_id, attempt]).encode("utf-8")  # unambiguous, unlike a join
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    picks = (int.from_bytes(digest[4 * i:4 * i + 4], "big") for i in range(len(CHOICES)))
    return hnn.Config(**{name: choices[pick % len(choices)] for (name, choices), pick in zip(CHOICES.items(), picks)},
                      epochs=EPOCHS)


def network(secret: bytes, assignment: str, student_id: str) -> hnn.Config:
    """The student's network for this assignment: the first draw that has no problems()."""
    for attempt in range(ATTEMPTS):
        candidate = _draw(secret, assignment, student_id, attempt)
        if not problems(candidate):
            return candidate
    raise RuntimeError(f"no network for {student_id} passed the checks in {ATTEMPTS} draws")  # never seen: a defect


def problems(network: hnn.Config) -> list[str]:
    """What makes a network unfit for the exercises: it does not train cleanly, its numbers are near 0 or tanh is
    saturated, a check cannot tell the right answer from each of its listed mistakes (the functions' too), an answer
    worked from the givens as the notebook prints them is not right, or no learning rate, or any, answers (e). Empty
    for a good one."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # an unreachable target, a gradient that disagrees: not for a class
            trace = hnn.train(network)
    except (ValueError, Warning) as error:
        return [f"does not train: {error}"]
    first, second = trace.epoch(1), trace.epoch(2)
    found = []
    if not 0.3 <= abs(first.n) <= 1.5:
        found.append(f"n = {first.n:.3g}: too near 0, or tanh is saturated")
    if abs(first.o - network.target) < 0.15:
        found.append("o starts too close to the target for the steps to show")
    if trace.final.loss < 2 * GOAL_LOSS:  # (e) says the loss is "still about" this: not about its goal itself
        found.append(f"the given learning rate already brings the loss below {2 * GOAL_LOSS:g}")
    if found:  # the checks below train many times: not for a network that is already out
        return found
    checks = Checks(**network.to_dict())
    for name, question in checks.questions.items():
        if min(abs(question.expected), question.size) < 1e-3:
            found.append(f"{name} is too near 0 to ask for {SIGNIFICANT} significant figures")
            continue
        rounded = float(f"{question.expected:.{SIGNIFICANT}g}")
        if checks.judge(name, {"number": rounded})[0] != "ok":
            found.append(f"{name} rounded to {SIGNIFICANT} significant figures is not judged right")
        for mistake in question.mistakes:
            status, line = checks.judge(name, {"number": mistake.value})
            if status != "wrong" or mistake.looks_like not in line:
                found.append(f"the check of {name} cannot tell {mistake.looks_like!r} from the answer")
    for name, function in checks.functions.items():  # (g) to (i): each mistaken function named on these inputs
        for mistake, looks_like, _ in function.mistakes:
            made = made_by(mistake, function.inputs)
            if made is None or looks_like not in checks.judge(name, returning(made))[1]:
                found.append(f"the check of {name} cannot tell {looks_like!r} from the answer")
    printed = lambda value, digits=6: round(value, digits)  # noqa: E731  the givens of (c) to (f), as the notebook prints them
    x1, x2, target = network.x1, network.x2, network.target
    layer = hnn.train(hidden(network)).epoch(1)
    h1 = printed(layer.h1, course.HIDDEN_DIGITS)
    from_givens = {
        "loss": 0.5 * (math.tanh(x1 * printed(first.updated.w1) + x2 * printed(first.updated.w2) + printed(first.updated.b))
                       - target) ** 2,
        "w1": printed(second.w1) - network.learning_rate * x1 * printed(second.grad.n),
        "delta_h1": (layer.w5 * printed(layer.grad.no1, course.HIDDEN_DIGITS)
                     + layer.w7 * printed(layer.grad.no2, course.HIDDEN_DIGITS)) * h1 * (1 - h1),
    }
    for name, value in from_givens.items():
        if checks.judge(name, {"number": value})[0] != "ok":
            found.append(f"{name} worked from the printed givens is not judged right")
    if not found and len(checks.learning_rates(enough=3)) < 3:
        found.append("fewer than 3 of the learning rates tried answer (e)")
    return found


def check_assignment(assignment: str) -> str:
    """--assignment: the name the networks are drawn for, and the gradebook's column; ValueError if it is no name."""
    if not assignment.strip() or not assignment.isprintable() or len(assignment) > 100:
        raise ValueError(f"--assignment must be a name of 1 to 100 printable characters, got {assignment[:40]!r}")
    return assignment


def _targets(students: list[Student], out: Path, keys: Path | None, suffix: str, force: bool) -> dict[str, Path]:
    """Every file a class's copies go to, checked before any work: --out/<student_id><suffix>, and the same in --keys,
    a folder apart from --out, since the keys hold the answers."""
    folders = {"--out": directory(out, "--out")}
    if keys is not None:
        folders["--keys"] = directory(keys, "--keys")
        if folders["--keys"].absolute() == folders["--out"].absolute():
            raise ValueError("--keys must be a folder apart from --out: the keys hold the answers")
    paths = {f"{option} {s.student_id}": folder / f"{s.student_id}{suffix}" for option, folder in folders.items()
             for s in students}
    check_targets(paths.values(), force)
    return folders


def write_exercises(roster: Path, secret_file: Path, out: Path, keys: Path | None = None,
                    assignment: str = "exercises", force: bool = False) -> int:
    """Each student's copy of the exercises, DIR/<student_id>.ipynb, and with keys each one's key; how many students."""
    assignment, students, secret = check_assignment(assignment), read_roster(roster), read_secret(secret_file)
    folders = _targets(students, Path(out), keys and Path(keys), ".ipynb", force)
    files = {}
    for student in students:
        mine = network(secret, assignment, student.student_id)
        files[folders["--out"] / f"{student.student_id}.ipynb"] = course.notebook_bytes(course.student_copy(mine))
        if "--keys" in folders:
            files[folders["--keys"] / f"{student.student_id}.ipynb"] = course.notebook_bytes(course.key(mine))
    write_into(folders, files)
    return len(students)


def write_worksheets(roster: Path, secret_file: Path, out: Path, keys: Path | None = None,
                     assignment: str = "worksheet", epoch="1", force: bool = False) -> int:
    """Each student's worksheet, DIR/<student_id>.pdf, for epoch of the student's own network, and with keys each
    one's answer page; how many students."""
    from hnn.views import worksheet  # cairo and Graphviz: only this needs them

    assignment, students, secret = check_assignment(assignment), read_roster(roster), read_secret(secret_file)
    epoch = worksheet.check_epoch(epoch, EPOCHS)
    folders = _targets(students, Path(out), keys and Path(keys), ".pdf", force)
    files = {}
    with tempfile.TemporaryDirectory(prefix="hnn-worksheets-") as scratch:
        for student in students:
            mine = network(secret, assignment, student.student_id)
            trace = hnn.train(hnn.Config(**{**mine.to_dict(), "epochs": epoch}))  # the epochs after it change nothing on it
            sheet, answers = worksheet.write(trace, Path(scratch) / student.student_id, epoch)
            files[folders["--out"] / f"{student.student_id}.pdf"] = sheet.read_bytes()
            if "--keys" in folders:
                files[folders["--keys"] / f"{student.student_id}.pdf"] = answers.read_bytes()
    write_into(folders, files)
    return len(students)
