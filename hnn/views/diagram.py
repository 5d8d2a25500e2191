"""Graphviz diagrams of a Trace, drawn from its network's graph: the network view (ae0 … aeN, as the original notebook
drew them), the micrograd-style computation graph, and the stepper's compact network that fills in frame by frame."""
from __future__ import annotations

import functools
import html
import itertools
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

import graphviz

from hnn.config import excerpt, whole
from hnn.files import check_targets, directory, staged
from hnn.formula import MINUS, NUMBERS, TEXT, Style, formula, num, product, written
from hnn.graph import Graph
from hnn.ops import Value, add, mul, sub
from hnn.trace import Trace
from hnn.views.render import CHUNK, FONT, FORMATS, apart, renders

FONT_POINTS = 20  # legible from the back of a lecture room
SMALL_POINTS = 16  # the gradient and step lines, still ≥ 14
STEPPER_POINTS = 14  # a stepper of several neurons: Mazur's is 656 × 496 points, 18 px at 1280 × 720 beside its lines
# Okabe–Ito colours, told apart with any colour vision: (fill, border) for each kind of node.
KINDS = {
    "input": ("#d4ebf9", "#56b4e9"),  # sky blue
    "parameter": ("#fbf3c2", "#b8a200"),  # yellow
    "intermediate": ("#c8ece0", "#009e73"),  # bluish green
    "loss": ("#f4dbe9", "#cc79a7"),  # reddish purple
    "constant": ("#ebebeb", "#8c8c8c"),  # grey: a target, or a parameter held, takes no gradient
    "operation": ("#ffffff", "#555555"),
}
POSITIVE, NEGATIVE = "#0072b2", "#e69f00"  # weight edges: blue and orange, as TensorFlow Playground draws them
# Text in those hues: the blue has a contrast of 5.2:1 on white, the orange only 2.3:1, so its text is a darker orange.
SIGN_TEXT = {POSITIVE: POSITIVE, NEGATIVE: "#a05a00"}  # 5.3:1
MAX_PENWIDTH = 8.0  # |weight| + 1, clamped, so that a huge weight does not swallow the picture
WRAP = 28  # characters of a formula in a box, beyond which a compact drawing writes a sum's last term on a line below
BLANK = f'<FONT POINT-SIZE="{FONT_POINTS + 2}">{"_" * 10}</FONT>'  # a value left to work out: one width, room to write in
STEP = Style("numbers", TEXT.name, lambda x, value: num(x), TEXT.literal)  # a step's numbers, each to 6 decimals


def computed(trace: Trace) -> tuple[str, ...]:
    """What an epoch computes, in the order it computes them: the names network(blank=…) takes."""
    graph = trace.graph
    return (*graph.named, *(f"dL/d{name}" for name in (*graph.backward, *graph.parameters, *graph.inputs)),
            *(name for p in graph.parameters for name in trace.config.rule.formulas(p)[0]))


def kind_of(graph: Graph, value: Value) -> str:
    """How a value is coloured: its leaf kind, the loss, or an intermediate value."""
    return "loss" if value is graph.loss else value.kind if value.op is None else "intermediate"


def _state(trace: Trace, k: int, blank=frozenset()):
    """What ae{k} shows: epoch k+1's values, gradients and step, or (k = epochs) the trained network with neither."""
    epochs = len(trace.epochs)
    if not (isinstance(k, int) and 0 <= k <= epochs):
        raise ValueError(f"k must be a whole number from 0 to {epochs}, got {k!r}")
    loss = trace.graph.loss.name
    if k == epochs:
        state = f"trained (after epoch {epochs})" if epochs else "untrained (epochs = 0)"
        return trace.final, None, None, None, f"ae{k} · {state} · loss {_shown(loss, trace.final.loss, blank)}"
    e = trace.epochs[k]
    return e.values, e.grad, e.hand, e.updated, f"ae{k} · before epoch {k + 1} · loss {_shown(loss, e.loss, blank)}"


def _shown(name: str, value: float, blank) -> str:
    """A computed value as the diagram prints it, or when its name is in blank, BLANK or what a dict blank gives it."""
    if name not in blank:
        return num(value)
    return blank[name] if isinstance(blank, dict) else BLANK


