"""Worksheets: the PDF's own text (pdftotext) has a row a step, in the order the maths computes them, with blanks at
least 45 mm wide where the answer key has a plain-float replay's values; the diagram marks each value with its step's
number; every page prints on A4 and Letter; same bytes every time; bad input writes nothing."""
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import hnn
from hnn.lessons import hidden_layer
from hnn.views import diagram, worksheet
from hnn.views.diagram import network
from tests import plain
from tests.test_diagram import nodes

pytestmark = pytest.mark.skipif(  # Graphviz itself comes with pygraphviz
    shutil.which("pdftotext") is None, reason="needs poppler-utils' pdftotext (make setup-test installs it)")
OTHER = hnn.Config(x1=-1.5, x2=0.5, w1=0.25, w2=-2.0, b=0.1, target=0.3, learning_rate=0.5, epochs=4,
                   activation="sigmoid")
RELU = hnn.Config(x1=3.0, x2=-0.5, w1=0.5, w2=2.0, b=-0.25, target=2.0, learning_rate=0.05, epochs=3, activation="relu")
BLANK = re.compile(r"^_{10,}$")  # what a blank looks like in the PDF's text
MARK = re.compile(r"^\((\d+)\)$")  # a computed value in the diagram: the number of the step that works it out
LABELS = ("x1", "x2", "w1", "w2", "b", "target", "n", "o", "L", "dL/do", "dL/dn", "dL/dw1", "dL/dw2", "dL/db", "dL/dx1",
          "dL/dx2")  # each printed just left of its value; the three "→ new" rows are told apart by their node
NUMBER = re.compile(r"^−?\d+\.\d{6}$")  # a value as the page prints it
NUMBERS = re.compile(r"−?\d+\.\d{6}")
MM = 25.4 / 72  # millimetres a PDF point
PARAMETERS = ("w1", "w2", "b")
SLOPE_READS = {"tanh": ["o"], "sigmoid": ["o", "o"], "relu": ["n"]}  # 1 − o², o · (1 − o), 1 if n > 0, else 0
# The neuron's steps in the order the maths computes them, each with the values its row shows, in the order it
# writes them: the numbers that go in (the parameters among them given), then the result.
NEURON_STEPS = {
    "n": ["w1", "w2", "b", "n"], "o": ["n", "o"], "L": ["o", "L"],
    "dL/do": ["o", "dL/do"], "do/dn": ["do/dn"], "dL/dn": ["dL/do", "do/dn", "dL/dn"],
    "dL/dw1": ["dL/dn", "dL/dw1"], "dL/dw2": ["dL/dn", "dL/dw2"], "dL/db": ["dL/dn", "dL/db"],
    "dL/dx1": ["w1", "dL/dn", "dL/dx1"], "dL/dx2": ["w2", "dL/dn", "dL/dx2"],
    "new w1": ["w1", "dL/dw1", "new w1"], "new w2": ["w2", "dL/dw2", "new w2"], "new b": ["b", "dL/db", "new b"],
}


def six(value: float) -> str:
    """A value as the page prints it: 6 decimals, a true minus sign, none on a zero."""
    return f"{round(value, 6) + 0.0:.6f}".replace("-", "−")


def replay(config: hnn.Config, epoch: int) -> tuple[dict, dict]:
    """Epoch's given values (x1 … b, target) and every value it computes, from the plain-float replay, as printed."""
    c, step = config, plain.replay(config)[0][epoch - 1]
    given = {"x1": c.x1, "x2": c.x2, "w1": step.w1, "w2": step.w2, "b": step.b, "target": c.target}
    computed = {"n": step.n, "o": step.o, "L": step.loss, "dL/do": step.dL_do, "do/dn": step.do_dn, "dL/dn": step.dL_dn,
                "dL/dw1": step.dL_dw1, "dL/dw2": step.dL_dw2, "dL/db": step.dL_db, "dL/dx1": step.dL_dx1,
                "dL/dx2": step.dL_dx2, "new w1": step.new_w1, "new w2": step.new_w2, "new b": step.new_b}
    return {k: six(v) for k, v in given.items()}, {k: six(v) for k, v in computed.items()}


