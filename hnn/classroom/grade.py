"""Grading a class: each submission matched to its student on the roster, its cells run in a sandbox of its own, and
each answer cell's answers, taken right after that cell ran, judged here against the network the roster gives that
student. The sandbox holds no expected value, and nothing a submission does reaches another's grade, the roster, the
secret or the files written here.
"""
from __future__ import annotations

import math
import os
import queue
import sys
import threading
import warnings
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path
from typing import NamedTuple

import nbformat
from tqdm import tqdm

from hnn.classroom import course, gradebook, sandbox, variants, write_into
from hnn.classroom.capture import WIDTH, printable
from hnn.classroom.exercises import SECONDS, TASKS, Checks, overall
from hnn.classroom.variants import Student
from hnn.files import directory

LARGEST = 50 << 20  # bytes: a notebook larger than this is not run
PRELUDE = "import math"  # what the notebook's setup cell gives its answer cells; the checks it also makes stay outside
MAX_JOBS = 64
# The template's own code cells that are not answers (the setup cell and the checks): not run in the sandbox.
GIVEN = frozenset(course.grade_id(c) for c in course.template().cells
                  if c.cell_type == "code" and not c.metadata["nbgrader"]["solution"])
MISBEHAVED = "sent the grader something that is not its answers"


class TaskGrade(NamedTuple):
    """One exercise of one submission: ok, wrong, unanswered or error, its points and its feedback lines."""

    status: str
    points: float
    lines: tuple[str, ...]


class Grade(NamedTuple):
    """One student's grade."""

    student: Student
    submission: Path | None
    status: str  # graded: it ran to its end; error: it stopped early or is no notebook; not submitted; not graded
    note: str  # one line, when it did not run to its end
    tasks: dict[str, TaskGrade]

    @property
    def total(self) -> float:
        return sum(task.points for task in self.tasks.values())


class Ungraded(Exception):
    """The submission cannot be run at all: one line saying why."""


class NoSandbox(RuntimeError):
    """No sandbox can be made on this machine."""


def timeout(value: str) -> float:
    """--timeout as seconds; ValueError naming what it accepts."""
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise ValueError(f"--timeout must be a number of seconds greater than 0, got {value!r}")
    return seconds


def notebooks(paths: list[Path]) -> list[Path]:
    """The submissions: each notebook as given, and every .ipynb below a folder, in name order (hidden folders such
    as .ipynb_checkpoints left out)."""
    found = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*.ipynb")
                                if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)))
        elif path.suffix == ".ipynb" and path.is_file():
            found.append(path)
        elif not path.exists():
            raise ValueError(f"submission {path} does not exist")
        else:
            raise ValueError(f"a submission must be an .ipynb notebook or a folder of them, got {path}")
    if not found:
        raise ValueError("no submissions: give notebooks, or folders that hold .ipynb files")
    return found


def match(found: list[Path], students: list[Student]) -> dict[str, Path]:
    """Each student's submission: the notebook whose file name (without .ipynb) is the student_id or, failing that, the
    nearest folder above it whose name is (nbgrader's submitted/<student_id>/<assignment>/ among them)."""
    ids = {student.student_id for student in students}
    matched = {}
    for path in found:
        owner = next((name for name in (path.stem, *(p.name for p in path.absolute().parents)) if name in ids), None)
        if owner is None:
            raise ValueError(f"{_shown(path)} matches no student_id on the roster: its file name or a folder above it"
                             " must be one")
        if owner in matched:
            raise ValueError(f"two submissions for {owner}: {_shown(matched[owner])} and {_shown(path)}")
        matched[owner] = path
    return matched


def _shown(path: Path) -> str:
    """A path as text for a terminal or a page: control characters escaped, cut short."""
    return printable(str(path), 200)


def inputs(network) -> dict[str, list]:
    """What each code task's function is called on for this network, by task."""
    checks = Checks(**network.to_dict())
    return {task: checks.inputs(task) for task, kind in TASKS.items() if kind.kind == "code"}