def _digraph(name: str, title: str, ranksep: float) -> graphviz.Digraph:
    """An empty left-to-right graph with the house font, sizes and title."""
    font = {"fontname": FONT, "fontsize": str(FONT_POINTS)}
    return graphviz.Digraph(
        name,
        graph_attr={"rankdir": "LR", "label": title, "labelloc": "t", "fontsize": str(FONT_POINTS + 4), "fontname": FONT,
                    "nodesep": "0.35", "ranksep": str(ranksep), "pad": "0.3", "bgcolor": "white"},
        node_attr={**font, "shape": "box", "style": "filled", "penwidth": "2", "margin": "0.15,0.08"},
        edge_attr={**font, "color": "#555555", "penwidth": "2", "arrowsize": "0.9"},
    )


def _colours(kind: str) -> dict:
    fill, border = KINDS[kind]
    return {"fillcolor": fill, "color": border}


def _sign(w: float) -> str:
    return POSITIVE if w >= 0 else NEGATIVE


def _weight(w: float) -> dict:
    """Edge style for a weight's connection: the colour and a + or − on it say its sign (not colour alone), the width
    its size."""
    sign = "+" if w >= 0 else MINUS
    return {"color": _sign(w), "penwidth": num(min(1 + abs(w), MAX_PENWIDTH)), "label": f" {sign} ",
            "fontcolor": SIGN_TEXT[_sign(w)], "fontsize": str(FONT_POINTS + 4)}


def _cell(text: str, align: str, size: int) -> str:
    return f'<TD ALIGN="{align}"><FONT POINT-SIZE="{size}">{text}</FONT></TD>'


def _label(name: str, value: str, rows=(), formula: str = "", before=(), small: int = SMALL_POINTS) -> str:
    """An HTML-like node label: a formula line if any, (label, number) rows before, the name and value in bold, then
    (label, number) rows in small points."""
    gap = '<TD WIDTH="12"></TD>'  # keeps a name from running into its number
    lines = [f'<TD COLSPAN="3" ALIGN="LEFT"><FONT POINT-SIZE="{FONT_POINTS}">{line}</FONT></TD>'
             for line in formula.split("\n") if line]
    lines += [_cell(label, "LEFT", size) + gap + _cell(number, "RIGHT", size) for label, number, size in before]
    lines += [_cell(f"<B>{name}</B>", "LEFT", FONT_POINTS) + gap + _cell(f"<B>{value}</B>", "RIGHT", FONT_POINTS)]
    lines += [_cell(label, "LEFT", small) + gap + _cell(number, "RIGHT", small) for label, number in rows]
    table = "".join(f"<TR>{line}</TR>" for line in lines)
    return f'<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="2">{table}</TABLE>>'


def _legend(title: str, edges: bool = True, graph: bool = False) -> str:
    """The graph's title, then what the colours (and, in the computation graph, the rows) mean: a projector audience
    has no tooltip to ask."""
    kinds = "  ".join(f'<FONT COLOR="{KINDS[k][1]}">■</FONT> {k}'
                      for k in ("input", "parameter", "intermediate", "loss", "constant"))
    signs = (f'     edges: <FONT COLOR="{SIGN_TEXT[POSITIVE]}">+ weight &gt; 0</FONT>, '
             f'<FONT COLOR="{SIGN_TEXT[NEGATIVE]}">{MINUS} weight &lt; 0</FONT>, wider when larger') if edges else ""
    rows = "<BR/>each box: name, value, ∇ = gradient dL/d(value); circles: operations" if graph else ""
    size = FONT_POINTS if graph else SMALL_POINTS  # the graph is wider, so it is drawn smaller
    return f'<<B>{title}</B><BR/><FONT POINT-SIZE="{size}">{kinds}{signs}{rows}</FONT>>'


def first_layer(graph: Graph) -> list[Value]:
    """The leaves the first computed values read (inputs and the parameters beside them): the diagrams' first column."""
    first = [value for value in graph.named.values() if all(operand.op is None for operand in graph.reads(value))]
    return list(dict.fromkeys(leaf for value in first for leaf in graph.reads(value)))