def words(pdf: Path) -> list[tuple[tuple[float, float], list[tuple[str, float, float, float, float]]]]:
    """Each page's size and every word on it, with its box (x0, y0, x1, y1) in points, as pdftotext reads them."""
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    pages = []
    for page in html.split("<page ")[1:]:
        size = tuple(float(v) for v in re.match(r'width="([\d.]+)" height="([\d.]+)"', page).groups())
        found = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', page)
        pages.append((size, [(text.replace("&gt;", ">"), *map(float, box)) for *box, text in found]))
    return pages


def right_of(found, word, count=1) -> list[str]:
    """The count words to the right of word on its line, nearest first: a label's value, a step's factors."""
    line = sorted((w for w in found if w[1] >= word[3] and min(word[4], w[4]) - max(word[2], w[2]) > 0),
                  key=lambda w: w[1])
    return [w[0] for w in line[:count]]


def values(found, labels=LABELS, parameters=PARAMETERS) -> dict:
    """Each label's value as the diagram shows it (a number or a step's mark): x1 2.000000, dL/dw1 (7), new w1 …"""
    shown = {}
    for word in found:
        value = "".join(right_of(found, word))
        if word[0] in labels and (MARK.match(value) or NUMBER.match(value)):
            assert word[0] not in shown, f"{word[0]} shown twice"
            shown[word[0]] = value
    for name in parameters:  # "→ new" rows: the one below the parameter's name, left-aligned with it
        top = next(w for w in found if w[0] == name and right_of(found, w) == [shown[name]])
        row = min((w for w in found if w[0] == "new" and abs(w[1] - top[1]) < 30 and w[2] > top[2]), key=lambda w: w[2])
        shown[f"new {name}"] = "".join(right_of(found, row))
    return shown


def steps(pdf: Path) -> list[tuple[int, str, list]]:
    """The steps in reading order, page by page, top to bottom: (number, name, the row's words left to right, a line
    below the other where a row takes two). A row starts with its number, "7.", at the left of the steps."""
    rows = []
    for (_, height), found in words(pdf):
        starts = [w for w in found if re.match(r"^\d+\.$", w[0])]
        left = min((w[1] for w in starts), default=0)
        starts = sorted((w for w in starts if abs(w[1] - left) < 1), key=lambda w: w[2])  # not a number in a formula
        for start, below in zip(starts, [*starts[1:], None]):
            # By the bottom of each box, near the baseline whatever the size: a blank's box is taller than the text's.
            bottom = below[4] if below else height
            row, lines = sorted((w for w in found if start[4] - 3 < w[4] <= bottom - 3 and w[1] > start[1] - 3),
                                key=lambda w: w[4]), []
            for word in row:
                if not lines or word[4] - lines[-1][-1][4] > 3:
                    lines.append([])
                lines[-1].append(word)
            ends = [i for i, line in enumerate(lines) if i and min(w[1] for w in line) < start[1] + 1]  # a title
            row = [w for line in lines[:min(ends, default=len(lines))] for w in sorted(line, key=lambda w: w[1])]
            texts = [w[0] for w in row]
            rows.append((int(start[0][:-1]), " ".join(texts[1:texts.index("=")]), row))
    return rows


def make(tmp_path, config, *args) -> Path:
    out = tmp_path / "sheet"
    worksheet.write(hnn.train(config), out, *args)
    return out


