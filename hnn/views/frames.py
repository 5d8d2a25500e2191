"""The stepper's frames: every sub-step of every shown epoch, precomputed from a Trace and its graph. Each frame says
what the sub-step computes, as formula = numbers = result, which values the diagram shows so far, and which boxes the
sub-step reads and writes; values the epoch has not computed yet stay blank. The forward pass goes in the order the
network computes its values, the backward pass from the loss down, a frame for each path where paths meet and one for
their sum, then each update."""
from __future__ import annotations

from hnn.formula import NUMBERS, TEXT, factor, formula, given, num, written
from hnn.graph import Graph
from hnn.ops import Value
from hnn.trace import Epoch, Trace
from hnn.views import diagram
from hnn.views.diagram import Display
from hnn.views.render import render

STEP0, STEP1, STEP2 = "STEP 0: INITIAL VALUES", "STEP 1: FORWARD PASS", "STEP 2: BACK PROPAGATION"
LINES = 8  # of a step, the latest lines a frame shows: all of the neuron's (its backward pass has 8), the last 8 of a
# hidden layer's 34, so that the line just computed stays near the diagram rather than a screen below it
# Below the picture that stands in for the stepper where it cannot run: JupyterLab shows a widget only in a trusted
# notebook, and GitHub and nbviewer run none.
HOW_TO_STEP = ("To step through every frame, run this cell in JupyterLab (or trust the notebook), then use Previous,"
               " Next, Play or the keys \u2190 \u2192 Space.")


def names(expression: Value) -> list[str]:
    """The named values and leaves a formula is written with, in the order it writes them."""
    found = []

    def visit(node: Value) -> None:
        if node.name is not None and node.kind != "gradient":
            found.append(node.name)
        elif node.op is not None:
            for operand in node.operands:
                visit(operand)

    visit(expression)
    return list(dict.fromkeys(found))


def backward_order(graph: Graph) -> list[Value]:
    """Every value that gets a gradient, in the order the backward pass reaches it: by distance from the loss (o, then
    n), a leaf as soon as every value that reads it has its gradient, before the values as far (the output layer's
    weights before the hidden layer's values), parameters before inputs."""
    leaves = [graph.values[name] for name in (*graph.parameters, *graph.inputs)]
    return sorted([*leaves, *(graph.named[name] for name in graph.backward)], key=lambda value: graph.depth[value])


def _epoch_frames(trace: Trace, e: Epoch) -> list[dict]:
    """The sub-steps of one epoch, in the order the network computes them."""
    graph, c = trace.graph, trace.config
    numbers = {value: e.values[name] for name, value in graph.values.items()}
    numbers.update({graph.gradient(graph.values[name]): e.grad[name] for name in graph.graded})
    shown = {name: num(e.values[name]) for name in graph.leaves if name in graph.values}
    frames, lines = [], []
    shapes = _shapes(graph)

    def frame(step: str, line: str, computed: dict, read: list, write: list) -> None:
        nonlocal lines
        lines = [line] if not frames or frames[-1]["step"] != step else [*lines, line]
        shown.update(computed)
        frames.append({"epoch": e.epoch, "step": step, "lines": lines[-LINES:], "slots": dict(shown),
                       "read": list(dict.fromkeys(map(shapes, read))), "write": list(dict.fromkeys(map(shapes, write)))})

    settings = [f"{name} = {given(c.leaves[name])}" for name in (*graph.inputs, *graph.constants)]
    settings += [f"{name} = {given(x)}" for name, x in {"learning_rate": c.learning_rate, **c.rule_settings}.items()]
    kept = [f"{s}_{p}" for s in c.rule.state for p in graph.parameters]  # what the update rule keeps: v_w1, …
    start = ", ".join(f"{name} = {num(e.values[name])}" for name in (*graph.parameters, *kept))
    frame(STEP0, f"{', '.join(settings)}; {start}", {}, [*graph.inputs, *graph.parameters, *graph.constants], [])
    for name, value in graph.named.items():
        operands = [operand.name for operand in graph.reads(value)]
        frame(STEP1, f"{name} = {formula(value, TEXT)} = {formula(value, NUMBERS, numbers)} = {num(e.values[name])}",
              {name: num(e.values[name])}, [*operands, *(f"{operand}-{name}" for operand in operands)], [name])
    for value in backward_order(graph):
        _gradient_frames(graph, e, value, numbers, frame)
    step = f"STEP 3: OPTIMIZATION / {c.rule.heading}"
    for p in graph.parameters:  # each value the update rule computes: momentum's new velocity, then the parameter
        computed, values = trace.step(p, e.values, e.grad, e.updated)
        for name, value in computed.items():
            result = num(e.updated[name.removeprefix("new ")])
            frame(step, f"{name} = {formula(value, TEXT)} = {formula(value, NUMBERS, values)} = {result}",
                  {name: result}, [p], [p])
    return frames


