"""hnn grade: each submission matched to its student on the roster, its cells run in a sandbox of its own, each answer
read from its own cell right after it ran and judged against the student's own network. Every way a submission has
been seen to change more than its own answers is one of the class graded here; the gradebook and the LMS layouts are
compared with files written by hand; nbgrader's autograde takes a key as it is."""
import csv
import html
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

import hnn
from hnn.classroom import course, grade, sandbox, variants
from hnn.classroom.exercises import NETWORK
from tests import plain
from tests.conftest import command_line, descendants, processes

pytestmark = pytest.mark.skipif(sandbox.unavailable() is not None,
                                reason=f"no sandbox here: {sandbox.unavailable()} (scripts/install-system-deps adds bwrap)")

SECRET = "3f1c" * 16
ASSIGNMENT = "exercises"
TIMEOUT = 10  # seconds each submission may run: a right one needs one or two, one that imports torch four
CANARY = "hnn-canary-5e2b8d"  # in the grader's environment, as an instructor's token would be: it must reach no output
ATTACK = "hnn-attack"  # in the command line of every process an attack starts, so that a survivor can be found
HEADER = ["student_id", "name", "a", "b", "c", "d", "e", "f", "g", "h", "i", "total", "max", "status", "note"]


def network(student_id: str):
    return variants.network(SECRET.encode(), ASSIGNMENT, student_id)


def expected(config) -> dict:
    """Every answer for a network, worked out in plain floats (tests/plain.py), the first learning rate of 0.1 … 2.0
    that brings the loss below 0.01 in its epochs, and h1's delta in Mazur's network with the network's inputs."""
    steps, _ = plain.replay(config)
    first, second = steps[0], steps[1]
    rate = next(r for r in (round(0.1 * k, 1) for k in range(1, 21)) if plain.replay(config, learning_rate=r)[1].loss < 0.01)
    hidden = plain.replay_hidden_layer(1, 0.5, x1=config.x1, x2=config.x2)[0]
    return {"n": first.n, "o": first.o, "dL_db": first.dL_db, "loss": second.loss, "w1": second.new_w1, "learning_rate": rate,
            "delta_h1": hidden["dL/dnh1"]}


def reusing(config) -> str:
    """(c)'s answer cell worked out as its task says, from epoch 1's updated parameters: it sets n and o again."""
    s = plain.replay(config)[0][0]
    return (f"n = {s.new_w1!r} * {config.x1!r} + {s.new_w2!r} * {config.x2!r} + {s.new_b!r}\n"
            f"o = math.tanh(n)\nloss = 0.5 * (o - {config.target!r}) ** 2")


# The functions of (g) to (i), right, as a student might write them (the same for every network).
CODE = {"g-answer": "def softsign_slope(n):\n    return 1 / (1 + abs(n)) ** 2",
        "h-answer": "def momentum(w, dL_dw, v, learning_rate, beta):\n    v = beta * v + dL_dw\n"
                    "    return w - learning_rate * v, v",
        "i-answer": "def binary_cross_entropy(o, target):\n    return -(target * math.log(o) + (1 - target) * math.log(1 - o))"}


def right(config, **cells) -> dict:
    """The answer cells of a submission that answers everything right for config, but for the cells given."""
    v = expected(config)
    return {"a-answer": f"n = {v['n']!r}\no = {v['o']!r}", "b-answer": f"dL_db = {v['dL_db']!r}",
            "c-answer": f"loss = {v['loss']!r}", "d-answer": f"w1 = {v['w1']!r}",
            "e-answer": f"learning_rate = {v['learning_rate']!r}", "f-answer": f"delta_h1 = {v['delta_h1']!r}", **CODE,
            **cells}


def notebook(config, answers: dict, after: dict | None = None) -> nbformat.NotebookNode:
    """The student's copy for config with some answer cells filled in, and cells of the student's own after the cells
    named in after (by nbgrader id)."""
    nb = course.student_copy(config)
    cells = []
    for cell in nb.cells:
        if course.grade_id(cell) in answers:
            cell.source = answers[course.grade_id(cell)]
        cells.append(cell)
        cells.extend(nbformat.v4.new_code_cell(source) for source in (after or {}).get(course.grade_id(cell), ()))
    nb.cells = cells
    return nb