@pytest.mark.parametrize("config,epoch", [(hnn.Config(), 1), (OTHER, 3), (RELU, 2)])
def test_a_row_a_step_with_blanks_where_the_answers_have_the_replays_values(tmp_path, config, epoch):
    out = make(tmp_path, config, epoch)
    given, computed = replay(config, epoch)
    shown = given | computed
    sheet, key = steps(out / "worksheet.pdf"), steps(out / "answers.pdf")
    assert [(k, name) for k, name, _ in sheet] == [(k, name) for k, name, _ in key] == list(enumerate(NEURON_STEPS, 1))
    for (_, name, row), (_, _, answer) in zip(sheet, key):
        wanted = (SLOPE_READS[config.activation] if name == "do/dn" else []) + NEURON_STEPS[name]
        # The answers: every number of the step, the result last; the worksheet: the parameters, a blank for the rest.
        assert NUMBERS.findall(" ".join(w[0] for w in answer)) == [shown[v] for v in wanted], name
        assert NUMBERS.findall(" ".join(w[0] for w in row)) == [shown[v] for v in wanted if v in PARAMETERS], name
        blanks = [w for w in row if BLANK.match(w[0])]
        assert len(blanks) == len([v for v in wanted if v not in PARAMETERS]) and row[-1] == blanks[-1], name
    # The diagram: the given values, and each value the epoch computes marked with the number of its step.
    (_, diagram_sheet), = words(out / "worksheet.pdf")
    (_, diagram_key), = words(out / "answers.pdf")
    number = {name: f"({k})" for k, name, _ in sheet}
    marks = {name: number[name] for name in computed if name != "do/dn"}  # do/dn: on no box of the neuron's diagram
    assert values(diagram_sheet) == values(diagram_key) == given | marks
    # Nothing the epoch computes shows anywhere on the worksheet: its numbers are the given ones.
    lr = six(config.learning_rate)
    assert {w[0] for w in diagram_sheet if NUMBER.match(w[0])} <= set(given.values()) | {lr, "−" + lr}
    assert not any(BLANK.match(w[0]) for w in diagram_key) and "Name" not in [w[0] for w in diagram_key]
    text = " ".join(w[0] for w in diagram_sheet)
    assert f"Worksheet: one {config.activation} neuron, epoch {epoch}" in text and f"learning_rate = {lr}" in text
    assert BLANK.match(right_of(diagram_sheet, next(w for w in diagram_sheet if w[0] == "Name"))[0])
    slope = {"tanh": "1 − o²", "sigmoid": "o · (1 − o)", "relu": "1 if n > 0, else 0"}[config.activation]
    assert f"o = {config.activation}(n)" in text and f"do/dn = {slope}" in text
    steps_in_diagram = [right_of(diagram_sheet, word, 3) for word in diagram_sheet if word[0] == "step"
                        and NUMBER.match(right_of(diagram_sheet, word)[0])]  # a parameter's step, not the heading's
    assert sorted(steps_in_diagram) == sorted([f"−{lr}", "×", f"dL/d{name}"] for name in PARAMETERS)


HIDDEN = {  # `hnn worksheet --lesson hidden-layer`: its options, the replay's settings and learning rate, the epoch
    "Mazur's": ([], {}, 0.5, 1),
    "tanh, trained biases, an asymmetric start": (
        ["--activation", "tanh", "--train-biases", "true", "--w1=-0.4", "--x2=-0.7", "--learning-rate", "0.8",
         "--epochs", "3"], dict(activation="tanh", train_biases=True, w1=-0.4, x2=-0.7), 0.8, 3),
}