def neurons(graph: Graph) -> dict[Value, Value]:
    """Each weighted sum and the activation it goes through (n → o): drawn together, as one neuron."""
    return {n: o for o in graph.named.values() if (n := graph.activation(o)) is not None and n.op is not None}


def weights(graph: Graph) -> dict[tuple[Value, Value], Value]:
    """For each value that a parameter multiplies in another's formula, (x1, n) → w1: the connection that weight sets."""
    found = {}
    for value in graph.named.values():
        stack = [value]
        while stack:
            node = stack.pop()
            if node.op is mul and {o.kind for o in node.operands} & {"parameter"} and all(o.name for o in node.operands):
                a, b = node.operands
                if (a.kind == "parameter") != (b.kind == "parameter"):
                    weight, source = (a, b) if a.kind == "parameter" else (b, a)
                    found[(source, value)] = weight
            stack.extend(o for o in node.operands if o.name is None and o.op is not None)
    return found


def layout(graph: Graph) -> list[tuple[str, tuple[Value, ...]]]:
    """The order the diagrams draw the network's values in, as groups: ("leaves", the first column), then in the
    order they are computed ("neuron", (n, o)) and ("value", (v,)), each leaf just before the first value to read it."""
    drawn = set(first_layer(graph))
    groups = [("leaves", tuple(first_layer(graph)))]
    pairs = neurons(graph)
    inside = set(pairs.values())
    for value in graph.named.values():
        for operand in graph.reads(value):
            if operand.op is None and operand not in drawn:
                drawn.add(operand)
                groups.append(("value", (operand,)))
        if value in pairs:
            groups.append(("neuron", (value, pairs[value])))
        elif value not in inside:
            groups.append(("value", (value,)))
    return groups


def _lay_out(g: graphviz.Digraph, graph: Graph, group, in_cluster: bool = False) -> None:
    """Draw the network's values into g in layout()'s order, the first column's leaves in a rank of their own:
    group(where, kind, values) draws one group. Where a network has several neurons, each layer is drawn top to bottom
    in the order the network computes it (h1 above h2), and the inputs head the first column. in_cluster: g goes
    inside a cluster (a worksheet's page), where dot stacks each column the other way up, so everything is declared
    in reverse, and the page reads top to bottom as the screen does (x1 above b)."""
    several = len(neurons(graph)) > 1
    if several:
        g.attr(ordering="out")
    turn = reversed if in_cluster else tuple
    for kind, values in turn(layout(graph)):
        if kind == "leaves":
            with g.subgraph(name="leaves") as leaves:  # inputs and the first parameters share the first column
                leaves.attr(rank="same")
                for value in sorted(turn(values), key=lambda v: v.kind != "input") if several else turn(values):
                    group(leaves, "value", (value,))
        else:
            group(g, kind, values)


