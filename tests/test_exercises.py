"""The exercise checks accept the right answer, name the mistake in a wrong one with a hint, and never print the
answer; the student copy and the key come from one template, which holds no answer."""
import ast
import json
import math
import re
import shutil
import subprocess
import sys
import zipfile
from fractions import Fraction

import nbclient
import nbformat
import numpy as np
import pytest

import hnn
from hnn.classroom import course
from hnn.classroom import exercises as ex
from tests import plain
from tests.conftest import ROOT

# The exercises' network, written again here, and its first two epochs worked out with the math module.
X1, X2, W1, W2, B, TARGET, LEARNING_RATE, EPOCHS = 1.5, -0.5, 0.8, -0.6, -0.25, 0.25, 0.1, 10


def epoch(w1, w2, b, learning_rate=LEARNING_RATE):
    """One epoch in plain floats: n, o, the loss, dL/do, do/dn, dL/dn and the updated parameters."""
    n = X1 * w1 + X2 * w2 + b
    o = math.tanh(n)
    dL_do, do_dn = o - TARGET, 1 - o**2
    dL_dn = dL_do * do_dn
    updated = (w1 - learning_rate * X1 * dL_dn, w2 - learning_rate * X2 * dL_dn, b - learning_rate * dL_dn)
    return n, o, 0.5 * (o - TARGET) ** 2, dL_do, do_dn, dL_dn, updated


N, O, LOSS_1, DL_DO, DO_DN, DL_DB, AFTER_1 = epoch(W1, W2, B)
N_2, O_2, LOSS_2, _, _, DL_DN_2, AFTER_2 = epoch(*AFTER_1)
W1_1, W1_2 = AFTER_1[0], AFTER_2[0]  # w1 when epoch 2 starts, and after its update
STEP = W1_2 - W1_1
SIGMOID_O = 1 / (1 + math.exp(-N))
# Exercise (f): epoch 1 of Mazur's 2-2-2 network with the exercises' inputs, replayed in plain floats, and h1's delta by
# its two paths; the mistakes below are worked out from the same numbers.
HIDDEN = plain.replay_hidden_layer(1, 0.5, x1=X1, x2=X2)[0]
PATHS = HIDDEN["w5"] * HIDDEN["dL/dno1"], HIDDEN["w7"] * HIDDEN["dL/dno2"]
SLOPE_H1 = HIDDEN["h1"] * (1 - HIDDEN["h1"])
DELTA_H1 = sum(PATHS) * SLOPE_H1


def final_loss(learning_rate, epochs=EPOCHS):
    """The exercises' network trained with plain floats and the hand-derived gradients."""
    params = (W1, W2, B)
    for _ in range(epochs):
        params = epoch(*params, learning_rate)[-1]
    return epoch(*params)[2]


NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:e-?\d+)?(?![\w%]|\.\d)")  # not in a name like w2, nor a percentage


def numbers_near(text: str, value: float) -> list[str]:
    """The numbers in text that are the value at any rounding down to two significant figures."""
    return [t for t in NUMBER.findall(text) if math.isclose(float(t), value, rel_tol=0.01)]


EX = ex.Checks(x1=X1, x2=X2, w1=W1, w2=W2, b=B, target=TARGET, learning_rate=LEARNING_RATE, epochs=EPOCHS)


def test_the_network_is_not_the_walkthroughs():
    walkthrough = hnn.Config()
    assert ex.NETWORK == EX.network
    for name in ("x1", "x2", "w1", "w2", "b", "target", "learning_rate"):
        assert getattr(ex.NETWORK, name) != getattr(walkthrough, name), name


def test_no_answer_is_printed_in_the_walkthrough():
    outputs = json.dumps([c.get("outputs", []) for c in nbformat.read(ROOT / "notebooks/hacking_neural_networks.ipynb", 4).cells])
    for answer in (O, DL_DB, LOSS_2, W1_2):  # n = 1.25 is too round a number not to appear somewhere
        assert f"{answer:.5f}" not in outputs


def source() -> nbformat.NotebookNode:
    return course.student_copy()