def table(path: Path) -> dict:
    with path.open(newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    assert rows[0] == HEADER
    return {row[0]: dict(zip(HEADER, row)) for row in rows[1:]}


def survivors() -> list[str]:
    """Processes an attack started that are still alive."""
    return [line for line in processes() if ATTACK in line]


def to_every_descriptor(data: str) -> str:
    """A cell that writes the bytes the expression data makes to every file descriptor it may have open."""
    return f"import os\nfor fd in range(3, 64):\n    try:\n        os.write(fd, {data})\n    except OSError:\n        pass"


def write_class(folder: Path, roster: list[tuple[str, str]], notebooks: dict) -> tuple[Path, Path]:
    """roster.csv, course.secret and each submission (a path relative to folder/class, or the student_id)."""
    with (folder / "roster.csv").open("w", newline="", encoding="utf-8") as file:
        csv.writer(file).writerows([("student_id", "name"), *roster])
    (folder / "course.secret").write_text(SECRET + "\n")
    for name, nb in notebooks.items():
        path = folder / "class" / (name if "/" in name else f"{name}.ipynb")
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(nb, str):
            path.write_text(nb, encoding="utf-8")
        else:
            nbformat.write(nb, path)
    return folder / "roster.csv", folder / "course.secret"


# The grader, with its own peak memory written to a file as it exits.
GRADER = ("import resource, sys\nfrom hnn.cli import main\nstatus = main(sys.argv[2:])\n"
          "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))\nsys.exit(status)")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """One class of 26 submissions graded once, two at a time: right and wrong ones, the two that an earlier grader
    got wrong, edited numbers, answers of every type the checks take, and every attack on the grader seen so far."""
    folder = tmp_path_factory.mktemp("course")
    out, ipython = folder / "grades.csv", folder / "instructor-ipython"
    ids = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "session", "startup",
           "append", "copy", "shared", "hook", "channel", "channel2", "stop", "selfkill", "leak", "flood", "holder",
           "bigchannel", "formula", "coder", "broken"]
    nets = {student_id: network(student_id) for student_id in ids}
    v = {student_id: expected(config) for student_id, config in nets.items()}
    classmates = [str(folder / "class" / f"{name}.ipynb") for name in ("alice", "bob", "dave")]

    def answered_a(student_id):
        return {"a-answer": right(nets[student_id])["a-answer"]}

    shared = network("shared")
    setup = next(c.source for c in course.student_copy(NETWORK).cells if course.grade_id(c) == "setup")

    def edited(nb):  # the setup cell's network replaced by the one every student shares
        for cell in nb.cells:
            if course.grade_id(cell) == "setup":
                cell.source = setup
        return nb

    out_text, roster_text, secret_text = str(out), str(folder / "roster.csv"), str(folder / "course.secret")
    attacks = {
        # A child in a session of its own, to rewrite grades.csv once the grader has gone.
        "session": f"""
import os, subprocess, sys
code = 'import time, pathlib; time.sleep(3); pathlib.Path({out_text!r}).write_text("forged")  # {ATTACK}'
subprocess.Popen([sys.executable, '-c', code], start_new_session=True)
try:
    grader = open(f'/proc/{{os.getppid()}}/cmdline').read()
except OSError:
    pass""",
        # IPython start-up files that would scale every later answer, here and in the instructor's own JupyterLab.
        "startup": f"""
import os, pathlib
for folder in [{str(ipython)!r}, os.path.expanduser('~/.ipython'), os.environ['IPYTHONDIR']]:
    try:
        startup = pathlib.Path(folder, 'profile_default', 'startup')
        startup.mkdir(parents=True, exist_ok=True)
        (startup / '00-scale.py').write_text('import builtins; builtins.SCALE = 1.01')
    except OSError:
        pass""",
        # A wrong answer appended to classmates' notebooks.
        "append": f"""
for path in {classmates!r}:
    try:
        open(path, 'a').write('n = 0')
    except OSError:
        pass""",
        # A classmate's answer cells run, its own left `...`.
        "copy": f"""
import json
try:
    for cell in json.load(open({classmates[0]!r}))['cells']:
        if cell['metadata'].get('nbgrader', {{}}).get('grade_id', '').endswith('-answer'):
            exec(''.join(cell['source']))
except OSError:
    pass""",
        # A hook that prints a line of answers after every cell, and print itself replaced.
        "hook": f"""
import builtins
line = 'hnn-grade-answers {{"n": {{"value": {v['hook']['n']!r}}}}}'
get_ipython().events.register('post_run_cell', lambda result: print(line))
builtins.print = lambda *args, **kwargs: None""",
        # Lines that are not JSON, JSON that is not an answer, and 2 MB, written to every file descriptor.
        "channel": to_every_descriptor("b'this is not JSON\\n'"),
        "channel2": to_every_descriptor(
            """b'{"step": 99, "task": "e", "error": null, "answers": {"learning_rate": 5}}\\n[1, 2]\\n'"""),
        "bigchannel": to_every_descriptor("b'x' * (2 << 20)"),
        # SIGSTOP to every process it can see, SIGKILL to its parent, then a loop that never ends.
        "stop": """
import os, signal
for pid in filter(str.isdigit, os.listdir('/proc')):
    if int(pid) != os.getpid():
        try:
            os.kill(int(pid), signal.SIGSTOP)
        except OSError:
            pass
try:
    os.kill(os.getppid(), signal.SIGKILL)
except OSError:
    pass
while True:
    pass""",
        "selfkill": "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)",
        # A child that holds the grader's end of the channel, to print a false summary 30 s later.
        "holder": f"""
import os, subprocess
fds = [int(fd) for fd in os.listdir('/proc/self/fd') if int(fd) > 2]
fds = [fd for fd in fds if os.path.exists(f'/proc/self/fd/{{fd}}')]
subprocess.Popen(['/bin/sh', '-c', 'sleep 30; echo graded 30 of 30 submissions # {ATTACK}'], pass_fds=fds,
                 start_new_session=True)""",
    }
    answer_cells = {
        # Environment variables, the grader's command line, the roster, the secret and a classmate's notebook as an answer.
        "leak": f"""
import os
n = str(dict(os.environ)) + ' '.join(os.listdir('/'))
try:
    n += ' '.join(os.listdir({str(folder / "class")!r}))
except OSError as error:
    n += str(error)
for path in ['/proc/1/cmdline', f'/proc/{{os.getppid()}}/cmdline', {roster_text!r}, {secret_text!r}, {classmates[0]!r}]:
    try:
        n += open(path).read()
    except OSError as error:
        n += str(error)
o = n""",
        # 200 MB printed, and an answer of 100 MB.
        "flood": "import sys\nfor _ in range(2):\n    sys.stdout.write('x' * 10**8)\nn = 'y' * 10**8\no = n",
        # hnn's own expected values, for the network every student shares in notebooks/exercises.ipynb.
        "shared": "from hnn.classroom.exercises import NETWORK, Checks\nq = Checks(**NETWORK.to_dict()).questions\n"
                  "n = q['n'].expected\no = q['o'].expected",
    }
    ivan = v["ivan"]
    notebooks = {
        # (c) works n and o out again, as its task says to: (a) is read from (a)'s own cell, and is right.
        "alice": notebook(nets["alice"], right(nets["alice"], **{"c-answer": reusing(nets["alice"])})),
        # (a) wrong; (b)'s cell sets o again, right: (a) stays wrong.
        "bob": notebook(nets["bob"], right(nets["bob"], **{
            "a-answer": f"n = {1.05 * v['bob']['n']!r}\no = math.tanh(n)",
            "b-answer": f"o = math.tanh({v['bob']['n']!r})\ndL_db = {v['bob']['dL_db']!r}"})),
        "dave": notebook(nets["dave"], right(nets["dave"], **{"a-answer": "n = 1 / 0\no = 0.5"})),
        "erin": notebook(nets["erin"], right(nets["erin"], **{"c-answer": "while True:\n    pass"})),
        "frank": '{"cells": [',
        "grace": edited(notebook(nets["grace"], right(nets["grace"]))),  # the shared numbers put in, her own answered
        "heidi": edited(notebook(nets["heidi"], right(NETWORK))),  # the shared numbers put in and answered
        "ivan": notebook(nets["ivan"], {  # every kind of number the checks take
            "a-answer": f"from fractions import Fraction\nimport numpy as np\nn = Fraction({ivan['n']!r})\n"
                        f"o = np.float32({ivan['o']!r})",
            "b-answer": f"import numpy as np\ndL_db = np.float64({ivan['dL_db']!r})",
            "c-answer": f"from decimal import Decimal\nfrom fractions import Fraction\n"
                        f"loss = Fraction(Decimal('{ivan['loss']!r}'))",
            "d-answer": f"w1 = {ivan['w1']!r}",
            "e-answer": f"import numpy as np\nlearning_rate = np.float32({ivan['learning_rate']!r})",
            "f-answer": f"import numpy as np\ndelta_h1 = np.float64({ivan['delta_h1']!r})",
            "g-answer": "import numpy as np\ndef softsign_slope(n):\n    return np.float64(1 / (1 + abs(n)) ** 2)",
            "h-answer": "def momentum(w, dL_dw, v, learning_rate, beta):\n    v = beta * v + dL_dw\n"
                        "    return [w - learning_rate * v, v]",
            "i-answer": CODE["i-answer"]}),
        "judy": notebook(nets["judy"], right(nets["judy"], **{"c-answer": "loss = 10**5000"})),
        "hook": notebook(nets["hook"], {"b-answer": right(nets["hook"])["b-answer"]}, {"setup": [attacks["hook"]]}),
        "append": notebook(nets["append"], {}, {"setup": [attacks["append"]]}),
        "copy": notebook(nets["copy"], {}, {"setup": [attacks["copy"]]}),
        "shared": notebook(shared, {"a-answer": answer_cells["shared"]}),
        **{name: notebook(nets[name], {"a-answer": answer_cells[name]}) for name in ("leak", "flood")},
        **{name: notebook(nets[name], answered_a(name), {"a": [attacks[name]]})
           for name in ("session", "startup", "channel", "channel2", "bigchannel", "stop", "selfkill", "holder")},
        # Functions with a typical mistake each, and functions that raise, never return, or return a word.
        "coder": notebook(nets["coder"], right(nets["coder"], **{
            "g-answer": "def softsign_slope(n):\n    return 1 / (1 + abs(n))",
            "h-answer": "def momentum(w, dL_dw, v, learning_rate, beta):\n"
                        "    return w - learning_rate * v, beta * v + dL_dw",
            "i-answer": "def binary_cross_entropy(o, target):\n"
                        "    return -(target * math.log10(o) + (1 - target) * math.log10(1 - o))"})),
        "broken": notebook(nets["broken"], right(nets["broken"], **{
            "g-answer": "def softsign_slope(n):\n    return 1 / (1 + n) ** 2 if n > 0 else undefined_name",
            "h-answer": "def momentum(w, dL_dw, v, learning_rate, beta):\n    while True:\n        try:\n"
                        "            pass\n        except Exception:\n            pass",
            "i-answer": "def binary_cross_entropy(o, target):\n    return 'cross-entropy'"})),
        # nbgrader's layout, and a file name that is a spreadsheet formula.
        'submitted/formula/exercises/=HYPERLINK("evil.example","x").ipynb': notebook(nets["formula"],
                                                                                           right(nets["formula"])),
    }
    roster = [(i, {"alice": "Alice Able", "formula": "=1+2", "bob": "Bob, Jr."}.get(i, "")) for i in ids]
    roster_path, secret = write_class(folder, roster, notebooks)
    ipython.mkdir()
    before = {p: p.read_bytes() for p in (folder / "class").rglob("*") if p.is_file()}
    peak = folder / "peak"
    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", GRADER, str(peak), "grade", "--roster", str(roster_path), "--secret-file", str(secret),
         str(folder / "class"), "--out", str(out), "--lms", "canvas", "--lms", "moodle", "--timeout", str(TIMEOUT),
         "--jobs", "2"],
        capture_output=True, text=True, timeout=900, cwd=folder,
        env={**os.environ, "IPYTHONDIR": str(ipython), "HNN_TOKEN": CANARY},
    )
    seconds = time.monotonic() - start
    left = survivors()
    return {"folder": folder, "out": out, "result": result, "before": before, "v": v, "ipython": ipython,
            "survivors": left, "peak_kb": int(peak.read_text()) if peak.exists() else None, "seconds": seconds}