def network(trace: Trace, k: int, blank=frozenset(), in_cluster: bool = False,
            small: int = SMALL_POINTS) -> graphviz.Digraph:
    """Diagram ae{k}: inputs and parameters feed the neurons, the outputs the loss; every value and gradient shown,
    except those named in blank (from computed()), drawn as BLANK, or if blank is a dict, as the text it gives each (a
    worksheet's step numbers). in_cluster: see _lay_out. small: the points of the gradient and step rows (a printed
    page, scaled to fit, needs them larger than a screen)."""
    graph = trace.graph
    unknown = sorted(set(blank) - set(computed(trace)))
    if unknown:
        raise ValueError(f"blank must name values from {', '.join(computed(trace))}, got {unknown[0]!r}")
    state, grad, _, updated, title = _state(trace, k, blank)
    connections = weights(graph)

    def rows(value: Value) -> list:  # a value's gradient row, while there are gradients to show
        graded = grad is not None and value.kind in ("input", "parameter", "value") and value is not graph.loss
        return [(f"dL/d{value.name}", _shown(f"dL/d{value.name}", grad[value.name], blank))] if graded else []

    def draw(where, value: Value) -> None:
        name = value.name
        if value.kind == "parameter":
            where.node(name, _parameter(trace, value, state, grad, updated, blank, len(pairs) > 1, small),
                       **_colours("parameter"))
        elif value.op is None:
            where.node(name, _label(name, num(state[name]), rows(value), small=small), **_colours(value.kind))
        else:
            line = f"{name} = {formula(value, TEXT)}"
            if len(pairs) > 1 and len(line) > WRAP and value.op is add:  # a long sum: its last term below it
                line = f"{name} = {written(value.operands[0], TEXT)}\n    + {written(value.operands[1], TEXT)}"
            where.node(name, _label(name, _shown(name, state[name], blank), rows(value), line, small=small),
                       style="filled,rounded", **_colours(kind_of(graph, value)))

    g = _digraph(f"ae{k}", _legend(title, edges=bool(connections)), ranksep=0.7)
    pairs, box = neurons(graph), boxes(graph)

    def group(where, kind: str, values: tuple) -> None:
        if kind == "neuron" and len(pairs) > 1:  # one box
            n, o = values
            before = [(n.name, _shown(n.name, state[n.name], blank), FONT_POINTS), *((*row, small) for row in rows(n))]
            where.node(o.name, _label(o.name, _shown(o.name, state[o.name], blank), rows(o),
                                      f"{n.name} = {formula(n, TEXT)}\n{o.name} = {formula(o, TEXT)}", before, small),
                       style="filled,rounded", **_colours("intermediate"))
        elif kind == "neuron":  # a weighted sum, then the activation
            n, o = values
            with where.subgraph(name="cluster_neuron") as neuron:
                neuron.attr(label="neuron", style="rounded,dashed", color="#555555", fontsize=str(small),
                            labelloc="b", labeljust="r")  # below, where no edge arrives
                draw(neuron, n)
                draw(neuron, o)
                neuron.edge(n.name, o.name, label=o.op.name)
        else:
            draw(where, values[0])

    _lay_out(g, graph, group, in_cluster)
    for value in graph.named.values():
        for operand in graph.reads(value):
            tail, head = box[operand], box[value]
            if tail == head or pairs.get(operand) is value:
                continue  # inside its neuron
            if (operand, value) in connections:  # the connection, as TensorFlow Playground draws it
                g.edge(tail, head, **_weight(state[connections[operand, value].name]))
            elif operand.kind == "parameter":  # a weight or bias that sets the value
                g.edge(tail, head, color=_sign(state[operand.name]), style="dashed")
            else:
                g.edge(tail, head)
    return g


def boxes(graph: Graph) -> dict[Value, str]:
    """Which box each value is drawn in: its own, but where a network has several neurons, a neuron's weighted sum
    in the box of its activation (nh1 in h1's)."""
    pairs = neurons(graph)
    box = {value: value.name for value in graph.values.values()}
    return box | ({n: o.name for n, o in pairs.items()} if len(pairs) > 1 else {})


def _parameter(trace: Trace, value: Value, state, grad, updated, blank, compact: bool = False,
               small: int = SMALL_POINTS) -> str:
    """A parameter's label: its value, gradient, what the update rule keeps (momentum's velocity, its arithmetic), and
    the step that follows; once trained, just its value. Compact: the learning rate in the step as given, −0.5 rather
    than −0.500000."""
    name = value.name
    if grad is None:
        return _label(name, num(state[name]), small=small)
    computed, numbers = trace.step(name, state, grad, updated)
    shown = {v: x for v, x in numbers.items() if v.name not in blank}  # a blank is written by its name
    *kept, new = computed.values()
    rows = [(f"dL/d{name}", _shown(f"dL/d{name}", grad[name], blank)),
            *((v.name, f"{formula(v, NUMBERS if compact else STEP, shown)} = {_shown(v.name, numbers[v], blank)}")
              for v in kept),
            ("step", step(new, trace.config.rule.formulas(name)[1][name], shown, compact)),
            ("→ new", _shown(f"new {name}", updated[name], blank))]
    return _label(name, num(state[name]), rows, small=small)


def step(new: Value, parameter: Value, numbers: dict, compact: bool = False) -> str:
    """What an update adds to its parameter, −0.010000 × 0.707094 for w − learning_rate · dL/dw (compact: −0.01 ×
    0.707094), its numbers to 6 decimals and a number not known (a worksheet's blank) by its name."""
    style = NUMBERS if compact else STEP
    if new.op in (add, sub) and new.operands[0] is parameter:
        return ("+", MINUS)[new.op is sub] + product([new.operands[1]], style, "", numbers)
    return f"{written(new, style, numbers)} − {written(parameter, style, numbers)}"


