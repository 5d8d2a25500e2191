"""Printable worksheets: one epoch's network diagram with every value it computes left blank, the formulas below it,
and the answer key: the same page with the numbers in place of the blanks."""
from __future__ import annotations

import itertools
import os
import re
import tempfile
from pathlib import Path

import graphviz

from hnn.files import create, directory, write_atomically
from hnn.formula import HTML, formula, num, written
from hnn.trace import Trace
from hnn.views.diagram import BLANK, FONT_POINTS, computed, network, neurons
from hnn.views.frames import backward_order
from hnn.views.render import FONT, render

# Landscape, 279.4 × 210 mm: Letter's long side by A4's short side, so the page prints at full size on either.
PAGE = (11.0, 210 / 25.4)  # inches, as Graphviz measures
MARGIN = 0.5  # inches of white on every side, wider than any printer's unprintable edge
FILES = ("worksheet.pdf", "answers.pdf")
# cairo stamps the time of rendering in the local time zone: D:20240101120000Z, or D:20240101120000+14'00 in Kiritimati.
DATES = re.compile(rb"(/(?:CreationDate|ModDate) \(D:)\d{14}[^)]*\)")
FIXED_DATE = b"20000101000000Z)"


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


def page(trace: Trace, epoch: int, blank: frozenset | None = None) -> graphviz.Digraph:
    """One page: a heading, epoch's network diagram with the values in blank (default: every value the epoch
    computes) left out, and the formulas below."""
    blank = frozenset(computed(trace)) if blank is None else blank
    answers = not blank
    diagram = network(trace, epoch - 1, blank, in_cluster=True)  # laid out as on the screen: x1 at the top
    diagram.name = "cluster_network"  # a cluster inside the page: its label is the heading, above the diagram
    diagram.graph_attr.update(label=_heading(trace, epoch, answers), labeljust="l", color="white")  # no frame
    sheet = graphviz.Digraph("worksheet", graph_attr={
        **{name: diagram.graph_attr[name] for name in ("rankdir", "ranksep", "bgcolor")},  # whole-graph attributes
        "nodesep": "0.25",  # the leaves a little closer than on screen: a landscape page is short of height
        "label": _formulas(trace), "labelloc": "b", "fontname": FONT, "fontsize": str(FONT_POINTS), "pad": "0",
    })
    sheet.subgraph(diagram)
    return sheet


def _heading(trace: Trace, epoch: int, answers: bool) -> str:
    """What the page is, what to do, and a line for the student's name."""
    pairs, c = neurons(trace.graph), trace.config
    activation = next((value for value in c.to_dict().values() if isinstance(value, str)), "")
    what = (f"one {activation} neuron" if len(pairs) == 1 else f"{len(pairs)} {activation} neurons" if pairs
            else f"the network {trace.graph.network.name}")
    title = f"{'Answers' if answers else 'Worksheet'}: {what}, epoch {epoch}"
    task = ([f"Every value epoch {epoch} computes, to 6 decimals."] if answers else
            [f"Fill in each {BLANK} in the order 1 to 4 below, to 6 decimals (the last may differ by rounding)."])
    name = "" if answers else f"Name {BLANK}{BLANK}"
    lines = "".join(f'<TR><TD ALIGN="LEFT" COLSPAN="2">{line}</TD></TR>' for line in task)  # a row a line, as below
    return (f'<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="3"><TR><TD ALIGN="LEFT"><B>{title}</B></TD>'
            f'<TD ALIGN="RIGHT">{name}</TD></TR>{lines}</TABLE>>')