@pytest.mark.parametrize("case", HIDDEN)
def test_the_hidden_layers_steps_on_their_pages_where_its_answers_have_the_replays_values(tmp_path, hnn_cli, case):
    options, settings, learning_rate, epoch = HIDDEN[case]
    out = tmp_path / "sheet"
    result = hnn_cli("worksheet", "--lesson", "hidden-layer", "--out", str(out), "--epoch", str(epoch), *options)
    assert result.returncode == 0, result.stderr
    r = plain.replay_hidden_layer(epoch, learning_rate, **settings)[epoch - 1]
    trained = [f"w{k}" for k in range(1, 9)] + (["b1", "b2"] if settings.get("train_biases") else [])
    # The order the maths computes them: forward, loss, then the chain rule from the loss back, each slope just before
    # the gradient it goes into, the output layer's weights before the hidden layer's values, then the update.
    order = ["nh1", "h1", "nh2", "h2", "no1", "o1", "no2", "o2", "L", "dL/do1", "dL/do2", "do1/dno1", "dL/dno1",
             "do2/dno2", "dL/dno2", "dL/dw5", "dL/dw6", "dL/dw7", "dL/dw8",
             *(["dL/db2"] if "b2" in trained else []), "dL/dh1", "dL/dh2", "dh1/dnh1", "dL/dnh1", "dh2/dnh2",
             "dL/dnh2", "dL/dw1", "dL/dw2", "dL/dw3", "dL/dw4", *(["dL/db1"] if "b1" in trained else []), "dL/dx1",
             "dL/dx2", *(f"new {p}" for p in trained)]
    sheet, key = steps(out / "worksheet.pdf"), steps(out / "answers.pdf")
    assert [(k, name) for k, name, _ in sheet] == [(k, name) for k, name, _ in key] == list(enumerate(order, 1))
    given = {name: six(r[name]) for name in ("x1", "x2", *(f"w{k}" for k in range(1, 9)), "b1", "b2", "target1",
                                             "target2")}
    known = {six(x) for x in r.values()}
    for (_, name, row), (_, _, answer) in zip(sheet, key):
        numbers = NUMBERS.findall(" ".join(w[0] for w in answer))
        assert numbers[-1] == six(r[name]) and set(numbers) <= known, name  # the result, and what goes in
        assert BLANK.match(row[-1][0]) and set(NUMBERS.findall(" ".join(w[0] for w in row))) <= set(given.values())
    pages = words(out / "worksheet.pdf")
    assert len(pages) == len(words(out / "answers.pdf")) == 4  # the diagram, forward and loss, chain rule, update
    assert_offsets((out / "worksheet.pdf").read_bytes())
    number = {name: f"({k})" for k, name, _ in sheet}
    named = ["nh1", "h1", "nh2", "h2", "no1", "o1", "no2", "o2"]
    gradients = [f"dL/d{name}" for name in (*named, *trained, "x1", "x2")]
    shown = values(pages[0][1], [*given, *named, "L", *gradients], trained)
    assert shown == given | {name: number[name] for name in (*named, "L", *gradients, *(f"new {p}" for p in trained))}
    text = " ".join(w[0] for _, found in pages for w in found)
    assert f"neurons, epoch {epoch}, page 1 of 4" in text and "dL/dh1 = w5 · dL/dno1 + w7 · dL/dno2" in text
    assert all(BLANK.match(right_of(found, next(w for w in found if w[0] == "Name"))[0]) for _, found in pages)


@pytest.mark.parametrize("config", [OTHER, RELU, hnn.Config(hidden_layer)])
@pytest.mark.parametrize("pdf", ["worksheet.pdf", "answers.pdf"])
def test_the_pages_print_on_a4_and_letter_with_wide_blanks_and_nothing_overlapping(tmp_path, pdf, config):
    for (width, height), found in words(make(tmp_path, config, 2) / pdf):
        assert sorted((width * MM, height * MM)) == pytest.approx([210.0, 279.4], abs=0.1)  # either way round
        margin = 10 / MM  # 10 mm: inside any printer's unprintable edge
        for text, x0, y0, x1, y1 in found:
            assert margin < x0 and x1 < width - margin and margin < y0 and y1 < height - margin, text
        for i, a in enumerate(found):  # no two words on top of each other (0.5 pt of slack for touching glyph boxes)
            for b in found[i + 1:]:
                overlap = min(a[3], b[3]) - max(a[1], b[1]), min(a[4], b[4]) - max(a[2], b[2])
                assert min(overlap) < 0.5, (a[0], b[0])
        small = min(y1 - y0 for text, x0, y0, x1, y1 in found)
        assert small * MM > 2.8, "the smallest text is still legible"  # a glyph box of 2.8 mm: about 8 pt type
        blanks = [(x1 - x0) * MM for text, x0, y0, x1, y1 in found if BLANK.match(text)]
        assert min(blanks, default=45) >= 45, "room for −1.060640 by hand, at 5 mm a character"
        assert all(len(text) == 24 for text, *_ in found if BLANK.match(text)) and (blanks or pdf == "answers.pdf")