def computation_graph(trace: Trace, k: int) -> graphviz.Digraph:
    """The same state as ae{k}, micrograd-style: one record per value (its name or formula, data, grad), a small node
    per operation, every number the network writes as a node of its own."""
    graph = trace.graph
    state, grad, hand, _, title = _state(trace, k)
    ids = {node: node.name if node.name else f"v{i}" for i, node in enumerate(graph.nodes)}
    labels = {node: key for key, node in graph.unnamed.items()}
    # Fifteen columns: every inch between them counts, so that at a laptop's width no text is under 12 px.
    g = _digraph(f"ae{k}", _legend(title, edges=False, graph=True), ranksep=0.1)
    for node in graph.nodes:
        if node.kind == "literal":
            fields = [TEXT.literal(node.number)]
        else:
            key = node.name or labels[node]
            fields = [key.replace(" + ", " +\\n"), num(state[key])]  # a long sum in two lines: narrower
            if grad is not None and node.kind != "constant":
                gradient = 1.0 if node is graph.loss else grad[key] if key in grad else hand[key]
                fields.append(f"∇\u00a0{num(gradient)}")
        g.node(ids[node], " | ".join(fields), shape="record", margin="0.06,0.05",  # in LR, top-level fields stack
               **_colours("constant" if node.kind == "literal" else kind_of(graph, node)))  # vertically
        if node.op is not None:
            g.node(f"{ids[node]}_op", node.op.name, shape="circle", margin="0.02", **_colours("operation"))
            for operand in node.operands:
                g.edge(ids[operand], f"{ids[node]}_op")
            g.edge(f"{ids[node]}_op", ids[node])
    return g


VIEWS = {"network": network, "graph": computation_graph}  # the drawings of a state, by name: what Display.view takes
MAX_DIAGRAMS = 50  # diagrams a notebook shows in full at most: each adds about 45 kB to the notebook


@dataclass(frozen=True)
class Display:
    """How a run is shown: which diagram, and how many epochs in full; validated here for every caller."""

    view: str = "network"  # one of VIEWS: "network" (the network, as the original drew it) or "graph" (micrograd-style)
    max_diagrams: int = 12  # a longer run shows the first, the last and evenly spaced epochs, this many in all

    def __post_init__(self):
        if not isinstance(self.view, str) or self.view not in VIEWS:
            raise ValueError(f"view must be one of {', '.join(VIEWS)}, got {excerpt(self.view)}")
        object.__setattr__(self, "max_diagrams", whole("max_diagrams", self.max_diagrams, 2, MAX_DIAGRAMS))

    def shown(self, epochs: int) -> list[int]:
        """The epochs (1-based) shown in full: all of them, or the first, the last and evenly spaced ones."""
        most = self.max_diagrams
        if epochs <= most:
            return list(range(1, epochs + 1))
        return sorted({1 + round(i * (epochs - 1) / (most - 1)) for i in range(most)})


def check(out_dir, epochs: int, view: str = "network", formats=FORMATS) -> tuple[Path, tuple[str, ...]]:
    """Everything write needs that can be checked before any work, each a ValueError in one line: the view, the
    formats, the folder, and every file's place (a name the file system takes, no folder standing there). The folder
    as a Path, and the formats once each ("svg,svg" renders and writes once)."""
    Display(view=view)  # the one check of a view's name
    formats = tuple(dict.fromkeys(formats))
    unknown = [fmt for fmt in formats if fmt not in FORMATS]
    if unknown:
        raise ValueError(f"--format must be one or more of {','.join(FORMATS)}, comma-separated, got {unknown[0]!r}")
    out = directory(out_dir)
    check_targets((out / f"ae{k}.{suffix}" for k in range(epochs + 1) for suffix in ("gv", *formats)), force=True)
    return out, formats