def row(graded, student_id) -> dict:
    return table(graded["out"])[student_id]


def page(graded, student_id) -> str:
    return (graded["folder"] / "feedback" / f"{student_id}.html").read_text(encoding="utf-8")


def points(graded, student_id) -> list[str]:
    r = row(graded, student_id)
    return [r[task] for task in "abcdefghi"] + [r["total"]]


def test_the_class_ran_and_every_failure_is_one_line(graded):
    result = graded["result"]
    assert result.returncode == 1, result.stderr
    lines = result.stderr.splitlines()
    failing = ["erin", "frank", "channel", "channel2", "stop", "selfkill", "bigchannel"]
    assert [line.split(" ")[2] for line in lines] == failing, lines
    assert all(re.fullmatch(r"hnn grade: \w+ \(.*\): .+", line) for line in lines), lines
    assert result.stdout.splitlines() == [
        f"graded 19 of 26 submissions into {graded['out']}, {graded['out'].with_name('grades.canvas.csv')},"
        f" {graded['out'].with_name('grades.moodle.csv')}; feedback in {graded['folder'] / 'feedback'}/"
        " (1 on the roster without a submission)"]


def test_a_right_submission_that_reuses_n_and_o_in_c_gets_full_marks(graded):
    assert points(graded, "alice") == ["2", "1", "1", "1", "1", "1", "1", "1", "1", "10"]
    assert row(graded, "alice")["status"] == "graded"
    assert "✓ n is right<br>\n✓ o is right" in page(graded, "alice")


