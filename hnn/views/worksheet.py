"""Printable worksheets: one epoch's network diagram with its given values, each value it computes marked with the
number of its step, then the steps in order, each formula with the numbers that go in it and a blank 46 mm wide for
every number a student works out; and the answer key: the same pages with the numbers in place of the blanks."""
from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import graphviz

from hnn.files import create, directory, write_atomically
from hnn.formula import HTML, MINUS, TEXT, Style, formula, num, written
from hnn.ops import Value
from hnn.trace import Trace
from hnn.views.diagram import FONT_POINTS, computed, network, neurons
from hnn.views.frames import backward_order, chain_rule, epoch_numbers
from hnn.views.render import FONT, render

FILES = ("worksheet.pdf", "answers.pdf")


def check_epoch(epoch, epochs: int) -> int:
    """The 1-based epoch a worksheet is about, from an int or a numeric string; ValueError naming --epoch otherwise."""
    accepted = f"--epoch must be a whole number from 1 to {epochs} (the run's epochs), got {epoch!r}"
    if epochs == 0:
        accepted = "--epoch needs a run with at least 1 epoch, but epochs is 0"
    if isinstance(epoch, str) and epoch.strip().isdigit():  # from the command line
        epoch = int(epoch)
    if isinstance(epoch, bool) or not isinstance(epoch, int) or not 1 <= epoch <= epochs:
        raise ValueError(accepted)
    return epoch


BACKWARD = "Backward pass: the chain rule"
# Inches: A4's short side by Letter's long side, either way round, so that a page prints at full size on either.
PAPERS = {"portrait": (210 / 25.4, 11.0), "landscape": (11.0, 210 / 25.4)}
MARGIN = 0.44  # inches of white on every side (11 mm), wider than any printer's unprintable edge
BLANK_MM = 46.5  # a blank's printed width: −1.060640 by hand at 5 mm a character, and a little to spare
UNDERSCORES = 24  # a blank's characters, their font size set for its width: about the height of the text
PADDING = (9, 14)  # points around each row of steps: the least, and more where every page has height to spare


@dataclass(frozen=True)
class Step:
    """One value a student works out: its section, name, formula and the numbers that go in, and the result."""

    section: str
    name: str
    label: str  # how it is computed, in Graphviz's HTML: dL/dn = dL/do · do/dn
    expression: Value  # the formula the numbers go into
    numbers: dict  # the number of each value the formula reads
    result: float
    apart: bool = False  # the numbers on a line of their own, under the formula: a forward pass's and a slope's are long


def steps(trace: Trace, epoch: int) -> list[Step]:
    """Every value epoch (1-based) computes, in the order it computes them: the forward pass, the loss, the chain rule
    with each slope (do/dn) just before the gradient it goes into, the update."""
    graph, e = trace.graph, trace.epochs[epoch - 1]
    numbers = epoch_numbers(graph, e)
    found = []
    for name, value in graph.named.items():
        label = f"{name} = {formula(value, HTML)}"
        made = graph.activation(value)
        if made is not None and value.op.definition is not None:  # o = tanh(n), written out for a calculator: exp(−n),
            label += f" = {escape(formula(value.op.definition(made), TEXT))}"  # no exponent printed small
        section = "Loss" if value is graph.loss else "Forward pass"
        found.append(Step(section, name, label, value, numbers, e.values[name], apart=True))
    for value in backward_order(graph):
        for reader in graph.consumers[value]:
            slope = f"d{reader.name}/d{value.name}"
            if slope in graph.locals:  # do/dn = 1 − o², worked out before dL/dn
                local = graph.locals[slope][2]
                found.append(Step(BACKWARD, slope, f"{slope} = {written(local, HTML)}", local, numbers, e.local[slope],
                                  apart=True))
        gradient, chain = f"dL/d{value.name}", chain_rule(graph, value)
        found.append(Step(BACKWARD, gradient, f"{gradient} = {formula(chain, HTML)}", chain, numbers,
                          e.grad[value.name]))
    heading = trace.config.rule.heading.capitalize()
    for p in graph.parameters:  # each value the update rule computes: momentum's new velocity, then the parameter
        computed, values = trace.step(p, e.values, e.grad, e.updated)
        found += [Step(heading, name, f"{name} = {formula(value, HTML)}", value, values,
                       e.updated[name.removeprefix("new ")]) for name, value in computed.items()]
    return found