def write(trace: Trace, out_dir, view: str = "network", formats=FORMATS) -> int:
    """Write ae{k}.gv and ae{k}.<format> for every state into out_dir, a diagram at a time as it is rendered, so that
    memory holds a few whatever the epochs; the set is written whole or not at all (files.staged), over older files
    of the same names, and no other file is touched. The number of files written."""
    out, formats = check(out_dir, len(trace.epochs), view, formats)
    states = range(len(trace.epochs) + 1)
    with staged(out) as put:
        for start in range(0, len(states), CHUNK):
            apart(functools.partial(_write_states, trace, view, formats, states[start:start + CHUNK], put))
    return len(states) * (1 + len(formats))


def _write_states(trace: Trace, view: str, formats: tuple[str, ...], states: range, put, drawn) -> None:
    """put each state's .gv and renders, calling drawn() after each state."""
    sources = itertools.tee((VIEWS[view](trace, k).source for k in states), 1 + len(formats))  # a PNG palette's few
    diagrams = zip(sources[0], *(renders(copy, fmt) for copy, fmt in zip(sources[1:], formats)))  # ahead are kept
    for k, (source, *rendered) in zip(states, diagrams):
        put(f"ae{k}.gv", source.encode("utf-8"))
        for fmt, data in zip(formats, rendered):
            put(f"ae{k}.{fmt}", data)
        drawn()


# The stepper's diagram: the same network, compact enough to stand beside its lines on a laptop screen, with one
# text element per value ("slot") that the stepper fills in, frame by frame.

CAPTION_CHARACTERS = 90  # of the small font, across the stepper's diagram