def test_a_wrong_a_stays_wrong_when_a_later_cell_sets_o_again(graded):
    assert points(graded, "bob") == ["0", "1", "1", "1", "1", "1", "1", "1", "1", "8"]
    feedback = page(graded, "bob")
    assert re.search("✗ n is too (high|low), off by about 5%", feedback) and "✗ o " in feedback


def test_an_answer_cell_that_raises_scores_0_with_its_own_line(graded):
    assert points(graded, "dave") == ["0", "1", "1", "1", "1", "1", "1", "1", "1", "8"]
    assert "✗ its answer cell raised ZeroDivisionError: division by zero" in page(graded, "dave")


def test_a_never_ending_cell_keeps_what_was_answered_before_it(graded):
    r = row(graded, "erin")
    assert points(graded, "erin") == ["2", "1", "0", "0", "0", "0", "0", "0", "0", "3"]
    assert (r["status"], r["note"]) == ("error", f"did not finish within {TIMEOUT} s")
    assert f"✗ not reached: the notebook did not finish within {TIMEOUT} s" in page(graded, "erin")


def test_each_function_is_called_on_the_students_own_inputs_and_its_mistake_named(graded):
    assert points(graded, "coder") == ["2", "1", "1", "1", "1", "1", "0", "0", "0", "7"]
    feedback = page(graded, "coder")
    assert "✗ softsign_slope looks like the square is forgotten" in feedback
    assert "✗ momentum looks like the step uses the old velocity v, not the new one" in feedback
    assert "✗ binary_cross_entropy looks like log10 in place of the natural log" in feedback


def test_a_function_that_raises_never_returns_or_returns_a_word_is_one_line_and_the_rest_is_graded(graded):
    r = row(graded, "broken")
    assert points(graded, "broken") == ["2", "1", "1", "1", "1", "1", "0", "0", "0", "7"]
    assert (r["status"], r["note"]) == ("graded", "")
    feedback = html.unescape(page(graded, "broken"))
    assert "✗ softsign_slope(-3) raised NameError: name 'undefined_name' is not defined" in feedback
    assert "✗ momentum(0.5, 0.2, 0.1, 0.1, 0.9) did not return within 2 s: does a loop never end?" in feedback
    assert "✗ binary_cross_entropy(0.8, 1) should return a finite number, got 'cross-entropy'" in feedback
    assert "Traceback" not in feedback


def test_a_file_that_is_no_notebook_is_an_error_row(graded):
    r = row(graded, "frank")
    assert (r["total"], r["status"], r["note"]) == ("0", "error", "is not a notebook (NotJSONError)")


def test_a_student_without_a_submission_has_an_empty_row_and_a_page(graded):
    assert row(graded, "carol") == dict(zip(HEADER, ["carol", "", "", "", "", "", "", "", "", "", "", "", "10", "not submitted",
                                                 ""]))
    assert "carol: no submission was found." in page(graded, "carol")


def test_the_numbers_come_from_the_roster_not_from_the_notebook(graded):
    # her own network's answers, whatever it shows
    assert points(graded, "grace") == ["2", "1", "1", "1", "1", "1", "1", "1", "1", "10"]
    assert points(graded, "heidi")[:4] == ["0"] * 4  # the numbers she put in are not hers


def test_any_answer_the_checks_take_is_graded_the_same(graded):
    # Fraction, numpy float32 and float64, Decimal, and functions returning numpy floats and a list
    assert points(graded, "ivan") == ["2", "1", "1", "1", "1", "1", "1", "1", "1", "10"]


def test_a_huge_integer_is_one_wrong_answer(graded):
    assert points(graded, "judy") == ["2", "1", "0", "1", "1", "1", "1", "1", "1", "9"]
    assert "✗ loss should be a finite number, got &lt;int that cannot be shown&gt;" in page(graded, "judy")


