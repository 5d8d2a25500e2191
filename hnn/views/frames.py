"""The stepper's frames: every sub-step of every shown epoch, precomputed from a Trace and its graph. Each frame says
what the sub-step computes, as formula = numbers = result, which values the diagram shows so far, and which boxes the
sub-step reads and writes; values the epoch has not computed yet stay blank. The forward pass goes in the order the
network computes its values, the backward pass from the loss down, a frame for each path where paths meet and one for
their sum, then each update.

Each frame that works a number out also carries what the stepper's Predict mode asks: the number, and the numbers
a student would get with a likely slip (the sign, a factor or a term left out, another activation or its slope),
each found by working the frame's own formula out with that slip."""
from __future__ import annotations

import functools
import math

import torch

from hnn.formula import NUMBERS, TEXT, factor, formula, given, num, written
from hnn.graph import Graph
from hnn.ops import ACTIVATIONS, Value, add, mul, power, sub
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


def epoch_numbers(graph: Graph, e: Epoch) -> dict[Value, float]:
    """Every number of an epoch by the value that stands for it in a formula: values, gradients (dL/do) and slopes
    (do/dn)."""
    numbers = {value: e.values[name] for name, value in graph.values.items()}
    numbers.update({graph.gradient(graph.values[name]): e.grad[name] for name in graph.graded})
    numbers.update({_slope(graph, name): number for name, number in e.local.items()})
    return numbers


def chain_rule(graph: Graph, value: Value) -> Value:
    """dL/d(value) as a formula over the gradients and slopes of the values that read it, as the frames work it out:
    o − target, dL/do · do/dn, x1 · dL/dn, w5 · dL/dno1 + w7 · dL/dno2."""
    terms = []
    for reader in graph.consumers[value]:
        slope = f"d{reader.name}/d{value.name}"
        local = _local(graph, reader, value)
        terms.append(local if reader is graph.loss else _chained(graph, reader, slope) if slope in graph.locals
                     else _times(graph, local, reader))
    return _sum(terms)


def _epoch_frames(trace: Trace, e: Epoch) -> list[dict]:
    """The sub-steps of one epoch, in the order the network computes them."""
    graph, c = trace.graph, trace.config
    numbers = epoch_numbers(graph, e)
    shown = {name: num(e.values[name]) for name in graph.leaves if name in graph.values}
    frames, lines = [], []
    shapes = _shapes(graph)

    def frame(step: str, line: str, computed: dict, read: list, write: list, ask: tuple | None = None) -> None:
        nonlocal lines
        lines = [line] if not frames or frames[-1]["step"] != step else [*lines, line]
        shown.update(computed)
        frames.append({"epoch": e.epoch, "step": step, "lines": lines[-LINES:], "slots": dict(shown),
                       "read": list(dict.fromkeys(map(shapes, read))), "write": list(dict.fromkeys(map(shapes, write)))})
        if ask is not None:  # (name, the formula it is worked out with, the numbers that go in, the result[, slips])
            frames[-1]["ask"] = _ask(*ask)

    settings = [f"{name} = {given(c.leaves[name])}" for name in (*graph.inputs, *graph.constants)]
    settings += [f"{name} = {given(x)}" for name, x in {"learning_rate": c.learning_rate, **c.rule_settings}.items()]
    kept = [f"{s}_{p}" for s in c.rule.state for p in graph.parameters]  # what the update rule keeps: v_w1, …
    start = ", ".join(f"{name} = {num(e.values[name])}" for name in (*graph.parameters, *kept))
    frame(STEP0, f"{', '.join(settings)}; {start}", {}, [*graph.inputs, *graph.parameters, *graph.constants], [])
    for name, value in graph.named.items():
        operands = [operand.name for operand in graph.reads(value)]
        frame(STEP1, f"{name} = {formula(value, TEXT)} = {formula(value, NUMBERS, numbers)} = {num(e.values[name])}",
              {name: num(e.values[name])}, [*operands, *(f"{operand}-{name}" for operand in operands)], [name],
              (name, value, numbers, e.values[name]))
    for value in backward_order(graph):
        _gradient_frames(graph, e, value, numbers, frame)
    step = f"STEP 3: OPTIMIZATION / {c.rule.heading}"
    for p in graph.parameters:  # each value the update rule computes: momentum's new velocity, then the parameter
        computed, values = trace.step(p, e.values, e.grad, e.updated)
        for name, value in computed.items():
            result = num(e.updated[name.removeprefix("new ")])
            frame(step, f"{name} = {formula(value, TEXT)} = {formula(value, NUMBERS, values)} = {result}",
                  {name: result}, [p], [p], (name, value, values, e.updated[name.removeprefix("new ")]))
    return frames