def plan(path: Path, seconds: float, calls: dict[str, list]) -> dict:
    """What the sandbox runs for a submission (see capture.py): its code cells in order but the template's setup and
    checks, each answer cell marked with its task, and a code task's with the inputs its function is called on (calls,
    from inputs()). Ungraded when the file is no notebook."""
    try:
        if path.stat().st_size > LARGEST:
            raise Ungraded(f"is larger than {LARGEST >> 20} MB")
        with warnings.catch_warnings():  # a notebook from an older Jupyter (no cell ids) is read all the same
            warnings.simplefilter("ignore")
            nb = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
        cells = []
        for cell in nb.cells:
            if cell.get("cell_type") != "code" or not isinstance(cell.get("source"), str):
                continue
            grade_id = _grade_id(cell)
            if grade_id in GIVEN:
                continue
            task = grade_id.removesuffix("-answer") if grade_id.endswith("-answer") else None
            step = {"source": cell.source}
            if task in TASKS:
                step.update(task=task, kind=TASKS[task].kind, names=list(TASKS[task].names))
                if TASKS[task].kind == "code":
                    step.update(inputs=calls[task], outputs=len(TASKS[task].returns), seconds=SECONDS)
            cells.append(step)
    except OSError as error:
        raise Ungraded(f"cannot be read: {error.strerror}") from None
    except Ungraded:
        raise
    except Exception as error:  # nbformat raises JSON, validation and version errors, each its own type
        raise Ungraded(f"is not a notebook ({type(error).__name__})") from None
    return {"prelude": PRELUDE, "cells": cells, "limits": sandbox.limits(seconds)}


def _grade_id(cell) -> str:
    """The nbgrader id a submission's cell carries, "" where its metadata has none (or is not what nbgrader writes)."""
    marks = cell.get("metadata", {}).get("nbgrader") if isinstance(cell.get("metadata"), dict) else None
    grade_id = marks.get("grade_id") if isinstance(marks, dict) else None
    return grade_id if isinstance(grade_id, str) else ""


def _entry(entry, cell: dict) -> dict | None:
    """One answer as capture.answer() describes it, or for a code task capture.called(), checked against the plan's
    cell; None for anything else."""
    if not isinstance(entry, dict) or len(entry) != 1:
        return None
    (kind, value), = entry.items()
    if kind == "number" and type(value) in (int, float) and math.isfinite(value):
        return {"number": float(value)}
    if kind in ("placeholder", "unset") and value is True:
        return {kind: True}
    if kind == "shown" and isinstance(value, str):
        return {"shown": printable(value)}  # at most capture.WIDTH characters, whatever arrived
    if kind == "calls" and cell.get("kind") == "code" and isinstance(value, list) and len(value) <= len(cell["inputs"]):
        calls = [_call(call, cell["outputs"]) for call in value]
        return None if None in calls else {"calls": calls}
    return None


def _call(call, outputs: int) -> dict | None:
    """One call of a student's function as capture.call() describes it, checked; None for anything else."""
    if not isinstance(call, dict) or len(call) != 1:
        return None
    (kind, value), = call.items()
    if kind == "returned" and isinstance(value, list) and len(value) == outputs:
        returned = [_entry(v, {}) for v in value]
        return None if None in returned or any("unset" in v for v in returned) else {"returned": returned}
    if kind == "timeout" and value is True:
        return {"timeout": True}
    if kind in ("shown", "raised") and isinstance(value, str):
        return {kind: printable(value, WIDTH if kind == "shown" else 2 * WIDTH)}
    return None


def answers(run_plan: dict, messages: list[dict]) -> tuple[dict, str | None]:
    """What each answer cell left, by task: (what it raised or None, its answers); and a line when the messages are not
    what capture.py sends. Only the answer cells' messages, in the plan's order, count; a task's last answer cell wins."""
    cells = {step: cell for step, cell in enumerate(run_plan["cells"]) if "task" in cell}
    taken, last = {}, -1
    for message in messages[1:]:
        if message == {"done": True}:
            break
        if set(message) != {"step", "task", "error", "answers"} or type(message["step"]) is not int:
            return taken, MISBEHAVED
        step, task, error, found = message["step"], message["task"], message["error"], message["answers"]
        if step <= last or cells.get(step, {}).get("task") != task or not isinstance(found, dict):
            return taken, MISBEHAVED
        if not (error is None or isinstance(error, str)):
            return taken, MISBEHAVED
        entries = {name: _entry(found.get(name), cells[step]) for name in TASKS[task].names}
        if error is None and (set(found) != set(TASKS[task].names) or None in entries.values()):
            return taken, MISBEHAVED
        taken[task], last = (printable(error, 2 * WIDTH) if error is not None else None, entries), step
    return taken, None