def _gradient_frames(graph: Graph, e: Epoch, value: Value, numbers: dict, frame) -> None:
    """The frames that give one value its gradient: for each value that reads it, the local derivative (where it is
    more than a name or a number, a frame of its own) times that value's gradient; where paths meet, a frame for each
    path, then their sum."""
    name, readers = value.name, graph.consumers[value]
    gradient = f"dL/d{name}"
    parts = []  # (formula, numbers, reads) of each path's term
    for reader in readers:
        local = graph.local(reader, value)
        if reader is graph.loss:  # dL/do = o − target: the loss's own derivative
            parts.append((formula(local, TEXT), formula(local, NUMBERS, numbers), [reader.name, *names(local)]))
            continue
        slope = f"d{reader.name}/d{name}"
        upstream = f"dL/d{reader.name}"
        if slope in graph.locals:  # do/dn = 1 − o², on the edge
            frame(STEP2, f"{slope} = {formula(local, TEXT)} = {formula(local, NUMBERS, numbers)} = {num(e.local[slope])}",
                  {slope: num(e.local[slope])}, names(local), [f"{name}-{reader.name}"])
            parts.append((f"{upstream} · {slope}", f"{factor(num(e.grad[reader.name]))} × {factor(num(e.local[slope]))}",
                          [reader.name, f"{name}-{reader.name}"]))
        else:  # x1 · dL/dn: a name or a number, written in front
            parts.append((f"{written(local, TEXT)} · {upstream}",
                          f"{factor(written(local, NUMBERS, numbers))} × {factor(num(e.grad[reader.name]))}",
                          [reader.name, f"{name}-{reader.name}", *names(local)]))
    if len(parts) > 1:  # where paths meet: each path's part, then their sum
        for reader, (text, values, read) in zip(readers, parts):
            term = e.terms[f"{gradient} via {reader.name}"]
            frame(STEP2, f"{gradient} via {reader.name} = {text} = {values} = {num(term)}", {}, read, [])
        terms = [e.terms[f"{gradient} via {reader.name}"] for reader in readers]
        frame(STEP2, f"{gradient} = {' + '.join(text for text, _, _ in parts)} = "
                     f"{' + '.join(factor(num(term)) for term in terms)} = {num(e.grad[name])}",
              {gradient: num(e.grad[name])}, [reader.name for reader in readers], [name])
    else:
        text, values, read = parts[0]
        frame(STEP2, f"{gradient} = {text} = {values} = {num(e.grad[name])}", {gradient: num(e.grad[name])}, read, [name])


def _shapes(graph: Graph):
    """What a value's or an edge's name is in the stepper's drawing: the box it is drawn in (nh1 in h1's, where a
    network has several neurons), an edge between two boxes, or the box an edge inside one stands for."""
    box = {name: diagram.boxes(graph)[value] for name, value in graph.values.items()}

    def shape(name: str) -> str:
        if name in box:
            return box[name]
        tail, head = (box[end] for end in name.split("-"))
        return tail if tail == head else f"{tail}-{head}"

    return shape


def _trained_frame(trace: Trace) -> dict:
    """The trained network: its parameters and its forward pass, and how far the loss came down."""
    graph, f = trace.graph, trace.final
    computed = []
    for name, value in graph.named.items():
        made = graph.activation(value)
        computed.append(f"{name} = {value.op.name}({made.name}) = {num(f[name])}" if made is not None
                        else f"{name} = {num(f[name])}")
    computed[-1] += f" (before training: {num(trace.losses()[0])})"
    lines = [", ".join(f"{p} = {num(f[p])}" for p in graph.parameters), ", ".join(computed)]
    slots = {name: num(f[name]) for name in graph.values}
    return {"epoch": 0, "step": f"THE TRAINED NETWORK, after {len(trace.epochs)} epochs", "lines": lines,
            "slots": slots, "read": [], "write": list(diagram.stepper_rows(trace))}


def frames(trace: Trace, display: Display) -> list[dict]:
    """Every sub-step of each epoch the display shows, then the trained network."""
    shown = display.shown(len(trace.epochs))
    return [frame for epoch in shown for frame in _epoch_frames(trace, trace.epoch(epoch))] + [_trained_frame(trace)]


def _blank_slots(trace: Trace) -> dict[str, str]:
    """Every slot of the stepper's diagram, empty."""
    slots = {slot: "" for rows in diagram.stepper_rows(trace).values() for _, slot in rows}
    return slots | {slot: "" for *_, slot in diagram.stepper_edges(trace.graph) if slot}


def template(trace: Trace, all_frames: list[dict]) -> str:
    """The stepper's diagram as tagged SVG, laid out around the widest text each slot shows in any frame."""
    slots = _blank_slots(trace)
    for frame in all_frames:
        for slot, text in frame["slots"].items():
            slots[slot] = max(slots[slot], text, key=len)
    source = diagram.stepper(trace, slots).source
    return diagram.tagged(render([source], "svg")[0].decode(), trace)


def picture(trace: Trace, frame: dict) -> str:
    """One frame as an SVG, for where the stepper cannot run (an untrusted notebook, GitHub, nbviewer): the slots it
    shows filled in, the others blank, and below it the line on how to step."""
    source = diagram.stepper(trace, _blank_slots(trace) | frame["slots"], caption=HOW_TO_STEP).source
    return render([source], "svg")[0].decode()