def _blank(points: float) -> str:
    return f'<FONT POINT-SIZE="{points:.1f}">{"_" * UNDERSCORES}</FONT>'


def _working(step: Step, points: float, answers: bool) -> str:
    """The step's numbers in its formula, then its result: each number the epoch computes a blank on the worksheet,
    in bold on the answers."""
    cells = []  # the computed numbers, in the order the formula writes them

    def number(x: float, value: Value) -> str:
        if value.kind not in ("value", "gradient"):  # given: inputs, parameters, constants, settings, kept state
            return HTML.number(x, value)
        shown = num(x)
        cells.append(f"<B>{f'({shown})' if shown.startswith(MINUS) else shown}</B>" if answers else _blank(points))
        return "\0"  # where it goes, once the text around it is escaped for Graphviz: relu's slope has a >

    style = Style("numbers", TEXT.name, number, TEXT.literal)  # × between numbers, as the log writes them
    worked = formula(step.expression, style, step.numbers)
    if not answers:
        worked = worked.replace("\0²", "(\0)²")  # 1 − (____)²: the square of what is written on the line
    result = f"<B>{num(step.result)}</B>" if answers else _blank(points)
    parts = escape(f"= {worked} = \0").split("\0")
    return "".join(text + cell for text, cell in zip(parts, [*cells, result, ""]))


def page(trace: Trace, epoch: int, answers: bool = False, blank_points: float = FONT_POINTS,
         padding: int = PADDING[0]) -> list[graphviz.Digraph]:
    """The worksheet's pages (answers: the key's), blanks blank_points large, padding points around each row: a
    heading, epoch's network diagram with each value it computes marked by the number of its step, then the steps in
    order, each formula with the numbers that go in it and a line for the result. A network of one neuron fits one
    page; a larger one takes a page for its diagram, then one for the forward pass and the loss, one for the chain rule
    and one for the update."""
    found = steps(trace, epoch)
    number = {step.name: i for i, step in enumerate(found, 1)}
    marks = {name: f"({number[name]})" for name in computed(trace)}  # where each step's value stands in the diagram
    # Laid out as on the screen, x1 at the top, its small rows as large as the rest: the page prints it smaller.
    diagram = network(trace, epoch - 1, marks, in_cluster=True, small=FONT_POINTS + 2)
    diagram.name = "cluster_network"  # a cluster inside the page: its label is the heading, above the diagram
    sections = list(dict.fromkeys(step.section for step in found))
    # A blank a student can write in takes room: one neuron's steps fit on the page of its diagram; a larger network's
    # diagram takes a page of its own, then its forward pass and loss, its chain rule and its update a page each.
    parts = [sections] if len(neurons(trace.graph)) < 2 else [[], sections[:2], sections[2:3], sections[3:]]
    pages = []
    for i, part in enumerate(parts):
        heading = _heading(trace, epoch, answers, blank_points, page=(i + 1, len(parts)))
        sheet = graphviz.Digraph(f"page{i + 1}", graph_attr={
            **{name: diagram.graph_attr[name] for name in ("rankdir", "ranksep", "bgcolor")},  # whole-graph attributes
            "nodesep": "0.25", "fontname": FONT, "fontsize": str(FONT_POINTS), "pad": "0"})
        rows = part and _rows(trace, [(k, step) for k, step in enumerate(found, 1) if step.section in part],
                              sections[-1], blank_points, answers, padding)
        if i == 0:
            diagram.graph_attr.update(label=heading, labeljust="l", color="white")  # above the diagram, no frame
            sheet.subgraph(diagram)
            if rows:  # below the diagram
                sheet.graph_attr.update(label=rows, labelloc="b", labeljust="l")
        else:  # a page of steps only: the heading says whose and which, at the left above them
            sheet.graph_attr.update(label=f'<<TABLE BORDER="0" CELLSPACING="0"><TR><TD ALIGN="LEFT">{heading[1:-1]}'
                                          f'</TD></TR><TR><TD>{rows[1:-1]}</TD></TR></TABLE>>')
        pages.append(sheet)
    return pages