def test_no_process_a_submission_started_outlives_the_grader_and_the_gradebook_is_the_graders(graded):
    assert graded["survivors"] == []
    assert points(graded, "session") == ["2", "0", "0", "0", "0", "0", "0", "0", "0", "2"]
    assert points(graded, "holder") == ["2", "0", "0", "0", "0", "0", "0", "0", "0", "2"]
    time.sleep(3.5)  # past the moment the session's child meant to rewrite grades.csv
    assert "forged" not in graded["out"].read_text()


def test_startup_files_reach_neither_the_instructor_nor_a_classmate(graded):
    assert points(graded, "startup")[-1] == "2"
    assert list(graded["ipython"].iterdir()) == []
    assert points(graded, "alice")[-1] == "10"


def test_no_submission_reads_or_writes_a_classmates_notebook(graded):
    after = {p: p.read_bytes() for p in (graded["folder"] / "class").rglob("*") if p.is_file()}
    assert after == graded["before"]
    assert points(graded, "append")[-1] == "0" and points(graded, "copy")[-1] == "0"
    assert "✗ n is not set" not in page(graded, "copy")  # its own answer cells were read: `...`
    assert "Not answered yet: replace the ... of n" in page(graded, "copy")


def test_the_expected_values_of_the_shared_network_are_no_use(graded):
    assert points(graded, "shared")[:1] == ["0"]  # hnn imports in the sandbox, and its answers are another network's
    assert "✗ n " in page(graded, "shared") and "✗ o " in page(graded, "shared")


def test_nothing_printed_or_hooked_becomes_an_answer(graded):
    assert points(graded, "hook") == ["0", "1", "0", "0", "0", "0", "0", "0", "0", "1"]


@pytest.mark.parametrize("student_id, note", [
    ("channel", "sent the grader something that is not its answers"),
    ("channel2", "sent the grader something that is not its answers"),
    ("bigchannel", "sent the grader more than 1 MB"),
    ("selfkill", "was ended by SIGKILL before its last cell"),
])
def test_a_submission_that_writes_to_or_breaks_the_channel_keeps_what_it_answered_before(graded, student_id, note):
    r = row(graded, student_id)
    assert (r["a"], r["total"], r["status"], r["note"]) == ("2", "2", "error", note)


def test_stopping_every_process_in_sight_cannot_pause_the_time_limit(graded):
    r = row(graded, "stop")
    assert (r["a"], r["total"], r["status"]) == ("2", "2", "error")
    assert r["note"] in (f"did not finish within {TIMEOUT} s", f"used up its {TIMEOUT} s of CPU time")


def test_feedback_shows_no_more_than_a_short_escaped_excerpt(graded):
    outputs = [p for p in graded["folder"].rglob("*") if p.is_file() and p.suffix in (".csv", ".html")]
    text = "\n".join(p.read_text(encoding="utf-8") for p in outputs)
    assert CANARY not in text and SECRET not in text
    leak = page(graded, "leak")
    line = next(line for line in leak.splitlines() if "✗ n should be a finite number, got " in line)
    shown = html.unescape(line.split("got ", 1)[1].split("<br>")[0])
    assert len(shown) <= 40
    assert "bob.ipynb" not in leak and "dave.ipynb" not in leak and "3f1c" not in leak  # no classmate, no secret
    assert points(graded, "flood")[-1] == "0"
    assert max(p.stat().st_size for p in outputs) < 10_000


def test_the_graders_memory_stays_small_whatever_a_submission_prints(graded):
    assert graded["peak_kb"] is not None and graded["peak_kb"] < 600_000  # torch alone is some 250 MB


def test_a_formula_as_a_file_or_a_name_is_text_in_every_csv(graded):
    assert points(graded, "formula")[-1] == "10"  # found in nbgrader's submitted/<student_id>/<assignment>/ layout
    for name in ("grades.csv", "grades.canvas.csv", "grades.moodle.csv"):
        with (graded["folder"] / name).open(newline="", encoding="utf-8") as file:
            cells = [cell for row in csv.reader(file) for cell in row]
        assert not any(cell[:1] in ("=", "+", "-", "@") for cell in cells), name
        assert "'=1+2" in cells
    assert "<code>=HYPERLINK(&quot;evil.example&quot;,&quot;x&quot;).ipynb</code>" in page(graded, "formula")


def test_the_sandbox_runs_what_the_setup_cell_gives_the_answer_cells_and_not_its_checks():
    setup = next(c.source for c in course.template().cells if course.grade_id(c) == "setup")
    assert setup.startswith(grade.PRELUDE + "\n\nfrom hnn.classroom.exercises import Checks\n\nex = Checks(")
    assert grade.GIVEN == {"setup", "a", "b", "c", "d", "e", "f", "g", "h", "i"}


def test_a_notebook_with_odd_marks_or_no_cell_ids_is_read(tmp_path):
    nb = notebook(network("s001"), {"a-answer": "n = 1\no = 2"})
    nb.nbformat_minor = 4
    for cell in nb.cells:
        del cell["id"]
    nb.cells[1].metadata["nbgrader"] = ["not", "a", "mapping"]  # the setup cell's mark, broken: it runs as the student's
    nbformat.write(nb, tmp_path / "s001.ipynb", version=nbformat.NO_CONVERT)
    steps = grade.plan(tmp_path / "s001.ipynb", 10, grade.inputs(network("s001")))["cells"]
    assert steps[0]["source"] == nb.cells[1].source and "task" not in steps[0]
    assert steps[1] == {"source": "n = 1\no = 2", "task": "a", "kind": "value", "names": ["n", "o"]}