def test_the_notebook_states_the_network_and_each_exercises_givens():
    text = "\n".join(c.source for c in source().cells if c.cell_type == "markdown").replace("−", "-")
    assert f"| {X1} | {X2} | {W1} | {W2} | {B} | {TARGET} | {LEARNING_RATE} | {EPOCHS} | tanh |" in text
    givens = {  # (c) starts from epoch 1's update and its loss; (d) from epoch 2's w1 and dL/dn; (f) from h1, o1 and
        "c": ([LOSS_1, *AFTER_1], 6),  # the output deltas, to Mazur's 9 decimals
        "d": ([W1_1, DL_DN_2], 6),
        "f": ([HIDDEN["h1"], HIDDEN["o1"], HIDDEN["dL/dno1"], HIDDEN["dL/dno2"]], 9),
    }
    for exercise, (values, digits) in givens.items():
        task = next(c.source for c in source().cells if c.metadata["nbgrader"]["grade_id"] == f"{exercise}-task")
        for value in values:
            assert f"{value:.{digits}f}" in task.replace("−", "-"), (exercise, value)
    task = next(c.source for c in source().cells if c.metadata["nbgrader"]["grade_id"] == "f-task")
    assert "$w_5 = 0.4$, $w_6 = 0.45$,\n$w_7 = 0.5$ and $w_8 = 0.55$" in task and "$x_2 = −0.5$" in task
    assert f"still about {final_loss(LEARNING_RATE):.2g}" in text


RIGHT = [
    (lambda: EX.check_n_and_o(N, O), ["✓ n is right", "✓ o is right"]),
    (lambda: EX.check_dL_db(DL_DB), ["✓ dL_db is right"]),
    (lambda: EX.check_loss(LOSS_2), ["✓ loss is right"]),
    (lambda: EX.check_w1(W1_2), ["✓ w1 is right"]),
    (lambda: EX.check_delta_h1(DELTA_H1), ["✓ delta_h1 is right"]),
]


@pytest.mark.parametrize("check, lines", RIGHT)
def test_the_right_answer_gets_a_tick(capsys, check, lines):
    check()
    assert capsys.readouterr().out.splitlines() == lines


def test_an_answer_worked_out_to_five_significant_figures_is_right(capsys):
    five = lambda value: float(f"{value:.5g}")  # noqa: E731
    EX.check_n_and_o(five(N), five(O))
    EX.check_dL_db(five(DL_DB))
    EX.check_loss(five(LOSS_2))
    EX.check_w1(five(W1_2))
    EX.check_delta_h1(five(DELTA_H1))
    assert capsys.readouterr().out.count("✓") == 6


def test_an_answer_from_the_givens_as_printed_is_right(capsys):
    n = X1 * round(AFTER_1[0], 6) + X2 * round(AFTER_1[1], 6) + round(AFTER_1[2], 6)
    EX.check_loss(0.5 * (math.tanh(n) - TARGET) ** 2)
    EX.check_w1(round(W1_1, 6) - LEARNING_RATE * X1 * round(DL_DN_2, 6))
    h1 = round(HIDDEN["h1"], 9)
    EX.check_delta_h1((0.4 * round(HIDDEN["dL/dno1"], 9) + 0.5 * round(HIDDEN["dL/dno2"], 9)) * h1 * (1 - h1))
    assert capsys.readouterr().out.splitlines() == ["✓ loss is right", "✓ w1 is right", "✓ delta_h1 is right"]


@pytest.mark.parametrize("digits", [2, 3, 4])
def test_a_coarser_answer_is_told_to_keep_more_digits(capsys, digits):
    EX.check_n_and_o(N, float(f"{O:.{digits}g}"))
    line = capsys.readouterr().out.splitlines()[1]
    assert line.startswith(f"✗ o is right to {digits} significant figures, but the exercise asks for 5")


def rounded_early_dL_db():
    o = round(O, 3)  # o copied out as 0.848, then used
    return (o - TARGET) * (1 - o**2)