def _gradient_frames(graph: Graph, e: Epoch, value: Value, numbers: dict, frame) -> None:
    """The frames that give one value its gradient: for each value that reads it, the local derivative (where it is
    more than a name or a number, a frame of its own) times that value's gradient; where paths meet, a frame for each
    path, then their sum."""
    name, readers = value.name, graph.consumers[value]
    gradient = f"dL/d{name}"
    parts = []  # (formula, numbers, reads, the formula as a value, more slips) of each path's term
    for reader in readers:
        local = _local(graph, reader, value)
        if reader is graph.loss:  # dL/do = o − target: the loss's own derivative
            parts.append((formula(local, TEXT), formula(local, NUMBERS, numbers), [reader.name, *names(local)], local, ()))
            continue
        slope = f"d{reader.name}/d{name}"
        upstream = f"dL/d{reader.name}"
        if slope in graph.locals:  # do/dn = 1 − o², on the edge
            local = graph.locals[slope][2]
            frame(STEP2, f"{slope} = {formula(local, TEXT)} = {formula(local, NUMBERS, numbers)} = {num(e.local[slope])}",
                  {slope: num(e.local[slope])}, names(local), [f"{name}-{reader.name}"],
                  (slope, local, numbers, e.local[slope], _other_slopes(graph, reader, value, False)))
            parts.append((f"{upstream} · {slope}", f"{factor(num(e.grad[reader.name]))} × {factor(num(e.local[slope]))}",
                          [reader.name, f"{name}-{reader.name}"], _chained(graph, reader, slope),
                          _other_slopes(graph, reader, value, True) if reader.op.activation else ()))
        else:  # x1 · dL/dn: a name or a number, written in front
            parts.append((f"{written(local, TEXT)} · {upstream}",
                          f"{factor(written(local, NUMBERS, numbers))} × {factor(num(e.grad[reader.name]))}",
                          [reader.name, f"{name}-{reader.name}", *names(local)], _times(graph, local, reader), ()))
    if len(parts) > 1:  # where paths meet: each path's part, then their sum
        for reader, (text, values, read, term, also) in zip(readers, parts):
            number = e.terms[f"{gradient} via {reader.name}"]
            frame(STEP2, f"{gradient} via {reader.name} = {text} = {values} = {num(number)}", {}, read, [],
                  (f"{gradient} via {reader.name}", term, numbers, number, also))
        terms = [e.terms[f"{gradient} via {reader.name}"] for reader in readers]
        frame(STEP2, f"{gradient} = {' + '.join(text for text, *_ in parts)} = "
                     f"{' + '.join(factor(num(term)) for term in terms)} = {num(e.grad[name])}",
              {gradient: num(e.grad[name])}, [shape for _, _, read, _, _ in parts for shape in read], [name],
              (gradient, _sum([term for *_, term, _ in parts]), numbers, e.grad[name]))
    else:
        text, values, read, term, also = parts[0]
        frame(STEP2, f"{gradient} = {text} = {values} = {num(e.grad[name])}", {gradient: num(e.grad[name])}, read, [name],
              (gradient, term, numbers, e.grad[name], also))


# Predict: what a student may get instead of a frame's number.

@functools.lru_cache(maxsize=256)
def _slope(graph: Graph, name: str) -> Value:
    """A local derivative shown on its own (do/dn), as a value a formula can be written with: dL/dn = dL/do · do/dn."""
    return Value(name=name, kind="gradient")


@functools.lru_cache(maxsize=1024)
def _local(graph: Graph, reader: Value, value: Value) -> Value:
    """graph.local(reader, value), the same value each time: its slips are found once, not once an epoch."""
    return graph.local(reader, value)


@functools.lru_cache(maxsize=256)
def _chained(graph: Graph, reader: Value, slope: str) -> Value:
    """dL/dn = dL/do · do/dn as a value, the same one each time, so that its slips are found once."""
    return mul(graph.gradient(reader), _slope(graph, slope))


@functools.lru_cache(maxsize=1024)
def _times(graph: Graph, local: Value, reader: Value) -> Value:
    """dL/dw1 = x1 · dL/dn as a value, the same one each time."""
    return mul(local, graph.gradient(reader))