def judge(student: Student, submission: Path, run_plan: dict, messages: list[dict], stopped: str | None,
          network, points: dict) -> Grade:
    """A submission's grade from what its sandbox sent, judged against the student's network."""
    if not messages or messages[0] != {"ready": True}:  # sent before any cell of the submission runs
        note = f"could not be graded: the sandbox did not start ({stopped or 'no message'})"
        return Grade(student, submission, "not graded", note, {})
    taken, misbehaved = answers(run_plan, messages)
    stopped = misbehaved or stopped
    planned = {cell["task"] for cell in run_plan["cells"] if "task" in cell}
    checks, tasks = Checks(**network.to_dict()), {}
    for task in TASKS:
        if task not in planned:
            line = f"✗ the notebook has no answer cell for ({task}): a cell marked {task}-answer, as handed out"
            tasks[task] = TaskGrade("unanswered", 0, (line,))
        elif task not in taken:
            tasks[task] = TaskGrade("error", 0, (f"✗ not reached: the notebook {stopped}",))
        elif taken[task][0] is not None:
            tasks[task] = TaskGrade("error", 0, (f"✗ its answer cell raised {taken[task][0]}",))
        else:
            judged = checks.judged(task, taken[task][1])
            right = sum(status == "ok" for _, status, _ in judged)
            tasks[task] = TaskGrade(overall(status for _, status, _ in judged), points[task] * right / len(judged),
                                    tuple(line for _, _, line in judged))
    return Grade(student, submission, "graded" if stopped is None else "error", stopped or "", tasks)


def _run(path: Path, seconds: float, calls: dict, slots: queue.Queue, stopping: threading.Event,
         unsafe: bool) -> tuple[dict | None, list, str | None]:
    """In a worker thread: the plan, and what the sandbox sent, or the line saying why it cannot run."""
    try:
        run_plan = plan(path, seconds, calls)
    except Ungraded as problem:
        return None, [], str(problem)
    slot = slots.get()  # a uid that no other sandbox running now has
    try:
        return run_plan, *sandbox.run(run_plan, seconds, slot, stopping, unsafe)
    finally:
        slots.put(slot)


def _grade_all(matched: dict[str, Path], students: dict[str, Student], secret: bytes, assignment: str, points: dict,
               jobs: int, seconds: float, unsafe: bool) -> dict[str, Grade]:
    """Every submission run, jobs at once, each judged here as it finishes; a bar on a terminal. Ctrl-C, SIGTERM or a
    fault ends every sandbox before it goes on up."""
    slots, stopping, grades = queue.Queue(), threading.Event(), {}
    for slot in range(jobs):
        slots.put(slot)
    bar = tqdm(total=len(matched), unit="submission", file=sys.stderr, disable=None)  # None: only on a terminal
    with ThreadPoolExecutor(jobs) as pool:
        futures, networks, waiting, pending = {}, {}, iter(matched.items()), set()
        try:
            while True:
                # Each network is derived here, in the main thread (it trains, and warnings are global), a few
                # submissions ahead of the sandboxes: between their runs, not all at once while the first ones run.
                while len(pending) < 2 * jobs and (item := next(waiting, None)) is not None:
                    student_id, path = item
                    networks[student_id] = variants.network(secret, assignment, student_id)
                    future = pool.submit(_run, path, seconds, inputs(networks[student_id]), slots, stopping, unsafe)
                    futures[future] = student_id
                    pending.add(future)
                if not pending:
                    break
                done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                for future in done:
                    student_id = futures[future]
                    student, path, (run_plan, messages, stopped) = students[student_id], matched[student_id], future.result()
                    if run_plan is None:  # not a notebook: nothing ran
                        tasks = {task: TaskGrade("error", 0, (f"✗ not graded: the file {stopped}",)) for task in TASKS}
                        grades[student_id] = Grade(student, path, "error", stopped, tasks)
                    else:
                        grades[student_id] = judge(student, path, run_plan, messages, stopped, networks[student_id], points)
                    bar.update()
        except BaseException:  # nothing is written, and no sandbox outlives the grader
            stopping.set()
            for future in futures:
                future.cancel()
            sandbox.kill_all()
            raise
        finally:
            bar.close()
    return grades