def _value_rows(graph: Graph, value: Value, state: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """A value's rows in the stepper, (label, slot): its own number, its gradient unless it is a constant or the loss,
    a parameter's new state (momentum's velocity, v) and new value. A slot is the name of the number the row shows."""
    name, graded = value.name, value.kind in ("input", "parameter", "value") and value is not graph.loss
    stepped = ((s, f"new {s}_{name}") for s in state) if value.kind == "parameter" else ()
    return ((name, name), *(((f"dL/d{name}", f"dL/d{name}"),) if graded else ()), *stepped,
            *((("new", f"new {name}"),) if value.kind == "parameter" else ()))


def stepper_rows(trace: Trace) -> dict[str, tuple[tuple[str, str], ...]]:
    """For each box the stepper draws, its rows: a value's own, or where a network has several neurons, a neuron's
    weighted sum, its gradient, the activation's slope, then the activation's value and gradient (nh1 … dL/dh1)."""
    graph, state = trace.graph, tuple(trace.config.rule.state)
    pairs, box = neurons(graph), boxes(graph)
    rows = {}
    for value in graph.values.values():
        slope = next(((name, name) for name, (v, operand, _) in graph.locals.items() if (operand, v) in pairs.items()
                      and operand is value), None)
        if box[value] != value.name:  # a weighted sum, drawn in its neuron's box
            rows[box[value]] = (*_value_rows(graph, value, state), *((slope,) if slope else ()), *rows.get(box[value], ()))
        else:
            rows[value.name] = (*rows.get(value.name, ()), *_value_rows(graph, value, state))
    return rows


def stepper_edges(graph: Graph) -> list[tuple[str, str, Value, str | None]]:
    """Every edge of the stepper's network between two boxes, (tail, head, value read, slot): the slot of the local
    derivative that stands on it (do/dn), where it has one of its own."""
    slots = {(operand, value): name for name, (value, operand, _) in graph.locals.items()}
    box = boxes(graph)
    return [(box[operand], box[value], operand, slots.get((operand, value))) for value in graph.named.values()
            for operand in graph.reads(value) if box[operand] != box[value]]


def _rows(rows, slots: dict, heading: str = "", bold: str = "", padding: int = 1) -> str:
    """A compact HTML-like label: a heading if any, then one (label, value) row per slot, in bold the row of the slot
    named bold (or, without a heading, the first); values aligned right."""
    cells = [f'<TR><TD COLSPAN="3"><B>{heading}</B></TD></TR>'] if heading else []
    for i, (label, slot) in enumerate(rows):
        value = slots[slot]
        if slot == bold or not bold and i == 0 and not heading:
            label, value = f"<B>{label}</B>", f"<B>{value}</B>" if value else ""  # Graphviz refuses an empty <B></B>
        cells.append(f'<TR><TD ALIGN="LEFT">{label}</TD><TD WIDTH="10"></TD><TD ALIGN="RIGHT">{value}</TD></TR>')
    return f'<<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="{padding}">{"".join(cells)}</TABLE>>'


def stepper(trace: Trace, slots: dict[str, str], caption: str = "") -> graphviz.Digraph:
    """The stepper's network, laid out with these texts in its slots (the widest each slot will show), and a caption
    below it, if any."""
    graph, rows = trace.graph, stepper_rows(trace)
    layer = len(neurons(graph)) > 1  # a layer's numbers fill a slide: packed closer, to be drawn larger
    size, padding = str(STEPPER_POINTS if layer else SMALL_POINTS), int(not layer)
    g = graphviz.Digraph(
        "stepper",
        graph_attr={"rankdir": "LR", "nodesep": "0.06" if layer else "0.18", "ranksep": "0.3" if layer else "0.45",
                    "pad": "0.1", "bgcolor": "white"},
        node_attr={"fontname": FONT, "fontsize": size, "shape": "box", "style": "filled,rounded",
                   "penwidth": "2", "margin": "0.07,0.05" if layer else "0.08,0.04"},
        edge_attr={"fontname": FONT, "fontsize": size, "color": "#555555", "penwidth": "2", "arrowsize": "0.8"},
    )

    def group(where, kind: str, values: tuple) -> None:
        if kind == "neuron" and layer:  # one box
            where.node(values[1].name, _rows(rows[values[1].name], slots, bold=values[1].name, padding=padding),
                       **_colours("intermediate"))
        else:
            for value in values:
                where.node(value.name, _rows(rows[value.name], slots, padding=padding), **_colours(kind_of(graph, value)))

    _lay_out(g, graph, group)
    for tail, head, operand, slot in stepper_edges(graph):
        if slot:
            heading = graph.values[head].op.name if graph.activation(graph.values[head]) is operand else ""
            g.edge(tail, head, label=_rows(((slot, slot),), slots, heading=heading))
        else:
            g.edge(tail, head)
    if caption:  # Graphviz wraps no text: \l ends each left-aligned line
        g.attr(label="".join(f"{line}\\l" for line in textwrap.wrap(caption, CAPTION_CHARACTERS)), labelloc="b",
               labeljust="l", fontname=FONT, fontsize=size)
    return g


def tagged(svg: str, trace: Trace) -> str:
    """The stepper diagram's SVG with data-node, data-edge and data-slot attributes, for the stepper's script.

    Graphviz writes each row's label, then its value, row by row, so a node's (2k+1)-th text is its k-th slot; an
    edge with a slot may have a heading (the activation's name) first. An edge's title reads "tail&#45;&gt;head"."""
    graph, rows = trace.graph, stepper_rows(trace)
    edges = {(tail, head): (slot, graph.activation(graph.values[head]) is operand)
             for tail, head, operand, slot in stepper_edges(graph) if slot}

    def tag(group: re.Match) -> str:
        kind, body = group.group(1), group.group(0)
        title = html.unescape(re.search(r"<title>(.*?)</title>", body).group(1))
        if kind == "node":
            attribute, slots, start = f'data-node="{title}"', [slot for _, slot in rows[title]], 0
        else:
            tail, head = title.split("->")
            slot, headed = edges.get((tail, head), (None, False))
            attribute, slots, start = f'data-edge="{tail}-{head}"', [slot] if slot else [], -1 if headed else 0
        texts = itertools.count(start)  # an edge's heading is text -1

        def slotted(text: re.Match) -> str:
            i = next(texts)
            if i < 0 or i % 2 == 0:  # a heading or a row's label
                return text.group(0)
            return text.group(0).replace("<text ", f'<text data-slot="{slots[i // 2]}" ', 1)

        body = re.sub(r"<text .*?</text>", slotted, body, flags=re.DOTALL)
        return body.replace(f'class="{kind}"', f'class="{kind}" {attribute}', 1)

    return re.sub(r'<g id="[^"]*" class="(node|edge)">.*?</g>', tag, svg, flags=re.DOTALL)