# Each exercise's common mistakes: the wrong answer each gives, worked out from the mistake itself, and the words
# its diagnosis must use. The right value and the size the error is measured against come last.
MISTAKES = [
    ("n", N - B, "looks like the bias b is left out", N),
    ("n", N - X2 * W2, "looks like the x2*w2 term is left out", N),
    ("n", W1 + W2 + B, "looks like the inputs x1 and x2 are left out", N),
    ("n", -N, "has the wrong sign", N),
    ("o", N, "looks like n itself: the activation is left out", O),
    ("o", SIGMOID_O, "looks like sigmoid(n), not tanh(n)", O),
    ("dL_db", -DL_DB, "looks like the sign is flipped", DL_DB),
    ("dL_db", 2 * DL_DB, "looks like twice the gradient", DL_DB),
    ("dL_db", DL_DO, "looks like dL/do alone: do/dn is left out", DL_DB),
    ("dL_db", DO_DN, "looks like do/dn alone: dL/do is left out", DL_DB),
    ("dL_db", DL_DO * (1 - O), "looks like the wrong activation derivative, 1 - o", DL_DB),
    ("dL_db", DL_DO * O * (1 - O), "looks like the wrong activation derivative, sigmoid's o*(1 - o)", DL_DB),
    ("dL_db", rounded_early_dL_db(), "looks like a value was rounded too early", DL_DB),
    ("loss", LOSS_1, "looks like the loss before the update, not after it", LOSS_2),
    ("loss", 2 * LOSS_2, "looks like twice the loss", LOSS_2),
    ("loss", O_2, "looks like o, not the loss", LOSS_2),
    ("loss", O_2 - TARGET, "looks like o - target, not the loss", LOSS_2),
    ("loss", 0.5 * (math.tanh(round(N_2, 2)) - TARGET) ** 2, "looks like a value was rounded too early", LOSS_2),
    ("w1", W1_1, "looks like w1 before the update: no step taken", W1_2),
    ("w1", W1_1 - STEP, "looks like a step in the wrong direction", W1_2),
    ("w1", W1_1 - LEARNING_RATE * DL_DN_2, "looks like the input factor x1 is left out", W1_2),
    ("w1", W1_1 - X1 * DL_DN_2, "looks like the learning rate is left out", W1_2),
    ("w1", STEP, "looks like the step alone, not w1 after it", W1_2),
    ("w1", W1_1 - LEARNING_RATE * X1 * round(DL_DN_2, 2), "looks like a value was rounded too early", W1_2),
    ("w1", W1_1 + STEP / 2, "is too high, off by about 50% of the step", W1_2),
    ("delta_h1", PATHS[0] * SLOPE_H1, "looks like only the path through o1: the path through o2 is forgotten", DELTA_H1),
    ("delta_h1", PATHS[1] * SLOPE_H1, "looks like only the path through o2: the path through o1 is forgotten", DELTA_H1),
    ("delta_h1", sum(PATHS), "looks like dL/dh1: h1's slope is left out", DELTA_H1),
    ("delta_h1", sum(PATHS) * HIDDEN["o1"] * (1 - HIDDEN["o1"]), "looks like the output's slope o1*(1 - o1) in place of h1's",
     DELTA_H1),
    ("delta_h1", (0.45 * HIDDEN["dL/dno1"] + 0.55 * HIDDEN["dL/dno2"]) * SLOPE_H1,
     "looks like h2's weights w6 and w8 in place of h1's", DELTA_H1),
    ("delta_h1", -DELTA_H1, "looks like the sign is flipped", DELTA_H1),
    ("delta_h1", sum(PATHS) * (1 - HIDDEN["h1"] ** 2), "looks like tanh's slope 1 - h1**2 in place of sigmoid's", DELTA_H1),
    ("delta_h1", (PATHS[0] + PATHS[1]) * round(SLOPE_H1, 3), "looks like a value was rounded too early", DELTA_H1),
]
CHECKS = {"n": lambda v: EX.check_n_and_o(v, O), "o": lambda v: EX.check_n_and_o(N, v), "dL_db": EX.check_dL_db,
          "loss": EX.check_loss, "w1": EX.check_w1, "delta_h1": EX.check_delta_h1}


@pytest.mark.parametrize("name, wrong, diagnosis, expected", MISTAKES, ids=lambda v: v if isinstance(v, str) else "")
def test_a_common_mistake_is_named_with_a_hint_but_not_the_answer(capsys, name, wrong, diagnosis, expected):
    assert f"{wrong:.5g}" != f"{expected:.5g}"  # the mistake really gives another answer at five significant figures
    CHECKS[name](wrong)
    line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith(f"✗ {name} "))
    verdict, hint = line.split(" Hint: ")
    assert verdict.startswith(f"✗ {name} {diagnosis}")
    assert hint
    assert numbers_near(line, expected) == []


def test_the_error_in_a_new_w1_is_measured_against_the_step():
    assert abs(STEP) < 0.05 * abs(W1_2)  # so an error measured against w1 would call every mistake "less than 5%"
    for wrong in (W1_1, W1_1 - STEP, W1_1 - LEARNING_RATE * DL_DN_2):
        assert EX.verdict("d", w1=wrong).feedback.count("looks like") == 1


def test_the_hint_is_fixed_text_whatever_the_answer(capsys):
    EX.check_w1(0.5)
    EX.check_w1(7.0)
    first, second = (line.split(" Hint: ")[1] for line in capsys.readouterr().out.splitlines())
    assert first == second


def test_how_far_off_is_relative_and_rounded(capsys):
    EX.check_n_and_o(N * 1.5, O)
    EX.check_n_and_o(N * 1.005, O)
    first, _, second, _ = capsys.readouterr().out.splitlines()
    assert "off by about 50%." in first
    assert second.startswith("✗ n looks like a value was rounded too early: it is close, but not right to 5")