def _sum(terms: list[Value]) -> Value:
    """The paths' terms added up, the one value each time for the same terms: dL/dh1 via no1 + dL/dh1 via no2."""
    return _sum_value(tuple(terms))


@functools.lru_cache(maxsize=256)
def _sum_value(terms: tuple[Value, ...]) -> Value:
    total = terms[0]
    for term in terms[1:]:
        total = add(total, term)
    return total


def _ask(name: str, expression: Value, numbers: dict, result: float, also=()) -> dict:
    """What Predict asks of a frame: the name of its number, the number as shown, and each likely slip with the number
    it gives (as shown, and neither the answer nor another slip's) and what the slip is; also: more slips."""
    answer, mistakes = num(result), {}
    for slipped, why in ((None, "That has the wrong sign."), *_slips(expression), *also):
        number = -result if slipped is None else _number(slipped, numbers)
        if number is not None and num(number) != answer:
            mistakes.setdefault(num(number), why)
    return {"name": name, "answer": answer, "mistakes": [[number, why] for number, why in mistakes.items()]}


@functools.lru_cache(maxsize=4096)  # a formula's slips are the same in every epoch: found once, worked out each time
def _slips(expression: Value) -> tuple[tuple[Value, str], ...]:
    """The formula with one likely slip each, and what the slip is, outermost first: a factor or a term left out, a
    difference added, a power left out, another activation."""
    return tuple(_slipped(expression, top=True))


@functools.lru_cache(maxsize=256)
def _other_slopes(graph: Graph, made: Value, sum_: Value, upstream: bool) -> tuple[tuple[Value, str], ...]:
    """The slopes of the other activations at the same n and o, in place of this one's (do/dn = o · (1 − o) where
    o = tanh(n)); upstream: each times dL/do, for dL/dn."""
    found = []
    for other in ACTIVATIONS.values():
        if other is not made.op:
            slope = other.locals(sum_, made)[0]
            why = f"That is {other.name}'s slope, {written(slope, TEXT)}, not {made.op.name}'s."
            found.append((mul(graph.gradient(made), slope) if upstream else slope, why))
    return tuple(found)


def _slipped(node: Value, top: bool = False):
    """Each way of writing node with one slip, as (the slipped value, what the slip is)."""
    if node.op is None or node.name is not None and not top:
        return
    a, *rest = node.operands
    b = rest[0] if rest else None
    said = lambda value: written(value, TEXT)  # noqa: E731
    if node.op is mul:
        yield a, f"That leaves out the factor {said(b)}."
        yield b, f"That leaves out the factor {said(a)}."
    elif node.op in (add, sub):
        yield a, f"That leaves out the term {said(b)}."
        yield (b, f"That leaves out the term {said(a)}.") if node.op is add else (-b, f"That leaves out {said(a)}.")
        if node.op is sub:
            yield add(a, b), f"That adds {said(b)} where the formula subtracts it."
    elif node.op is power:
        yield a, f"That leaves out the power: {said(a)}, not {said(node)}."
    elif node.op.activation:
        for other in ACTIVATIONS.values():
            if other is not node.op:
                yield other(a), f"That is {other.name}({said(a)}), not {node.op.name}({said(a)})."
    for i, operand in enumerate(node.operands):  # a slip inside one operand, the rest as written
        for slip, why in _slipped(operand):
            yield Value(node.op, (*node.operands[:i], slip, *node.operands[i + 1:])), why


def _number(expression: Value, known: dict) -> float | None:
    """A formula's number in plain floats (an activation through torch, as training computes it); None where the slip
    makes no real number (a division by 0, a root of a negative number)."""
    if expression in known:
        return known[expression]
    if expression.kind == "literal":
        return expression.number
    operands = [_number(operand, known) for operand in expression.operands]
    if None in operands:
        return None
    try:
        number = expression.op.forward(*operands)
    except TypeError:  # torch's functions take tensors
        number = expression.op.forward(*(torch.tensor(x, dtype=torch.float64) for x in operands))
    except (ZeroDivisionError, OverflowError):
        return None
    number = float(number) if not isinstance(number, complex) else math.nan
    return number if math.isfinite(number) else None


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
            "slots": slots, "read": [], "write": list(diagram.stepper_rows(trace)),
            "epochs": len(trace.epochs)}  # the run's, which a long run shows only some of


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
