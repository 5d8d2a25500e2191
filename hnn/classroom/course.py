"""The exercises notebook for one network: the student's copy and its key, both made from one template.

The template, exercises_template.ipynb, travels inside the package, so that `hnn exercises` works wherever hnn is
installed, and it holds no answer: its answer cells hold `...`, and {{name}} fields stand where the network's numbers
go (the table, the givens of (c) to (e), the setup cell's Checks). A key is the student's copy with every answer filled
in, each inside nbgrader's solution region, and a hidden test in each check cell: a value from an hnn trace of the
network, a function of (g) to (i) from CODE below (the same for every network: its checks' inputs are what differ). A
course can also put a key through `nbgrader generate_assignment` and `autograde` as it is.
"""
from __future__ import annotations

import importlib.resources
import re
import statistics
from pathlib import Path

import nbformat

import hnn
from hnn.classroom.exercises import GOAL_LOSS, NETWORK, TASKS, Checks, hidden
from hnn.files import write_atomically

TEMPLATE = importlib.resources.files("hnn.classroom") / "exercises_template.ipynb"
FIELD = re.compile(r"\{\{(\w+)\}\}")
# Where an answer goes: `name = (`, a line of `...`, `)`, at the indentation of a cell or of a function's body.
BLANK = re.compile(r"^(?P<indent> *)(?P<name>\w+) = \(\n(?P=indent)    \.\.\.\n(?P=indent)\)", re.MULTILINE)
# Each answer's working, as a key states it beside the value: the formulas the task and the check's hints give.
FORMULAS = {
    "n": "x1*w1 + x2*w2 + b, epoch 1",
    "o": "tanh(n), epoch 1",
    "dL_db": "(o - target) * (1 - o**2) * 1, epoch 1",
    "loss": "½(o - target)² with epoch 1's updated w1, w2 and b",
    "w1": "w1 - learning_rate * x1 * dL/dn, epoch 2",
    "delta_h1": "(w5 * dL/dno1 + w7 * dL/dno2) * h1 * (1 - h1), epoch 1 of the hidden layer",
}
# The functions of (g) to (i), each line of their code as a key states it, with its working: a derivative done by the
# quotient rule, the momentum rule of hnn.update's example, and the loss as the task writes it.
CODE = {
    "slope": ("1 / (1 + abs(n)) ** 2",
              "((1 + |n|) * 1 - n * sign(n)) / (1 + |n|)², and n * sign(n) = |n|"),
    "new_v": ("beta * v + dL_dw", "v ← beta·v + dL/dw"),
    "new_w": ("w - learning_rate * new_v", "w ← w - learning_rate·v, with the new v"),
    "L": ("-(target * math.log(o) + (1 - target) * math.log(1 - o))", "-(t·ln o + (1 - t)·ln(1 - o))"),
}
HIDDEN_DIGITS = 9  # (f)'s givens, to Mazur's digits: a delta worked from them is right to 5 significant figures


def template() -> nbformat.NotebookNode:
    return nbformat.reads(TEMPLATE.read_text(encoding="utf-8"), as_version=4)


def grade_id(cell) -> str:
    """The nbgrader id the template gives a cell: "a-answer" for (a)'s answer cell, "a" for its check."""
    return cell.metadata.get("nbgrader", {}).get("grade_id", "")


def points() -> dict[str, float]:
    """What each exercise is worth, as the template's check cells state it (and their headings repeat)."""
    return {grade_id(c): c.metadata["nbgrader"]["points"] for c in template().cells if grade_id(c) in TASKS}


def fields(network: hnn.Config) -> dict[str, str]:
    """The text of each {{field}} for this network, as Python writes the numbers: its values, and the givens of
    (c) to (f), read off its traces and rounded as the tasks print them."""
    trace = hnn.train(network)
    first, second = trace.epoch(1), trace.epoch(2)
    values = {name: repr(value) for name, value in network.to_dict().items() if name != "activation"}
    givens = {"loss_1": first.loss, "w1_1": first.updated.w1, "w2_1": first.updated.w2, "b_1": first.updated.b,
              "dL_dn_2": second.grad.n}
    layer = hnn.train(hidden(network)).epoch(1)
    hidden_givens = {"h1_f": layer.h1, "o1_f": layer.o1, "dL_dno1_f": layer.grad.no1, "dL_dno2_f": layer.grad.no2}
    return {**values, **{name: f"{value:.6f}" for name, value in givens.items()},
            **{name: f"{value:.{HIDDEN_DIGITS}f}" for name, value in hidden_givens.items()},
            **{f"{name}_f": repr(getattr(layer, name)) for name in ("w5", "w6", "w7", "w8")},
            "final_loss": f"{trace.final.loss:.2g}", "goal_loss": f"{GOAL_LOSS:g}"}