def _heading(trace: Trace, epoch: int, answers: bool, blank_points: float, page=(1, 1)) -> str:
    """What the page is, what to do, and a line for the student's name."""
    pairs, c = neurons(trace.graph), trace.config
    activation = next((value for value in c.to_dict().values() if isinstance(value, str)), "")
    what = (f"one {activation} neuron" if len(pairs) == 1 else f"{len(pairs)} {activation} neurons" if pairs
            else f"the network {trace.graph.network.name}")
    title = f"{'Answers' if answers else 'Worksheet'}: {what}, epoch {epoch}"
    if page[1] > 1:
        title += f", page {page[0]} of {page[1]}"
    task = ([f"Every value epoch {epoch} computes, to 6 decimals."] if answers else
            ["Work out the steps in order, each to 6 decimals: the numbers that go in on the lines, the result on the"
             " last."])
    if page[0] == 1:
        task.append("In the diagram, (5) marks the value step 5 works out.")
    name = "" if answers else f"Name {_blank(blank_points)}"
    lines = "".join(f'<TR><TD ALIGN="LEFT" COLSPAN="2">{line}</TD></TR>' for line in task)  # a row a line, as below
    return (f'<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="3"><TR><TD ALIGN="LEFT"><B>{title}</B></TD>'
            f'<TD ALIGN="RIGHT">{name}</TD></TR>{lines}</TABLE>>')


def _rows(trace: Trace, numbered: list[tuple[int, Step]], last: str, points: float, answers: bool,
          padding: int) -> str:
    """The steps as a table, a row each under its section's heading: number, formula, its numbers, its result."""
    c, rows, section = trace.config, [], None
    settings = ", ".join(f"{name} = {num(x)}" for name, x in {"learning_rate": c.learning_rate,
                                                              **c.rule_settings}.items())
    for k, step in numbered:
        if step.section != section:
            section = step.section
            title = section + (f"   ({settings})" if section == last else "")  # the steps are numbered
            rows.append(f'<TR><TD ALIGN="LEFT" CELLPADDING="6"><B>{title}</B></TD></TR>')
        # One cell for the formula and its numbers: the widest row, not the widest formula plus the widest numbers,
        # sets the page's width.
        working = _working(step, points, answers)
        if step.apart:
            rows.append(f'<TR><TD ALIGN="LEFT">{k}.  {step.label}</TD></TR>')
            working = f"{'&#160;' * 6}{working}"  # under the formula, indented
        rows.append(f'<TR><TD ALIGN="LEFT">{"" if step.apart else f"{k}.  {step.label}   "}{working}</TD></TR>')
    return f'<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="{padding}">{"".join(rows)}</TABLE>>'  # room to write


def _size(sheet: graphviz.Digraph) -> tuple[float, float]:
    """The page's drawing, width and height in inches, as Graphviz lays it out."""
    return tuple(float(v) for v in render([sheet.source], "plain")[0].split(maxsplit=4)[2:4])


def _fit(size: tuple[float, float]) -> tuple[str, float, bool]:
    """The paper's way round that prints a drawing of size larger, the zoom that fits it inside MARGIN, and whether
    the page's width sets that zoom (so that it has height to spare)."""
    zooms = {way: ((paper[0] - 2 * MARGIN) / size[0], (paper[1] - 2 * MARGIN) / size[1]) for way, paper in PAPERS.items()}
    way = max(zooms, key=lambda way: min(zooms[way]))
    return way, min(zooms[way]), zooms[way][0] <= zooms[way][1]


def _fitted(trace: Trace, epoch: int, padding: int) -> tuple[float, list[tuple[str, float, bool]]]:
    """The blanks' font size at which they print BLANK_MM wide on the worksheet's page printed smallest, and how each
    page fits its paper."""
    # A blank's printed width is its font size times the zoom that fits its page, and a larger blank makes a wider
    # page: a few layouts find the size.
    points = float(FONT_POINTS)
    for _ in range(8):
        fits = [_fit(_size(sheet)) for sheet in page(trace, epoch, False, points, padding)]
        printed = UNDERSCORES * 0.5 * points * min(zoom for _, zoom, _ in fits) * 25.4 / 72  # "_" is half an em wide
        if BLANK_MM <= printed < BLANK_MM * 1.01:  # a larger blank would print the rest smaller
            break
        points *= BLANK_MM / printed * 1.004
    return points, fits