def check_out(out: Path, found: list[Path]) -> None:
    """--out must be a new or existing .csv file in an existing folder, and none of the submissions."""
    if out.suffix.lower() != ".csv" or out.is_dir():
        raise ValueError(f"--out must be a .csv file, new or existing, got {out}")
    if not out.parent.is_dir():
        raise ValueError(f"--out must be a file in an existing folder, got {out}")
    if out.exists() and any(path.samefile(out) for path in found):
        raise ValueError(f"--out {out} is one of the submissions")


def grade_class(roster: Path, secret_file: Path, paths: list[Path], out: Path, *, assignment: str = "exercises",
                jobs: int | None = None, seconds: float = 120, feedback: Path | None = None, lms: tuple = (),
                unsafe: bool = False) -> int:
    """Grade every submission into out (and out's LMS layouts, and a feedback page per student); 0 when every submission
    ran to its end, else 1. Every input is checked, and the sandbox tried, before anything runs."""
    assignment = variants.check_assignment(assignment)
    students, secret = variants.read_roster(roster), variants.read_secret(secret_file)
    found = notebooks(paths)
    check_out(out, found)
    matched = match(found, students)
    feedback = directory(feedback if feedback is not None else out.parent / "feedback", "--feedback")
    layouts = {name: out.with_name(f"{out.stem}.{name}.csv") for name in dict.fromkeys(lms)}
    if unsafe and sys.platform == "win32":  # --unsafe reads a pipe with select(), which Windows has for sockets alone
        raise NoSandbox("grading on Windows needs WSL (the Windows Subsystem for Linux), where bubblewrap makes the sandbox")
    if not unsafe:
        for option, path in (("--roster", roster), ("--secret-file", secret_file), ("--out", out), ("--feedback", feedback),
                             *(("a submission", path) for path in found)):
            folder = sandbox.visible(path)
            if folder is not None:
                raise ValueError(f"{option} {_shown(path)} is inside {folder}, which every sandbox can read:"
                                 " keep the class's files elsewhere")
        if sandbox.unavailable():
            raise NoSandbox(f"{sandbox.unavailable()}; --unsafe grades without a sandbox, with your rights")
    jobs = min(jobs or os.cpu_count() or 1, len(matched) or 1, MAX_JOBS)
    points = course.points()
    grades = {s.student_id: Grade(s, None, "not submitted", "", {}) for s in students}
    grades.update(_grade_all(matched, {s.student_id: s for s in students}, secret, assignment, points, jobs, seconds, unsafe))
    ordered = [grades[s.student_id] for s in students]
    files = {out: gradebook.plain(ordered, points)}
    files.update({path: gradebook.LAYOUTS[name](ordered, points, assignment) for name, path in layouts.items()})
    files.update({feedback / f"{g.student.student_id}.html": gradebook.page(g, points, assignment) for g in ordered})
    write_into({"--feedback": feedback}, files)
    failed = [g for g in ordered if g.status in ("error", "not graded")]
    for g in failed:
        print(f"hnn grade: {g.student.student_id} ({_shown(g.submission)}): {g.note}", file=sys.stderr)
    missing = sum(g.status == "not submitted" for g in ordered)
    written = ", ".join(str(path) for path in [out, *layouts.values()])
    print(f"graded {len(matched) - len(failed)} of {len(matched)} submissions into {written};"
          f" feedback in {os.path.join(feedback, '')}" + (f" ({missing} on the roster without a submission)" if missing else ""))
    return 1 if failed else 0