def test_a_functions_calls_are_taken_only_as_capture_sends_them():
    """What a submission sends for a function of (g) to (i) is checked like any answer: a call more than its inputs, a
    result of the wrong number of values or of no kind capture.py sends stops the reading there."""
    cell = {"source": "", "task": "h", "kind": "code", "names": ["momentum"], "inputs": [[0.5, 0.2, 0.1, 0.1, 0.9]],
            "outputs": 2, "seconds": 2}
    run_plan = {"cells": [cell]}

    def sent(entry):
        return grade.answers(run_plan, [{"ready": True}, {"step": 0, "task": "h", "error": None,
                                                         "answers": {"momentum": entry}}, {"done": True}])

    right = {"calls": [{"returned": [{"number": 0.471}, {"number": 0.29}]}]}
    assert sent(right) == ({"h": (None, {"momentum": right})}, None)
    assert sent({"calls": [{"timeout": True}]})[1] is None and sent({"calls": [{"raised": "E: x"}]})[1] is None
    for forged in ({"calls": [right["calls"][0]] * 2}, {"calls": [{"returned": [{"number": 0.471}]}]},
                   {"calls": [{"returned": [{"number": 0.471}, {"unset": True}]}]}, {"calls": [{"timeout": 1}]},
                   {"calls": [{"verdict": "ok"}]}, {"calls": "all right"}):
        assert sent(forged) == ({}, grade.MISBEHAVED), forged


# A small class, graded at --jobs 1 and --jobs 2, against files written by hand.
SMALL = [("s001", "Ada Lovelace"), ("s002", "Turing, Alan"), ("s003", "=cmd|' /C calc'!A0"), ("s004", "Grace Hopper"),
         ("s005", "")]


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    folder = tmp_path_factory.mktemp("small")
    nets = {student_id: network(student_id) for student_id, _ in SMALL}
    s002 = expected(nets["s002"])
    notebooks = {
        "s001": notebook(nets["s001"], right(nets["s001"])),
        "s002": notebook(nets["s002"], right(nets["s002"], **{"a-answer": f"n = {s002['n']!r}\no = {s002['n']!r}"})),
        "s003": notebook(nets["s003"], right(nets["s003"], **{"b-answer": "dL_db = 1 / 0", "e-answer": "learning_rate = 0.001"})),
        "s004": "not a notebook",
    }
    roster, secret = write_class(folder, SMALL, notebooks)
    runs = {}
    for jobs in ("1", "2"):
        out = folder / f"jobs{jobs}" / "grades.csv"
        out.parent.mkdir()
        result = subprocess.run(
            [Path(sys.executable).parent / "hnn", "grade", "--roster", str(roster), "--secret-file", str(secret),
             str(folder / "class"), "--out", str(out), "--lms", "moodle", "--lms", "canvas", "--jobs", jobs],
            capture_output=True, text=True, timeout=600)
        runs[jobs] = (result, {p.relative_to(out.parent): p.read_bytes() for p in out.parent.rglob("*") if p.is_file()})
    return runs


def test_the_gradebook_is_the_file_written_by_hand(small):
    result, files = small["1"]
    assert result.returncode == 1 and result.stderr == "hnn grade: s004 (" + result.stderr.split("(", 1)[1]
    assert files[Path("grades.csv")].decode() == (
        "student_id,name,a,b,c,d,e,f,g,h,i,total,max,status,note\r\n"
        "s001,Ada Lovelace,2,1,1,1,1,1,1,1,1,10,10,graded,\r\n"
        's002,"Turing, Alan",1,1,1,1,1,1,1,1,1,9,10,graded,\r\n'
        "s003,'=cmd|' /C calc'!A0,2,0,1,1,0,1,1,1,1,8,10,graded,\r\n"
        "s004,Grace Hopper,0,0,0,0,0,0,0,0,0,0,10,error,is not a notebook (NotJSONError)\r\n"
        "s005,,,,,,,,,,,,10,not submitted,\r\n")


def test_the_canvas_layout_is_the_file_written_by_hand(small):
    """Canvas's importer: Student, ID, SIS User ID, SIS Login ID, Section, then the assignment; a Points Possible row."""
    assert small["1"][1][Path("grades.canvas.csv")].decode() == (
        "Student,ID,SIS User ID,SIS Login ID,Section,exercises\r\n"
        "Points Possible,,,,,10\r\n"
        "Ada Lovelace,,s001,,,10\r\n"
        '"Turing, Alan",,s002,,,9\r\n'
        "'=cmd|' /C calc'!A0,,s003,,,8\r\n"
        "Grace Hopper,,s004,,,0\r\n")


def test_the_moodle_layout_is_the_file_written_by_hand(small):
    """Moodle's CSV import: a column to map to the users' ID number, the grade, and its feedback."""
    assert small["1"][1][Path("grades.moodle.csv")].decode() == (
        "ID number,Name,exercises,Feedback\r\n"
        's001,Ada Lovelace,10,"(a) 2 of 2, (b) 1 of 1, (c) 1 of 1, (d) 1 of 1, (e) 1 of 1, (f) 1 of 1, (g) 1 of 1,'
        ' (h) 1 of 1, (i) 1 of 1"\r\n'
        's002,"Turing, Alan",9,"(a) 1 of 2, (b) 1 of 1, (c) 1 of 1, (d) 1 of 1, (e) 1 of 1, (f) 1 of 1, (g) 1 of 1,'
        ' (h) 1 of 1, (i) 1 of 1"\r\n'
        's003,\'=cmd|\' /C calc\'!A0,8,"(a) 2 of 2, (b) 0 of 1, (c) 1 of 1, (d) 1 of 1, (e) 0 of 1, (f) 1 of 1,'
        ' (g) 1 of 1, (h) 1 of 1, (i) 1 of 1"\r\n'
        's004,Grace Hopper,0,"(a) 0 of 2, (b) 0 of 1, (c) 0 of 1, (d) 0 of 1, (e) 0 of 1, (f) 0 of 1, (g) 0 of 1,'
        ' (h) 0 of 1, (i) 0 of 1. The submission is not a notebook (NotJSONError)."\r\n')