def test_the_same_bytes_every_time(tmp_path):
    first = make(tmp_path / "a", OTHER, 2)
    time.sleep(1.1)  # cairo stamps the second: a date left in would now differ
    second = make(tmp_path / "b", OTHER, 2)
    for name in worksheet.FILES:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
        assert time.strftime("%Y%m%d", time.gmtime()).encode() not in (first / name).read_bytes()


def test_the_same_bytes_in_every_time_zone_and_a_valid_table_of_offsets(tmp_path):
    """cairo dates the PDF in local time (D:…+14'00 in Kiritimati, UTC+14): the page there is the page here."""
    command = [sys.executable, "-m", "hnn", "worksheet", "--out", str(tmp_path / "kiritimati"), "--epoch", "2"]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "TZ": "Pacific/Kiritimati"}, timeout=300)
    assert done.returncode == 0, done.stderr
    here = make(tmp_path, hnn.Config(), 2)
    for name in worksheet.FILES:
        pdf = (tmp_path / "kiritimati" / name).read_bytes()
        assert pdf == (here / name).read_bytes(), name
        assert re.findall(rb"/CreationDate \(([^)]*)\)", pdf) == [b"D:20000101000000Z"]
        assert_offsets(pdf)


def assert_offsets(pdf: bytes) -> None:
    """The cross-reference table points at each object, and startxref at the table, as a PDF reader looks for them;
    the page tree holds every page."""
    start = int(re.search(rb"startxref\n(\d+)\n%%EOF", pdf).group(1))
    count = int(re.match(rb"xref\n0 (\d+)\n", pdf[start:]).group(1))
    lines = pdf[start:].split(b"\n")[2:2 + count]
    for number, line in enumerate(lines):
        offset, _, kind = line.split()
        assert kind == b"f" or pdf[int(offset):].startswith(b"%d 0 obj" % number), number
    pages = re.findall(rb"\n(\d+) 0 obj\n<< /Type /Page\b", pdf)
    assert re.search(rb"/Kids \[ %s \] /Count %d" % (b" 0 R ".join(pages) + b" 0 R", len(pages)), pdf)


def test_the_command_writes_what_write_does_with_the_whole_run(tmp_path, hnn_cli):
    """hnn worksheet trains only up to the page's epoch: the epochs after it change nothing on the page."""
    options = [part for name, value in OTHER.to_dict().items() for part in (f"--{name.replace('_', '-')}", str(value))]
    result = hnn_cli("worksheet", "--out", str(tmp_path / "cli"), *options, "--epoch", "3")
    assert result.returncode == 0, result.stderr
    whole = make(tmp_path, OTHER, 3)  # all 4 epochs trained
    for name in worksheet.FILES:
        assert (tmp_path / "cli" / name).read_bytes() == (whole / name).read_bytes(), name


@pytest.mark.parametrize("args,message", [
    (["--epoch", "11"], "--epoch must be a whole number from 1 to 10 (the run's epochs), got '11'"),
    (["--epoch", "0"], "--epoch must be a whole number from 1 to 10 (the run's epochs), got '0'"),
    (["--epoch", "2.5", "--epochs", "4"], "--epoch must be a whole number from 1 to 4 (the run's epochs), got '2.5'"),
    (["--epochs", "0"], "--epoch needs a run with at least 1 epoch, but epochs is 0"),
    (["--activation", "step"], "activation must be one of tanh, sigmoid, relu, got 'step'"),
])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, hnn_cli, args, message):
    result = hnn_cli("worksheet", "--out", str(tmp_path / "sheet"), *args)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", f"hnn worksheet: error: {message}\n")
    assert list(tmp_path.iterdir()) == []