def _filled(nb: nbformat.NotebookNode, network: hnn.Config) -> nbformat.NotebookNode:
    """nb with every field filled in. In Markdown's prose a negative number takes a true minus sign; in code, and in
    Markdown's `code`, it stays as Python writes it, for a student to copy."""
    texts = fields(network)
    code = lambda m: texts[m.group(1)]  # noqa: E731
    prose = lambda m: texts[m.group(1)].replace("-", "−")  # noqa: E731
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            cell.source = FIELD.sub(code, cell.source)
            continue
        pieces = re.split(r"(`[^`]*`)", cell.source)  # the odd pieces are code spans
        cell.source = "".join(FIELD.sub(code if i % 2 else prose, piece) for i, piece in enumerate(pieces))
    return nb


def student_copy(network: hnn.Config = NETWORK) -> nbformat.NotebookNode:
    """The copy a student gets: the network's numbers in the text and the checks, `...` in every answer cell."""
    return _filled(template(), network)


def answers(network: hnn.Config) -> dict[str, tuple[float, str]]:
    """Each answer of the exercises for this network, and its working: the values of its trace, and for (e) the
    middle one of the learning rates that reach the goal."""
    checks = Checks(**network.to_dict())
    found = {name: (question.expected, FORMULAS[name]) for name, question in checks.questions.items()}
    rates = checks.learning_rates()
    rate = statistics.median_low(rates)
    found["learning_rate"] = (rate, f"the loss after {network.epochs} epochs is {checks.final_loss(rate):.2g};"
                                    f" any of {', '.join(map(str, rates))} is right")
    return found


def key(network: hnn.Config = NETWORK) -> nbformat.NotebookNode:
    """The student's copy solved: each answer inside nbgrader's solution region (its ClearSolutions, with the code stub
    `...`, gives the student's copy back), and each check cell with a hidden test that fails a wrong answer."""
    nb, solved = student_copy(network), answers(network)
    written = {name: (repr(value), formula) for name, (value, formula) in solved.items()} | CODE

    def solution(blank: re.Match) -> str:
        indent, name = blank["indent"], blank["name"]
        text, formula = written[name]
        return (f"{indent}{name} = (\n{indent}    ### BEGIN SOLUTION\n{indent}    {text}  # {formula}\n"
                f"{indent}    ### END SOLUTION\n{indent})")

    for cell in nb.cells:
        exercise = grade_id(cell).removesuffix("-answer")
        if exercise not in TASKS:
            continue
        if grade_id(cell).endswith("-answer"):
            cell.source = BLANK.sub(solution, cell.source)
        else:
            arguments = ", ".join(f"{name}={name}" for name in TASKS[exercise].names)
            test = f'assert ex.verdict("{exercise}", {arguments}).status == "ok"'
            cell.source += f"\n### BEGIN HIDDEN TESTS\n{test}\n### END HIDDEN TESTS"
    return nb


def check_target(path: Path, force: bool) -> None:
    """ValueError, before anything is written, for a path that exists (without force) or has no folder."""
    if path.suffix != ".ipynb":
        raise ValueError(f"a copy must be an .ipynb file, got {path}")
    if path.exists() and not force:
        raise ValueError(f"{path} exists; pass --force to overwrite it")
    if not path.parent.is_dir():
        raise ValueError(f"{path.parent} is not a folder; a copy is written into an existing one")


def notebook_bytes(nb: nbformat.NotebookNode) -> bytes:
    return nbformat.writes(nb).encode("utf-8")


def write(path: Path, nb: nbformat.NotebookNode) -> Path:
    """Write a copy atomically: an interrupted write leaves no half notebook."""
    return write_atomically(path, notebook_bytes(nb))