def test_two_jobs_give_the_same_bytes_as_one(small):
    assert small["1"][1] == small["2"][1]
    assert small["1"][0].stdout == small["2"][0].stdout.replace("jobs2", "jobs1")


# Bad input: one line, exit status 2, nothing run and nothing written.
@pytest.fixture
def course_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    nbformat.write(notebook(network("s001"), {}), tmp_path / "s001.ipynb")
    write_class(tmp_path, SMALL, {})
    (tmp_path / "class").mkdir(exist_ok=True)
    return tmp_path


@pytest.mark.parametrize("args, message", [
    (["s001.ipynb", "--out", "g.txt"], "--out must be a .csv file, new or existing, got g.txt"),
    (["s001.ipynb", "--out", "s001.ipynb"], "--out must be a .csv file, new or existing, got s001.ipynb"),
    (["s001.ipynb", "--out", "missing/g.csv"], "--out must be a file in an existing folder, got missing/g.csv"),
    (["s001.ipynb", "--out", "link.csv"], "--out link.csv is one of the submissions"),
    (["class", "--out", "g.csv"], "no submissions: give notebooks, or folders that hold .ipynb files"),
    (["x.ipynb", "--out", "g.csv"], "submission x.ipynb does not exist"),
    (["roster.csv", "--out", "g.csv"], "a submission must be an .ipynb notebook or a folder of them, got roster.csv"),
    (["stray.ipynb", "--out", "g.csv"], "stray.ipynb matches no student_id on the roster: its file name or a folder above it"
                                        " must be one"),
    (["s001.ipynb", "dup/s001.ipynb", "--out", "g.csv"], "two submissions for s001: s001.ipynb and dup/s001.ipynb"),
    (["s001.ipynb", "--out", "g.csv", "--jobs", "0"], "--jobs must be a whole number of at least 1, got '0'"),
    (["s001.ipynb", "--out", "g.csv", "--timeout", "soon"], "--timeout must be a number of seconds greater than 0, got 'soon'"),
    (["s001.ipynb", "--out", "g.csv", "--assignment", ""],
     "--assignment must be a name of 1 to 100 printable characters, got ''"),
])
def test_bad_input_is_one_line_and_writes_nothing(hnn_cli, course_folder, args, message):
    (course_folder / "link.csv").symlink_to("s001.ipynb")
    nbformat.write(notebook(NETWORK, {}), course_folder / "stray.ipynb")
    (course_folder / "dup").mkdir()
    nbformat.write(notebook(NETWORK, {}), course_folder / "dup" / "s001.ipynb")
    before = sorted(p.name for p in course_folder.rglob("*"))
    result = hnn_cli("grade", "--roster", "roster.csv", "--secret-file", "course.secret", *args)
    assert (result.returncode, result.stderr) == (2, f"hnn grade: error: {message}\n")
    assert sorted(p.name for p in course_folder.rglob("*")) == before


@pytest.mark.parametrize("roster, message", [
    ("name\nAda\n", "--roster roster.csv needs a header row with a student_id column (and, if you like, a name column)"),
    ("student_id\n", "--roster roster.csv lists no students: one row per student under its student_id header"),
    ("student_id\n../x\n", "--roster roster.csv, line 2: a student_id must be letters, digits and . _ @ + -, starting with"
                           " a letter or digit, at most 100 characters, got '../x'"),
    ("student_id\n=1+2\n", "--roster roster.csv, line 2: a student_id must be letters, digits and . _ @ + -, starting with"
                           " a letter or digit, at most 100 characters, got '=1+2'"),
    ("student_id\ns1\ns1\n", "--roster roster.csv, line 3: student_id s1 appears twice"),
])
def test_a_bad_roster_is_one_line(hnn_cli, course_folder, roster, message):
    (course_folder / "roster.csv").write_text(roster)
    result = hnn_cli("grade", "--roster", "roster.csv", "--secret-file", "course.secret", "s001.ipynb", "--out", "g.csv")
    assert (result.returncode, result.stderr) == (2, f"hnn grade: error: {message}\n")


def test_grading_needs_the_roster_and_the_secret(hnn_cli, course_folder):
    result = hnn_cli("grade", "--roster", "roster.csv", "s001.ipynb", "--out", "g.csv")
    assert (result.returncode, result.stderr) == (2, "hnn grade: error: grading needs --roster ROSTER.csv and --secret-file"
                                                     " FILE: each student's network comes from them\n")


def test_a_short_secret_is_refused_and_says_how_to_make_one(hnn_cli, course_folder):
    (course_folder / "course.secret").write_text("hunter2\n")
    result = hnn_cli("grade", "--roster", "roster.csv", "--secret-file", "course.secret", "s001.ipynb", "--out", "g.csv")
    assert result.returncode == 2
    assert result.stderr == ("hnn grade: error: --secret-file course.secret holds 7 bytes, and a secret needs at least 16;"
                             " make one with: python3 -c \"import secrets; print(secrets.token_hex(32))\" > course.secret\n")