@pytest.mark.parametrize("answer", ["0.88", None, True, math.nan, math.inf, -math.inf, 10**400, 10**5000, [1.25],
                                    "x" * 10**6 + "\n=1+1", 1j], ids=lambda a: type(a).__name__)
def test_an_answer_that_is_not_a_finite_number_is_named_in_one_line(capsys, answer):
    EX.check_w1(answer)
    out = capsys.readouterr().out
    assert out.startswith("✗ w1 should be a finite number, got ")
    assert out.count("\n") == 1 and len(out) < 120


def test_an_integer_too_long_to_print_is_named_by_its_type(capsys):
    EX.check_loss(10**5000)  # Python refuses to turn an int of more than 4300 digits into text
    assert capsys.readouterr().out == "✗ loss should be a finite number, got <int that cannot be shown>\n"


@pytest.mark.parametrize("n, o", [(Fraction(5, 4), O), (np.float64(N), np.float32(O)), (N, float(f"{O:.7g}"))])
def test_any_real_number_type_is_an_answer(capsys, n, o):
    """Python's Fraction and numpy's floats are real numbers: the check takes them as what they are worth."""
    assert abs(Fraction(5, 4) - N) < 1e-15  # the exercises' n: 1.5*0.8 + -0.5*-0.6 + -0.25, 1.25 but for rounding
    EX.check_n_and_o(n, o)
    assert capsys.readouterr().out.splitlines() == ["✓ n is right", "✓ o is right"]


def test_a_numpy_float32_learning_rate_is_trained_as_the_float_it_holds(capsys):
    EX.check_learning_rate(np.float32(0.3))
    loss = final_loss(float(np.float32(0.3)))
    assert capsys.readouterr().out == f"✓ right: with learning_rate = 0.3 the loss after 10 epochs is {loss:.2g}\n"


def test_the_placeholder_asks_for_an_answer(capsys):
    EX.check_n_and_o(..., ...)
    EX.check_learning_rate(...)
    assert capsys.readouterr().out.splitlines() == [
        "Not answered yet: replace the ... of n with your answer, then run that cell and this one",
        "Not answered yet: replace the ... of o with your answer, then run that cell and this one",
        "Not answered yet: replace the ... of learning_rate with your answer, then run that cell and this one",
    ]


def test_an_exercise_is_wrong_if_one_answer_is_and_unanswered_while_one_is_missing():
    assert EX.verdict("a", n=N, o=O).status == "ok"
    assert EX.verdict("a", n=N, o=...).status == "unanswered"
    assert EX.verdict("a", n=-N, o=...).status == "wrong"


def test_a_learning_rate_that_reaches_the_goal_is_right(capsys):
    assert final_loss(0.3) < 0.01
    EX.check_learning_rate(0.3)
    out = capsys.readouterr().out
    assert out == f"✓ right: with learning_rate = 0.3 the loss after 10 epochs is {final_loss(0.3):.2g}\n"


def test_a_learning_rate_too_small_is_told_to_grow(capsys):
    assert final_loss(0.1) >= 0.01
    EX.check_learning_rate(0.1)
    out = capsys.readouterr().out
    assert out.startswith(f"✗ with learning_rate = 0.1 the loss after 10 epochs is {final_loss(0.1):.2g},")
    assert "try a larger learning rate" in out


def test_a_learning_rate_too_large_is_told_to_shrink(capsys):
    assert final_loss(2.0) >= 0.01
    EX.check_learning_rate(2.0)
    assert "the steps overshoot: try a smaller learning rate" in capsys.readouterr().out


def test_an_invalid_learning_rate_gets_the_configs_message(capsys):
    EX.check_learning_rate(-1)
    assert capsys.readouterr().out.startswith("✗ learning_rate must be a number greater than 0")


# The two copies.
ANSWER_NAMES = {f"{exercise}-answer": task.names for exercise, task in ex.TASKS.items() if task.kind == "value"}
# The functions of (g) to (i) as the student's copy holds them: the def line, then `...` where each value goes.
STUBS = {
    "g-answer": "def softsign_slope(n):\n    slope = (\n        ...\n    )\n    return slope",
    "h-answer": "def momentum(w, dL_dw, v, learning_rate, beta):\n    new_v = (\n        ...\n    )\n"
                "    new_w = (\n        ...\n    )\n    return new_w, new_v",
    "i-answer": "def binary_cross_entropy(o, target):\n    L = (\n        ...\n    )\n    return L",
}
# Each answer of the exercises' network, worked out above with the math module, and (e)'s learning rates that work.
EXPECTED = {"n": N, "o": O, "dL_db": DL_DB, "loss": LOSS_2, "w1": W1_2, "delta_h1": DELTA_H1}


