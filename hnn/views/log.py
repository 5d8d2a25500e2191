"""The walkthrough log, in the format of Kevin Thomas's Hacking Neural Networks notebook (STEP 0-3 per epoch), for any
network, with two corrections."""
from __future__ import annotations

from collections.abc import Iterator

from hnn.formula import CODE, apart, formula, product
from hnn.trace import Epoch, State, Trace

CORRECTIONS = """\
Note: two corrections to the log of Kevin Thomas's notebook Hacking Neural Networks, which hnn rebuilds.
  - STEP 3 shows the value before the update on the right-hand side; that notebook printed the updated value there.
  - Final Output is the forward pass with the trained parameters; that notebook repeated the last epoch's values
    from before its update."""


def six(x: float) -> str:
    """A number to 6 decimals, as the original printed them, but 0.000000 for a zero or a tiny negative number."""
    text = f"{x:.6f}"
    return text[1:] if text == "-0.000000" else text


def _numbers(trace: Trace, state: State) -> dict:
    """Each named value of the graph, and each leaf, with its number in this state."""
    return {value: state[name] for name, value in trace.graph.values.items()}


def _computed(trace: Trace, state: State, indent: str) -> list[str]:
    """Each computed value with its formula and the numbers that went in; the loss called loss, as the original did."""
    graph, numbers = trace.graph, _numbers(trace, state)
    lines = []
    for name, value in graph.named.items():
        label, written = ("loss", "Loss") if value is graph.loss else (name, name)
        lines.append(f"{indent}{label} = {six(state[name])} ({written} = {formula(value, CODE, numbers)})")
    return lines


def _chain(trace: Trace, name: str) -> str:
    """dL/d(name) as the chain rule writes it, each path's local factor first: x1 * (o - target) * (1 - o^2)."""
    graph = trace.graph
    terms = []
    for factors in graph.paths(graph.values[name]):
        factors = [factors[-1], *factors[:-1]]
        kept = [f for f in factors if not (f.kind == "literal" and f.number == 1)] or factors[:1]
        terms.append(product(kept, CODE, " * "))
    return " + ".join(terms)


def epoch_text(trace: Trace, e: Epoch) -> str:
    """One epoch's STEP 0-3 block, ending with a blank line, as the original printed it."""
    graph, c = trace.graph, trace.config
    title = f"EPOCH {e.epoch}"
    meeting = [name for name in graph.backward if len(graph.consumers[graph.named[name]]) > 1]  # where paths add up
    states = [f"{s}_{p}" for s in c.rule.state for p in graph.parameters]  # what the update rule keeps: v_w1, …
    listed = lambda numbers, names: ["    " + ", ".join(f"{n} = {six(numbers[n])}" for n in names)] if names else []  # noqa: E731
    lines = [
        title,
        "-" * len(title),
        "STEP 0: INITIAL VALUES",
        "  initial values:",
        "    " + ", ".join(f"{name} = {c.leaves[name]}" for name in graph.inputs),
        *listed(e.values, graph.parameters),
        *listed(e.values, states),
        "STEP 1: FORWARD PASS",
        "  forward pass:",
        *_computed(trace, e.values, "    "),
        "STEP 2: BACK PROPAGATION",
        "  gradients (calculated during backward pass):",
        *(f"    {name}.grad = {six(e.grad[name])} (gradient of loss w.r.t {name}: dL/d{name} = {_chain(trace, name)})"
          for name in (*meeting, *graph.parameters)),
        f"STEP 3: OPTIMIZATION / {c.rule.heading}",
    ]
    for p in graph.parameters:  # each value the update rule computes, in the order it computes them
        computed, numbers = trace.step(p, e.values, e.grad, e.updated)
        for name, value in computed.items():
            kept = name.removeprefix("new ")
            lines.append(f"    updated {kept} = {six(e.updated[kept])} "
                         f"({kept} = {formula(value, CODE)} = {formula(value, CODE, numbers)})")
    lines += [
        "  updated parameters:",
        *listed(e.updated, graph.parameters),
        *listed(e.updated, states),
        "",
    ]
    return "\n".join(lines) + "\n"


def final_text(trace: Trace, note: bool = True) -> str:
    """The trained network's forward pass and parameters, then (note) the note on the corrections, where a run has
    epochs for them to apply to."""
    graph, f = trace.graph, trace.final
    lines = ["Final Output:"]
    for name, value in graph.named.items():
        if value is graph.loss:
            lines.append(f"  Final Loss = {six(f.loss)}")
        elif graph.activation(value) is not None:  # o = tanh(n): which activation made it
            lines.append(f"  Final {name} = {six(f[name])} ({name} = {formula(value, CODE, _numbers(trace, f))})")
        else:
            lines.append(f"  Final {name} = {six(f[name])}")
    if trace.epochs:
        last = trace.epochs[-1]
        if six(last.loss) != six(f.loss):
            lines.append(f"  (the forward pass with the trained parameters; epoch {last.epoch}'s loss, before its update,"
                         f" was {six(last.loss)})")
        else:  # the same to 6 decimals: written with the digits that tell them apart, or said to be the same
            trained, before = apart(f.loss, last.loss)
            lines.append(f"  (the forward pass with the trained parameters, loss {trained}; epoch {last.epoch}'s loss,"
                         f" before its update, was {before})" if trained != before else
                         f"  (the forward pass with the trained parameters; epoch {last.epoch}'s loss, before its update,"
                         " was the same: its step changed nothing)")
    lines += [
        "Final Parameters:",
        "  " + ", ".join(f"{p} = {six(f[p])}" for p in graph.parameters),
    ]
    if note and trace.epochs:  # with no epoch there is no STEP 3, and no last epoch to repeat
        lines += ["", CORRECTIONS]
    return "\n".join(lines) + "\n"


def walkthrough(trace: Trace) -> str:
    """The whole log: every epoch, then the final output."""
    return "".join(walkthrough_pieces(trace))


def walkthrough_pieces(trace: Trace) -> Iterator[str]:
    """The log an epoch at a time, for a printer that writes it as it goes."""
    yield from (epoch_text(trace, e) for e in trace.epochs)
    yield final_text(trace)