def test_a_secret_the_sandbox_could_read_is_refused(hnn_cli, course_folder):
    secret = Path(hnn.__file__)  # a file that exists in every installation, inside one of the folders a sandbox reads
    inside = next(folder for folder in sandbox.folders() if folder in secret.resolve().parents)
    result = hnn_cli("grade", "--roster", "roster.csv", "--secret-file", str(secret), "s001.ipynb",
                     "--out", "g.csv")
    assert result.returncode == 2
    assert result.stderr.endswith(f"is inside {inside}, which every sandbox can read: keep the class's files elsewhere\n")


def test_without_bubblewrap_grading_refuses_unless_unsafe(course_folder):
    env = {**os.environ, "PATH": str(Path(sys.executable).parent)}  # no bwrap on it
    command = [Path(sys.executable).parent / "hnn", "grade", "--roster", "roster.csv", "--secret-file", "course.secret",
               "s001.ipynb", "--out", "g.csv"]
    refused = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    assert (refused.returncode, refused.stderr) == (1, (
        "hnn grade: error: grading in a sandbox needs bubblewrap (bwrap), which is not installed"
        f" ({sandbox.INSTALL}); --unsafe grades without a sandbox, with your rights\n"))
    assert not (course_folder / "g.csv").exists()
    unsafe = subprocess.run([*command, "--unsafe"], capture_output=True, text=True, env=env, timeout=300)
    assert unsafe.returncode == 0, unsafe.stderr
    assert table(course_folder / "g.csv")["s001"]["status"] == "graded"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_is_one_line_and_leaves_nothing_behind(course_folder, signum):
    forever = notebook(network("s001"), {"a-answer": f"# {ATTACK}-{signum}\nwhile True:\n    pass"})
    nbformat.write(forever, course_folder / "s001.ipynb")
    grader = subprocess.Popen([Path(sys.executable).parent / "hnn", "grade", "--roster", "roster.csv", "--secret-file",
                               "course.secret", "s001.ipynb", "--out", "g.csv"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    sandboxed = {}  # this grader's own: other tests beside it run capture.py too
    while not sandboxed and time.monotonic() < deadline:
        time.sleep(0.1)  # until the sandbox runs
        sandboxed = {pid for pid, line in descendants(grader.pid).items() if "capture.py" in line}
    assert sandboxed, "the submission never started"
    time.sleep(1)
    grader.send_signal(signum)
    out, err = grader.communicate(timeout=60)
    assert (grader.returncode, out, err) == (128 + signum, "", f"hnn grade: stopped by {signal.Signals(signum).name}\n")
    assert sorted(p.name for p in course_folder.iterdir()) == ["class", "course.secret", "roster.csv", "s001.ipynb"]
    time.sleep(0.5)
    assert not any("capture.py" in command_line(pid) for pid in sandboxed)


def test_nbgrader_generates_and_autogrades_a_key_as_it_is(tmp_path):
    """A course folder: source/exercises/ holds a student's key; each student's copy of the release under submitted/.
    The submission whose (c) works n and o out again scores full marks, as it does with hnn grade."""
    pytest.importorskip("nbgrader", reason="nbgrader is the test extra's")
    bin_folder = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_folder}{os.pathsep}{os.environ['PATH']}"}  # nbgrader runs `alembic` from PATH
    (tmp_path / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.course_id = 'neurons'\nc.ClearSolutions.code_stub = {'python': '...'}\n")
    mine = network("alice")
    (tmp_path / "source" / "exercises").mkdir(parents=True)
    course.write(tmp_path / "source" / "exercises" / "exercises.ipynb", course.key(mine))
    subprocess.run([bin_folder / "nbgrader", "generate_assignment", "exercises", "--create"], cwd=tmp_path, env=env,
                   check=True, capture_output=True, timeout=300)
    release = nbformat.read(tmp_path / "release" / "exercises" / "exercises.ipynb", 4)
    assert [c.source for c in release.cells] == [c.source for c in course.student_copy(mine).cells]
    reuse = right(mine, **{"c-answer": reusing(mine)})
    wrong = right(mine, **{"b-answer": f"dL_db = {-expected(mine)['dL_db']!r}", "d-answer": f"w1 = {mine.w1!r}"})
    for student, answers in (("alice", reuse), ("bob", wrong)):
        nb = nbformat.from_dict(release)
        for cell in nb.cells:
            if course.grade_id(cell) in answers:
                cell.source = answers[course.grade_id(cell)]
        (tmp_path / "submitted" / student / "exercises").mkdir(parents=True)
        nbformat.write(nb, tmp_path / "submitted" / student / "exercises" / "exercises.ipynb")
    subprocess.run([bin_folder / "nbgrader", "autograde", "exercises", "--create"], cwd=tmp_path, env=env, check=True,
                   capture_output=True, timeout=300)
    with sqlite3.connect(tmp_path / "gradebook.db") as db:  # nbgrader's own gradebook, read without its ORM
        scores = dict(db.execute(
            "SELECT student.id, SUM(grade.auto_score) FROM grade"
            " JOIN submitted_notebook ON grade.notebook_id = submitted_notebook.id"
            " JOIN submitted_assignment ON submitted_notebook.assignment_id = submitted_assignment.id"
            " JOIN student ON submitted_assignment.student_id = student.id GROUP BY student.id"))
    assert scores == {"alice": 10, "bob": 8}