def pdfs(trace: Trace, epoch: int) -> tuple[bytes, bytes]:
    """The worksheet and its answers, each one PDF, each page printed as large as fits A4 and Letter, portrait or
    landscape, the worksheet's blanks BLANK_MM wide as printed; the same bytes for the same epoch."""
    padding = PADDING[1]  # rows further apart, more room to write, where every page has height to spare
    points, fits = _fitted(trace, epoch, padding)
    if not all(by_width for *_, by_width in fits):
        padding = PADDING[0]
        points, fits = _fitted(trace, epoch, padding)
    drawn = []
    for answers in (False, True):
        pages = []
        for sheet, (way, zoom, _) in zip(page(trace, epoch, answers, points, padding), fits, strict=True):  # the key
            size, paper = _size(sheet), PAPERS[way]  # as the worksheet
            # Graphviz's PDF page is the drawing's own size, unless `viewport` names the page's size, a zoom and the
            # point of the drawing at its centre.
            sheet.graph_attr.update(margin="0", viewport=f"{paper[0] * 72:.2f},{paper[1] * 72:.2f},{zoom:.6f},"
                                                         f"{size[0] * 36:.2f},{size[1] * 36:.2f}")  # 72 points an inch
            pages.append(render([sheet.source], "pdf")[0])
        drawn.append(_assembled(pages))
    return drawn[0], drawn[1]


def _assembled(pdfs: list[bytes]) -> bytes:
    """cairo's one-page PDFs as one PDF of their pages, dated one fixed day in UTC (cairo stamps the local time of
    rendering): the same bytes for the same pages, everywhere."""
    objects, kids, top = [], [], 2  # every page's objects, numbered from 3: 1 is the catalog, 2 the page tree
    for data in pdfs:
        start = int(re.search(rb"startxref\n(\d+)", data).group(1))
        offsets = [int(line[:10]) for line in data[start:].split(b"\n")[2:] if line.endswith(b" n ")]
        shift = top  # object k of this file is object k + shift of the whole
        top += len(offsets)
        for begin, end in zip(sorted(offsets), [*sorted(offsets)[1:], start]):
            text = data[begin:end]
            head, stream, rest = text.partition(b"stream\n")  # a stream's bytes are data: no reference to renumber
            head = re.sub(rb"(\d+) 0 (obj|R)\b", lambda m: b"%d 0 %s" % (int(m.group(1)) + shift, m.group(2)), head)
            objects.append((int(head.split()[0]), head + stream + rest))
        objects = [o for o in objects if not re.search(rb"/Type /(Catalog|Pages)\b|/Producer", o[1].split(b"stream")[0])]
        kids += [number for number, text in objects if re.search(rb"/Type /Page\b", text) and number not in kids]
    pages = b" ".join(b"%d 0 R" % k for k in kids)
    objects += [(1, b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"),
                (2, b"2 0 obj\n<< /Type /Pages /Kids [ %s ] /Count %d >>\nendobj\n" % (pages, len(kids)))]
    info = top + 1
    objects.append((info, b"%d 0 obj\n<< /CreationDate (D:20000101000000Z) >>\nendobj\n" % info))
    out, where = bytearray(b"%PDF-1.5\n%\xb5\xed\xae\xfb\n"), {}
    for number, text in sorted(objects):
        text = re.sub(rb"/Parent \d+ 0 R", b"/Parent 2 0 R", text, count=1) if number in kids else text
        where[number] = len(out)
        out += text
    table = b"".join(b"%010d 00000 n \n" % where[k] if k in where else b"0000000000 65535 f \n"  # free: a file's
                     for k in range(info + 1))  # own catalog, page tree and dates, left out
    xref = len(out)
    out += b"xref\n0 %d\n%s" % (info + 1, table)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (info + 1, info, xref)
    return bytes(out)


def write(trace: Trace, out_dir, epoch=1) -> list[Path]:
    """Write worksheet.pdf and answers.pdf for epoch (1-based) into out_dir: both files or neither."""
    k = check_epoch(epoch, len(trace.epochs))
    out = directory(out_dir)
    rendered = pdfs(trace, k)  # both rendered before anything is written
    create(out)
    with tempfile.TemporaryDirectory(dir=out, prefix=".hnn-") as staging:  # beside the files: renaming is atomic
        staged = [write_atomically(Path(staging) / name, data) for name, data in zip(FILES, rendered, strict=True)]
        for path in staged:
            os.replace(path, out / path.name)
    return [out / name for name in FILES]