def written(value: float, text: str) -> bool:
    """Whether text writes value at five significant figures as a number of its own, where a reader sees it: n = 1.25
    is not in "441.25", a diagram's coordinate, nor in stroke-width="1.25", an attribute of a drawing."""
    seen = re.sub(r'[\w:-]+=\\?"[^"]*"', "", text).replace("−", "-")
    return re.search(rf"(?<![\d.]){re.escape(f'{value:.5g}')}(?!\d)", seen) is not None


def grade_id(cell) -> str:
    return cell.metadata["nbgrader"]["grade_id"]


def test_the_committed_notebook_is_the_student_copy():
    committed, student = nbformat.read(ROOT / "notebooks/exercises.ipynb", 4), course.student_copy()
    assert [(c.cell_type, c.source, c.metadata) for c in committed.cells] == [
        (c.cell_type, c.source, c.metadata) for c in student.cells
    ]


def test_the_student_copy_holds_placeholders_and_no_answer():
    student = course.student_copy()
    text = json.dumps(student)
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS", "verdict(", "{{"):
        assert marker not in text
    answers = {grade_id(c): c.source for c in student.cells if c.metadata["nbgrader"]["solution"]}
    assert answers == {**{cell: "\n".join(f"{name} = (\n    ...\n)" for name in names) for cell, names in ANSWER_NAMES.items()},
                       **STUBS}
    for value in EXPECTED.values():  # at five significant figures or more, in any form a number is written
        assert not written(value, text), value


def test_the_setup_cell_makes_the_checks_for_the_network_in_the_table():
    setup = next(c.source for c in course.student_copy().cells if grade_id(c) == "setup")
    namespace = {}
    exec(setup, namespace)  # noqa: S102  the committed copy's own setup cell, run as the notebook runs it
    assert namespace["ex"].network == ex.NETWORK and namespace["math"] is math


def test_each_exercise_states_its_points_as_its_check_cell_is_marked():
    cells = {grade_id(c): c for c in course.template().cells}
    for exercise in ex.TASKS:
        points = cells[exercise].metadata["nbgrader"]["points"]
        heading = cells[f"{exercise}-task"].source.splitlines()[0]
        assert heading.endswith(f" ({points} point{'s' if points != 1 else ''})"), heading
    assert course.points() == {"a": 2, "b": 1, "c": 1, "d": 1, "e": 1, "f": 1, "g": 1, "h": 1, "i": 1}


def test_each_check_reads_only_its_own_exercises_answers():
    """So that an exercise left unanswered, or wrong, never breaks a later one."""
    for cell in course.key().cells:
        if cell.cell_type == "code" and cell.metadata["nbgrader"]["grade"]:
            used = {node.id for node in ast.walk(ast.parse(cell.source)) if isinstance(node, ast.Name)}
            assert used == {"ex", *ex.TASKS[grade_id(cell)].names}, grade_id(cell)
        if cell.cell_type == "code" and cell.metadata["nbgrader"]["solution"]:
            tree = ast.parse(cell.source)
            loaded = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
            if grade_id(cell) in STUBS:  # a function: its parameters and its own locals, math and abs
                own = {n.arg for n in ast.walk(tree) if isinstance(n, ast.arg)}
                own |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
                assert loaded <= {"math", "abs", *own}, grade_id(cell)
            else:
                assert loaded <= {"math", *ANSWER_NAMES[grade_id(cell)]}, grade_id(cell)  # its own answers, no earlier one


def test_the_committed_student_copy_asks_for_every_answer():
    committed = nbformat.read(ROOT / "notebooks/exercises.ipynb", 4)
    checks = [c for c in committed.cells if c.cell_type == "code" and c.metadata["nbgrader"]["grade"]]
    lines = [line for c in checks for o in c.outputs for line in o.text.splitlines()]
    assert len(lines) == len(ex.TASKS) + 1  # (a) asks for n and for o
    assert all(line.startswith("Not answered yet") for line in lines)


def test_the_key_holds_each_answer_and_passes_every_check():
    key = course.key()
    values = {}
    for cell in key.cells:
        if cell.cell_type == "code" and cell.metadata["nbgrader"]["solution"]:
            exec(cell.source, {}, values)  # noqa: S102
    assert {name: values[name] for name in EXPECTED} == pytest.approx(EXPECTED, rel=1e-12)
    assert final_loss(values["learning_rate"]) < 0.01
    nbclient.NotebookClient(key, timeout=120, record_timing=False,
                            resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
    # A cell's printed text may arrive in several stream outputs, split anywhere: each cell's are joined first.
    lines = [line for c in key.cells if c.cell_type == "code"
             for line in "".join(o.get("text", "") for o in c.outputs).splitlines()]
    assert len(lines) == len(ex.TASKS) + 1
    assert all(line.startswith("✓") for line in lines), lines


def test_hnn_exercises_writes_both_copies_and_refuses_to_overwrite(hnn_cli, tmp_path):
    student, solutions = tmp_path / "student.ipynb", tmp_path / "solutions.ipynb"
    result = hnn_cli("exercises", "--student", str(student), "--solutions", str(solutions))
    assert result.returncode == 0, result.stderr
    assert nbformat.read(student, 4) == course.student_copy()
    assert "### BEGIN SOLUTION" in solutions.read_text() and "### BEGIN HIDDEN TESTS" in solutions.read_text()
    before = student.read_bytes()
    result = hnn_cli("exercises", "--student", str(student))
    assert (result.returncode, result.stderr) == (2, f"hnn exercises: error: {student} exists; pass --force to overwrite it\n")
    assert hnn_cli("exercises", "--student", str(student), "--force").returncode == 0
    assert student.read_bytes() == before  # the same copy, byte for byte
    assert sorted(p.name for p in tmp_path.iterdir()) == ["solutions.ipynb", "student.ipynb"]  # no temporary left


@pytest.mark.parametrize("args, message", [
    ((), "give --student OUT.ipynb, --solutions OUT.ipynb or both, or --roster for a class"),
    (("--student", "missing/x.ipynb"), "missing is not a folder; a copy is written into an existing one"),
    (("--solutions", "x.txt"), "a copy must be an .ipynb file, got x.txt"),
    (("--student", "x.ipynb", "--keys", "k"), "--secret-file, --out and --keys go with --roster: each student's own copy"),
])
def test_hnn_exercises_bad_input_is_one_line(hnn_cli, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    result = hnn_cli("exercises", *args)
    assert (result.returncode, result.stderr) == (2, f"hnn exercises: error: {message}\n")
    assert list(tmp_path.iterdir()) == []


def test_hnn_exercises_needs_no_nbgrader(hnn_cli, tmp_path, monkeypatch):
    for name in ("nbgrader", "nbgrader.preprocessors"):
        monkeypatch.setitem(sys.modules, name, None)  # an import of it now fails, as if not installed
    result = hnn_cli("exercises", "--student", str(tmp_path / "s.ipynb"), "--solutions", str(tmp_path / "k.ipynb"))
    assert result.returncode == 0, result.stderr


def test_the_wheel_carries_the_template_and_no_answer(tmp_path):
    """What `pip wheel .` builds, from a copy of the committed files: the template is in it, and no notebook holds a
    solution region, a hidden test or an answer of the committed copy (the keys are made from traces, by code)."""
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    source = tmp_path / "source"
    for name in tracked:
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path / "dist")], check=True, capture_output=True, timeout=300)
    with zipfile.ZipFile(next((tmp_path / "dist").glob("hnn-*.whl"))) as wheel:
        names = wheel.namelist()
        assert "hnn/classroom/exercises_template.ipynb" in names and "hnn/notebooks/exercises.ipynb" in names
        assert not any("source" in name or "solution" in name for name in names)
        for name in (name for name in names if name.endswith(".ipynb")):
            text = wheel.read(name).decode("utf-8")
            assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text, name
            assert not any(written(value, text) for value in EXPECTED.values()), name


# (g) to (i): functions, each called on inputs the student does not see. Each right function and each typical wrong one
# is written here by hand, and every expected value worked out with the math module.
def softsign_slope(n):
    return 1 / (1 + abs(n)) ** 2  # d/dn n/(1 + |n|) = ((1 + |n|) - n·sign(n)) / (1 + |n|)²


def momentum(w, dL_dw, v, learning_rate, beta):
    v = beta * v + dL_dw
    return w - learning_rate * v, v


def cross_entropy(o, target):
    return -(target * math.log(o) + (1 - target) * math.log(1 - o))


RIGHT = {"softsign_slope": softsign_slope, "momentum": momentum, "binary_cross_entropy": cross_entropy}
CHECK = {"softsign_slope": EX.check_softsign_slope, "momentum": EX.check_momentum,
         "binary_cross_entropy": EX.check_binary_cross_entropy}


def test_each_function_is_tried_on_fixed_inputs_and_on_numbers_of_the_students_network():
    tried = {name: EX.functions[name].inputs for name in RIGHT}
    assert tried["softsign_slope"][:4] == ((2.0,), (-3.0,), (-0.5,), (0.25,))
    assert [x for x, in tried["softsign_slope"][4:]] == pytest.approx([N, O - TARGET], rel=1e-12)
    # epoch 2's w1 and b, their gradients, and their velocities after epoch 1 (the gradients of epoch 1)
    assert np.array(tried["momentum"][2:]) == pytest.approx(np.array([(W1_1, X1 * DL_DN_2, X1 * DL_DB, LEARNING_RATE, 0.9),
                                                                      (AFTER_1[2], DL_DN_2, DL_DB, LEARNING_RATE, 0.5)]),
                                                            rel=1e-12)
    assert np.array(tried["binary_cross_entropy"][3:]) == pytest.approx(np.array([(HIDDEN["o1"], 0.01), (HIDDEN["o2"], 0.99)]),
                                                                        rel=1e-12)
    other = ex.Checks(**{**ex.NETWORK.to_dict(), "x1": -1.2, "w2": 0.3})
    assert all(other.functions[name].inputs[-1] != tried[name][-1] for name in RIGHT)  # each student's own


def test_the_expected_values_are_the_formulas_worked_out_with_math():
    for name, right in RIGHT.items():
        function = EX.functions[name]
        worked = [right(*arguments) for arguments in function.inputs]
        worked = [value if isinstance(value, tuple) else (value,) for value in worked]
        assert np.array(function.expected) == pytest.approx(np.array(worked), rel=1e-12), name


@pytest.mark.parametrize("name", RIGHT)
def test_a_right_function_gets_a_tick(capsys, name):
    CHECK[name](RIGHT[name])
    tried = len(EX.functions[name].inputs)
    assert capsys.readouterr().out == f"✓ {name} is right on each of the {tried} inputs it was tried on\n"


def test_a_function_right_up_to_the_rounding_of_another_order_is_right():
    assert EX.verdict("g", softsign_slope=lambda n: (1 + abs(n)) ** -2).status == "ok"
    assert EX.verdict("i", binary_cross_entropy=lambda o, t: -t * math.log(o) - (1 - t) * math.log1p(-o)).status == "ok"


def _old_velocity(w, dL_dw, v, learning_rate, beta):
    return w - learning_rate * v, beta * v + dL_dw


def _beta_on_gradient(w, dL_dw, v, learning_rate, beta):
    v = v + beta * dL_dw
    return w - learning_rate * v, v


def _ascent(w, dL_dw, v, learning_rate, beta):
    v = beta * v + dL_dw
    return w + learning_rate * v, v


def _no_learning_rate(w, dL_dw, v, learning_rate, beta):
    v = beta * v + dL_dw
    return w - v, v


def _swapped(w, dL_dw, v, learning_rate, beta):
    v = beta * v + dL_dw
    return v, w - learning_rate * v


def _rate_inside(w, dL_dw, v, learning_rate, beta):
    v = beta * v + learning_rate * dL_dw
    return w - v, v


def _averaged(w, dL_dw, v, learning_rate, beta):
    v = beta * v + (1 - beta) * dL_dw
    return w - learning_rate * v, v


WRONG = [  # each typical wrong function, and what its check must say it looks like
    ("softsign_slope", lambda n: 1 / (1 + abs(n)), "the square is forgotten"),
    ("softsign_slope", lambda n: 1 / (1 + n) ** 2, "the absolute value is forgotten: it is wrong for a negative n"),
    ("softsign_slope", lambda n: -1 / (1 + abs(n)) ** 2, "the sign is flipped"),
    ("softsign_slope", lambda n: n / (1 + abs(n)), "softsign(n) itself, not its slope"),
    ("softsign_slope", lambda n: ((1 + abs(n)) - n) / (1 + abs(n)) ** 2, "d|n|/dn is taken as 1: it is wrong for a negative n"),
    ("softsign_slope", lambda n: ((1 + abs(n)) + n * math.copysign(1, n)) / (1 + abs(n)) ** 2,
     "the quotient rule's minus is a plus"),
    ("momentum", _old_velocity, "the step uses the old velocity v, not the new one"),
    ("momentum", _beta_on_gradient, "beta multiplies the gradient"),
    ("momentum", _ascent, "a step uphill (+), not down"),
    ("momentum", _no_learning_rate, "the learning rate is left out of the step"),
    ("momentum", _swapped, "the new w and the new v swapped"),
    ("momentum", _rate_inside, "the learning rate is inside the velocity"),
    ("momentum", _averaged, "the gradient is scaled by 1 - beta"),
    ("binary_cross_entropy", lambda o, t: t * math.log(o) + (1 - t) * math.log(1 - o), "the minus sign in front is left out"),
    ("binary_cross_entropy", lambda o, t: -t * math.log(o), "the (1 - target) * log(1 - o) term is left out"),
    ("binary_cross_entropy", lambda o, t: 0.5 * (o - t) ** 2, "the squared error ½(o - target)², not cross-entropy"),
    ("binary_cross_entropy", lambda o, t: (t - o) ** 2, "the squared error (o - target)², not cross-entropy"),
    ("binary_cross_entropy", lambda o, t: -(t * math.log10(o) + (1 - t) * math.log10(1 - o)),
     "log10 in place of the natural log"),
    ("binary_cross_entropy", lambda o, t: -(t * math.log(1 - o) + (1 - t) * math.log(o)), "log(o) and log(1 - o) swapped"),
]


@pytest.mark.parametrize("name, wrong, looks_like", WRONG)
def test_a_typical_wrong_function_is_named_with_a_hint_but_not_the_answer(capsys, name, wrong, looks_like):
    CHECK[name](wrong)
    out = capsys.readouterr().out
    assert out.startswith(f"✗ {name} looks like {looks_like}. Hint: ") and out.count("\n") == 1, out
    expected = [x for arguments in EX.functions[name].inputs for x in np.atleast_1d(RIGHT[name](*arguments))]
    assert not any(numbers_near(out, value) for value in expected if abs(value) > 0.05), out


def test_a_wrong_function_like_no_mistake_shows_where_it_is_wrong_but_not_the_answer(capsys):
    EX.check_softsign_slope(lambda n: 1 / (1 + abs(n)) ** 3)
    EX.check_momentum(lambda w, g, v, lr, beta: (w - lr * (beta * v + g), beta * v + g + 1))
    assert capsys.readouterr().out.splitlines() == [
        "✗ softsign_slope(2) returns 0.037037: it is not right (right on 0 of 6 inputs). Hint: softsign(n) = n / (1 + |n|):"
        " take the quotient rule, with d|n|/dn = sign(n).",
        "✗ momentum(0.5, 0.2, 0.1, 0.1, 0.9) returns 0.471, 1.29: the new v is not right (right on 0 of 4 inputs). Hint:"
        " new v = beta * v + dL_dw, then new w = w - learning_rate * new v; return new w, new v.",
    ]


def _never_returns(n):
    while True:
        try:
            pass
        except Exception:  # noqa: S110  a student's loop that even swallows what it can
            pass


def _no_return(n):
    1 / (1 + abs(n)) ** 2


@pytest.mark.parametrize("name, function, status, line", [
    ("softsign_slope", lambda n: 1 / 0, "wrong", "✗ softsign_slope(2) raised ZeroDivisionError: division by zero"),
    ("softsign_slope", _never_returns, "wrong", "✗ softsign_slope(2) did not return within 2 s: does a loop never end?"),
    ("softsign_slope", _no_return, "wrong",
     "✗ softsign_slope(2) should return a finite number, got None (is its return missing?)"),
    ("softsign_slope", lambda n: "slope", "wrong", "✗ softsign_slope(2) should return a finite number, got 'slope'"),
    ("softsign_slope", lambda n: ..., "unanswered",
     "Not answered yet: replace each ... in softsign_slope with your code, then run that cell and this one"),
    ("softsign_slope", 0.25, "wrong", "✗ softsign_slope should be a function, made by the def in its answer cell, got 0.25"),
    ("momentum", lambda w, g, v, lr, beta: w - lr * g, "wrong",
     "✗ momentum(0.5, 0.2, 0.1, 0.1, 0.9) should return 2 numbers, the new w and the new v, got 0.48"),
    ("momentum", lambda w, g, v, lr, beta: (w - lr * (beta * v + g), ...), "unanswered",
     "Not answered yet: replace each ... in momentum with your code, then run that cell and this one"),
    ("binary_cross_entropy", lambda o: o, "wrong",
     "✗ binary_cross_entropy(0.8, 1) raised TypeError: <lambda>() takes 1 positional argument but 2 were given"),
])
def test_a_function_that_raises_loops_or_returns_no_number_is_one_line(capsys, name, function, status, line):
    task = next(e for e, t in ex.TASKS.items() if t.names == (name,))
    assert EX.verdict(task, **{name: function}) == (status, line)