def test_out_that_is_a_file_is_one_line(tmp_path, hnn_cli):
    (tmp_path / "file").write_text("mine")
    result = hnn_cli("worksheet", "--out", str(tmp_path / "file"))
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "--out must be a directory" in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["file"] and (tmp_path / "file").read_text() == "mine"


def test_both_files_or_neither(tmp_path, hnn_cli, monkeypatch):
    """A disk that fails on the second file: the earlier worksheet and answers stay as they were, side by side."""
    out = tmp_path / "sheet"
    out.mkdir()
    for name in worksheet.FILES:
        (out / name).write_text(f"last week's {name}")
    real, calls = worksheet.write_atomically, []

    def failing(path, data):
        calls.append(path.name)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(path, data)

    monkeypatch.setattr(worksheet, "write_atomically", failing)
    result = hnn_cli("worksheet", "--out", str(out))
    assert result.returncode == 1
    assert result.stderr == f"hnn worksheet: error: cannot write to {out}: No space left on device\n"
    assert sorted(p.name for p in out.iterdir()) == sorted(worksheet.FILES)  # no staging folder left behind
    assert [(out / name).read_text() for name in worksheet.FILES] == [f"last week's {name}" for name in worksheet.FILES]
    monkeypatch.undo()
    result = hnn_cli("worksheet", "--out", str(out), "--epoch", "2")
    assert result.returncode == 0 and result.stdout == f"wrote {out / 'worksheet.pdf'}, {out / 'answers.pdf'}\n"
    assert all((out / name).read_bytes().startswith(b"%PDF") for name in worksheet.FILES)


def test_network_blanks_exactly_the_values_named():
    """One blank at a time: only that value's row changes, in the one node that shows it, to a blank or to the mark
    given for it."""
    blank = "_" * 10
    trace = hnn.train(OTHER)
    _, computed = replay(OTHER, 2)
    full = nodes(network(trace, 1).source)
    assert diagram.computed(trace) == ("n", "o", "L", "dL/do", "dL/dn", "dL/dw1", "dL/dw2", "dL/db", "dL/dx1", "dL/dx2",
                                     "new w1", "new w2", "new b")  # in the order an epoch computes them
    for name in diagram.computed(trace):
        node, row = {"dL/do": ("o", "dL/do"), "dL/dn": ("n", "dL/dn")}.get(name, (name, name))
        if name.startswith("dL/d") and node == name:
            node = row = name[4:]  # a leaf's gradient: its own node and row
            row = name
        if name.startswith("new "):
            node, row = name[4:], "→ new"
        blanked = nodes(network(trace, 1, frozenset({name})).source)
        assert {n for n in full if full[n] != blanked[n]} == {node}, name
        assert f"{row} {computed[name]}" in full[node] and f"{row} {blank}" in blanked[node], name
        marked = nodes(network(trace, 1, {name: "(7)"}).source)
        assert {n for n in full if full[n] != marked[n]} == {node} and f"{row} (7)" in marked[node], name
    with pytest.raises(ValueError, match="blank must name values from n, o, L, .*, got 'w1'"):
        network(trace, 1, frozenset({"w1"}))


def test_the_diagram_stands_as_on_the_projector(tmp_path):
    """Top to bottom as the stepper and the slides draw it: x1, w1, x2, w2, b; a student copying from the screen finds
    each box where it was."""
    (_, sheet), = words(make(tmp_path, hnn.Config()) / "worksheet.pdf")
    tops = {word[0]: word[2] for word in sheet if word[0] in ("x1", "w1", "x2", "w2", "b")
            and right_of(sheet, word) and NUMBER.match(right_of(sheet, word)[0])}  # a box's name, its value beside it
    assert sorted(tops, key=tops.get) == ["x1", "w1", "x2", "w2", "b"]