def _formulas(trace: Trace) -> str:
    """The formulas the blanks need, the run's activation and learning rate in them, in the order they are used."""
    graph, c = trace.graph, trace.config
    forward = []
    for value in graph.named.values():
        if value is graph.loss:
            continue
        line = f"{value.name} = {formula(value, HTML)}"
        made = graph.activation(value)
        if made is not None and value.op.definition is not None:  # o = tanh(n), written out for a calculator
            line += f" = {formula(value.op.definition(made), HTML)}"
        forward.append(line)
    chain = []
    for value in backward_order(graph):
        terms, slopes = [], []
        for reader in graph.consumers[value]:
            local, slope = graph.local(reader, value), f"d{reader.name}/d{value.name}"
            if reader is graph.loss:  # dL/do = o − target
                terms.append(written(local, HTML))
            elif slope in graph.locals:  # dL/dn = dL/do · do/dn, and do/dn beside it
                terms.append(f"dL/d{reader.name} · {slope}")
                slopes.append(f"{slope} = {written(local, HTML)}")
            else:  # dL/dw1 = dL/dn · x1
                terms.append(f"dL/d{reader.name} · {written(local, HTML)}")
        chain.append(f"dL/d{value.name} = {' + '.join(terms)}" + "".join(f",   {slope}" for slope in slopes))
    steps = [f"{name} = {num(x)}" for name, x in {"learning_rate": c.learning_rate, **c.rule_settings}.items()]
    steps += [f"{name} = {formula(value, HTML)}" for p in graph.parameters for name, value in c.rule.formulas(p)[0].items()]
    first = [*forward, "", "<B>2. Loss</B>", f"{graph.loss.name} = {formula(graph.loss, HTML)}"]
    # A chain rule much longer than the forward pass (a hidden layer's, twice as long) goes on in a column of its own:
    # the page is short of height, and every line the formulas save is room for a larger diagram.
    half = -(-len(chain) // 2) if len(chain) > 1.5 * len(first) else len(chain)
    columns = [("1. Forward pass", first), ("3. Backward pass: the chain rule", chain[:half]), ("", chain[half:]),
               (f"4. {c.rule.heading.capitalize()}", steps)]
    columns = [(title, lines) for title, lines in columns if lines]
    titles = [f"<B>{title}</B>" if title else "" for title, _ in columns]  # Graphviz refuses an empty <B></B>
    lines = itertools.zip_longest(*(lines for _, lines in columns), fillvalue="")  # a row a line: none overlaps the next
    gap = '<TD WIDTH="40"></TD>'  # between the columns
    rows = [gap.join(f'<TD ALIGN="LEFT">{text}</TD>' for text in row) for row in [titles, *lines]]
    table = "".join(f"<TR>{row}</TR>" for row in rows)
    return f'<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="3">{table}</TABLE>>'


def pdf(sheet: graphviz.Digraph) -> bytes:
    """The page as PDF at PAGE's size, scaled to fit inside MARGIN and centred; the same bytes for the same page."""
    # Graphviz's PDF page is the drawing's own size, unless `viewport` names the page's size, a zoom and the point
    # of the drawing at its centre: a first layout measures the drawing (in inches) for the zoom that fits it.
    width, height = (float(v) for v in render([sheet.source], "plain")[0].split(maxsplit=4)[2:4])
    zoom = min((PAGE[0] - 2 * MARGIN) / width, (PAGE[1] - 2 * MARGIN) / height)
    fitted = sheet.copy()
    fitted.graph_attr.update(margin="0", viewport=f"{PAGE[0] * 72:.2f},{PAGE[1] * 72:.2f},{zoom:.6f},"
                                                  f"{width * 36:.2f},{height * 36:.2f}")  # 72 points an inch
    return _fixed_dates(render([fitted.source], "pdf")[0])


def _fixed_dates(pdf: bytes) -> bytes:
    """The PDF with cairo's dates replaced by one fixed date in UTC, whatever the time and time zone, and with the
    byte offsets of its cross-reference table and startxref moved by what that changed before each: same bytes for the
    same page, everywhere."""
    moved = []  # where each date ended in the PDF as cairo wrote it, and how many bytes longer it is now

    def fix(date: re.Match) -> bytes:
        moved.append((date.end(), len(date.group(1)) + len(FIXED_DATE) - len(date.group(0))))
        return date.group(1) + FIXED_DATE

    def moved_by(number: re.Match) -> int:  # an offset into the PDF as cairo wrote it, where that byte is now
        return int(number.group(0)) + sum(longer for end, longer in moved if end <= int(number.group(0)))

    pdf = DATES.sub(fix, pdf)
    table = re.search(rb"\nxref\n0 \d+\n(.*?)trailer", pdf, re.DOTALL)  # 20 bytes a line: "0000028358 00000 n \n"
    entries = re.sub(rb"^\d{10}(?= \d{5} n)", lambda n: b"%010d" % moved_by(n), table.group(1), flags=re.MULTILINE)
    pdf = pdf[:table.start(1)] + entries + pdf[table.end(1):]
    return re.sub(rb"(?<=\nstartxref\n)\d+", lambda n: b"%d" % moved_by(n), pdf)


def write(trace: Trace, out_dir, epoch=1) -> list[Path]:
    """Write worksheet.pdf and answers.pdf for epoch (1-based) into out_dir: both files or neither."""
    k = check_epoch(epoch, len(trace.epochs))
    out = directory(out_dir)
    pdfs = [pdf(page(trace, k)), pdf(page(trace, k, blank=frozenset()))]  # both rendered before anything is written
    create(out)
    with tempfile.TemporaryDirectory(dir=out, prefix=".hnn-") as staging:  # beside the files: renaming is atomic
        staged = [write_atomically(Path(staging) / name, data) for name, data in zip(FILES, pdfs, strict=True)]
        for path in staged:
            os.replace(path, out / path.name)
    return [out / name for name in FILES]
