"""The walkthrough's worked examples as Markdown, written from a run's own graph and trace: the forward pass, the chain
rule and the step with its numbers, and the one-line descriptions (alt text) of its diagrams and figures."""
from __future__ import annotations

import re

from hnn.formula import CODE, LATEX, LATEX_NUMBERS, apart, formula, product, short, symbol, written
from hnn.graph import Graph
from hnn.ops import Value
from hnn.trace import Trace
from hnn.views.diagram import neurons


def f(x: float) -> str:
    """A number as a factor in a product: a negative one in parentheses, 2 · (−3) rather than 2 · −3."""
    return f"({short(x)})" if short(x).startswith("-") else short(x)


def first(trace: Trace):
    """What the worked examples use: epoch 1, or with epochs = 0 the untrained network's forward pass."""
    return trace.epochs[0].values if trace.epochs else trace.final


def _symbol(value: Value) -> str:
    return value.symbol or symbol(value.name)


def _gradient(value: Value) -> str:
    """dL/d(value) in LaTeX: \\frac{\\partial L}{\\partial w_1}."""
    return rf"\frac{{\partial L}}{{\partial {_symbol(value)}}}"


def _listed(items: list[str]) -> str:
    """a, b and c."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _numbers(trace: Trace, state) -> dict:
    graph = trace.graph
    return {value: state[name] for name, value in graph.values.items()}


def _display(equations: list[tuple[Value, str]], rows: list[list[int]] | None) -> str:
    """Display equations, (the value on the left, the right-hand side): side by side on one line, or with rows (lists of
    indices into equations) aligned on their = signs, a row at a time, where one line would run past the page."""
    if rows is None:
        return ", \\qquad ".join(f"{left} = {right}" for left, right in equations)
    lines = " \\\\ ".join(", & ".join(f"{equations[i][0]} &= {equations[i][1]}" for i in row) for row in rows)
    return f"\\begin{{aligned}} {lines} \\end{{aligned}}"


def _per_neuron(graph: Graph, values: list[Value]) -> list[list[int]] | None:
    """Where a network has several neurons, a row for each, its weighted sum beside its activation's output, and a row
    for each other value; None for one neuron, whose formulas fit on one line."""
    pairs = neurons(graph)
    if len(pairs) < 2:
        return None
    rows = []
    for i, value in enumerate(values):
        if rows and pairs.get(values[rows[-1][-1]]) is value:
            rows[-1].append(i)
        else:
            rows.append([i])
    return rows


def forward(trace: Trace) -> str:
    """The network's formulas, what its neurons do, then its forward pass and loss with the starting values."""
    graph, s = trace.graph, first(trace)
    numbers = _numbers(trace, s)
    computed = [value for value in graph.named.values() if value is not graph.loss]
    formulas = _display([(_symbol(v), formula(v, LATEX)) for v in computed], _per_neuron(graph, computed))
    sentences = []
    pairs = neurons(graph)
    if pairs:
        sums = _listed([f"${_symbol(n)}$" for n in pairs])
        activations = list(dict.fromkeys(o.op for o in pairs.values()))
        what = _listed([f"{op.name}, {op.says}" if op.says else op.name for op in activations])
        one = len(pairs) == 1
        sentences.append(f"The weighted sum{'' if one else 's'} {sums} can be any number; the activation"
                         f"{'' if len(activations) == 1 else 's'}, {what}.")
    worked = _listed([f"${_symbol(v)} = {formula(v, LATEX_NUMBERS, numbers)} = {short(s[v.name])}$" for v in computed])
    sentences.append(f"With the starting values, {worked}.")
    compared = [value for value in graph.reads(graph.loss) if value.kind == "constant"]
    loss = f"${_symbol(graph.loss)} = {formula(graph.loss, LATEX_NUMBERS, numbers)} = {short(s.loss)}$"
    if compared:
        stem = re.sub(r"\d+$", "", compared[0].name)
        values = _listed([f"${_symbol(c)} = {short(s[c.name])}$" for c in compared])
        said = f"The {stem} is {values}" if len(compared) == 1 else f"The {stem}s are {values}"
        last = f"{said}, so the starting loss is {loss}."
    else:
        last = f"The starting loss is {loss}."
    return f"$${formulas}.$$\n\n{' '.join(sentences)}\n\n{last}"


def _chain(graph: Graph, value: Value) -> str:
    """dL/d(value) in LaTeX, each path a product of factors from the loss down: (o - t)\\cdot (1 - o^2)\\cdot x_1; a
    path after the first that starts with a minus sign is subtracted, a - b rather than a + -b."""
    terms = [product(factors, LATEX, "\\cdot ") for factors in graph.paths(value)]
    return terms[0] + "".join(f" - {term[1:]}" if term.startswith("-") else f" + {term}" for term in terms[1:])


def _zero_inputs(trace: Trace) -> dict[str, tuple[Value, Value]]:
    """The parameters whose only factor is an input that is 0 here (w2 with x2 = 0): their gradient is 0 in every
    epoch, and they never move. Each with that input and the value that reads them."""
    graph, found = trace.graph, {}
    for p in graph.parameters:
        readers = graph.consumers[graph.values[p]]
        if len(readers) == 1:
            local = graph.local(readers[0], graph.values[p])
            if local.kind == "input" and trace.config.leaves[local.name] == 0:
                found[p] = (local, readers[0])
    return found


def backward(trace: Trace) -> str:
    """The chain rule for each parameter with this network's local derivatives, epoch 1's factors, and why a parameter
    whose input is 0 never moves."""
    graph, grad = trace.graph, _gradient
    parameters = [graph.values[p] for p in graph.parameters]
    chains = lambda values: [(grad(v), _chain(graph, v)) for v in values]  # noqa: E731
    if len(neurons(graph)) > 1:  # where paths meet, a wide sum a row, then the parameters two a row
        meet = [graph.named[name] for name in graph.backward if len(graph.consumers[graph.named[name]]) > 1]
        blocks = [_display(chains(meet), [[i] for i in range(len(meet))])] if meet else []
        blocks.append(_display(chains(parameters), [[i, i + 1][:len(parameters) - i] for i in range(0, len(parameters), 2)]))
    else:
        blocks = [_display(chains(parameters), None)]
    lines = [" ".join(f"$${block}$$" for block in blocks), ""]
    said = []
    for n, o in neurons(graph).items():
        if o.op not in said:
            said.append(o.op)
            middle = f" = {o.op.latex_slope.format(_symbol(n))}" if o.op.latex_slope else ""
            said_slope = f"\\frac{{d}}{{d{_symbol(n)}}}{formula(o, LATEX)}{middle} = {written(graph.local(o, n), LATEX)}"
            lines.append(f"using ${said_slope}$.")
    inputs = [graph.values[x] for x in graph.inputs]
    if inputs:
        also = (f"The inputs get gradients too, ${grad(inputs[0])} = {_chain(graph, inputs[0])}$, although training never"
                " changes them.")
        lines[-1] = f"{lines[-1]} {also}" if said else also
    lines.append("")
    if not trace.epochs:
        lines.append("With `epochs = 0` no epoch runs, so no gradient is computed and no parameter moves.")
        return "\n".join(lines)
    lines += [_epoch_one(trace, grad), ""]
    for p, (x, reader) in _zero_inputs(trace).items():
        w, xs = _symbol(graph.values[p]), _symbol(x)
        reached = any(e.grad[reader.name] != 0 for e in trace.epochs)  # else nothing would move, whatever the input
        then = (f" Set `{x.name}` to something else and watch ${w}$ start to learn." if reached else
                f" Here ${grad(reader)}$ is 0 in every epoch too, so ${w}$ would learn only if a nonzero `{x.name}` also"
                f" made ${grad(reader)}$ nonzero.")
        lines.append(f"**Why ${w}$ never moves:** ${grad(graph.values[p])}$ has the factor ${xs}$, and here ${xs} = 0$."
                     f" An input that is zero contributes nothing to ${_symbol(reader)}$, so its weight cannot affect the"
                     f" loss, and its gradient is exactly 0.{then}")
    return "\n".join(lines).rstrip("\n")


def _epoch_one(trace: Trace, grad) -> str:
    """Epoch 1's backward pass in one sentence: what the loss gives each value it reads, the local derivatives, so the
    gradients of the computed values, and the parameters'."""
    graph, e = trace.graph, trace.epochs[0]
    numbers = _numbers(trace, e.values)
    numbers.update({graph.gradient(graph.values[name]): e.grad[name] for name in graph.graded})
    at_loss, slopes, chains = [], [], []
    for name in graph.backward:
        value = graph.named[name]
        if graph.consumers[value] == [graph.loss]:
            local = graph.local(graph.loss, value)
            at_loss.append(f"${grad(value)} = {written(local, LATEX)} = {written(local, LATEX_NUMBERS, numbers)}"
                           f" = {short(e.grad[name])}$")
            continue
        terms = []
        for reader in graph.consumers[value]:
            slope = f"d{reader.name}/d{name}"
            if slope in graph.locals:
                local = graph.locals[slope][2]
                slopes.append(f"${symbol(slope)} = {written(local, LATEX_NUMBERS, numbers)} = {short(e.local[slope])}$")
                terms.append(f"{f(e.grad[reader.name])} \\cdot {f(e.local[slope])}")
            else:
                local = graph.local(reader, value)
                terms.append(f"{f(e.grad[reader.name])} \\cdot {product([local], LATEX_NUMBERS, '', numbers)}")
        chains.append(f"${grad(value)} = {' + '.join(terms)} = {short(e.grad[name])}$")
    parameters = []
    for p in graph.parameters:
        if p in _zero_inputs(trace):
            continue  # said below
        value = graph.values[p]
        locals_ = [graph.local(reader, value) for reader in graph.consumers[value]]
        if all(local.kind == "literal" and local.number == 1 for local in locals_) and len(locals_) == 1:
            parameters.append(f"${grad(value)} = {short(e.grad[p])}$")
        else:
            terms = [f"{f(e.grad[reader.name])} \\cdot {product([local], LATEX_NUMBERS, '', numbers)}"
                     for reader, local in zip(graph.consumers[value], locals_)]
            parameters.append(f"${grad(value)} = {' + '.join(terms)} = {short(e.grad[p])}$")
    sentence = "In epoch 1: " + ", ".join(at_loss + slopes)
    if chains:
        sentence += ", so " + ", ".join(chains)
    if parameters:
        sentence += " and " + ", ".join(parameters)
    return sentence + "."


def step(trace: Trace) -> str:
    """Epoch 1's update of each parameter (and of what the update rule keeps), with its numbers."""
    graph, c = trace.graph, trace.config
    if not trace.epochs:
        stay = ", ".join(f"${_symbol(graph.values[p])} = {short(c.leaves[p])}$" for p in graph.parameters)
        return f"With `epochs = 0` no step is taken: the parameters stay at {stay}."
    e = trace.epochs[0]
    steps = []
    for p in graph.parameters:  # one line each: side by side they run past a laptop's width
        computed, numbers = trace.step(p, e.values, e.grad, e.updated)
        for name, value in computed.items():
            kept = name.removeprefix("new ")
            steps.append(f"{symbol(kept) if kept != p else _symbol(graph.values[p])} &\\leftarrow "
                         f"{formula(value, LATEX_NUMBERS, numbers)} = {short(e.updated[kept])}")
    aligned = " \\\\ ".join(steps)
    settings = ", ".join(f"${symbol(name)} = {short(x)}$" for name, x in
                         {"learning_rate": c.learning_rate, **c.rule_settings}.items())
    return f"In epoch 1, with {settings}:\n\n$$\\begin{{aligned}} {aligned} \\end{{aligned}}$$"


ORIGINAL = "Kevin Thomas's notebook *Hacking Neural Networks*"  # the notebook this one rebuilds


def corrections(trace: Trace) -> str:
    """Where the log below differs from the one the notebook this one rebuilds printed, with this run's numbers."""
    graph = trace.graph
    if not trace.epochs:
        return ("With `epochs = 0` no epoch runs, so the log below has no STEP 3, and its final output is the forward pass"
                f" of the starting parameters: loss ${short(trace.final.loss)}$.")
    e, last = trace.epochs[0], trace.epochs[-1]
    p = graph.parameters[0]
    computed, numbers = trace.step(p, e.values, e.grad, e.updated)
    new = computed[f"new {p}"]
    line = f"{p} = {formula(new, CODE)} = {formula(new, CODE, numbers)}"
    trained, before = apart(trace.final.loss, last.loss, "g")
    return (
        f"This notebook rebuilds {ORIGINAL}, and its log is the one that notebook printed, except in two places, on"
        " purpose:\n\n"
        "1. **STEP 3** shows the value *before* the update on the right-hand side, so that the line reads as the"
        f" calculation it is: `{line}`. Kevin Thomas's notebook printed the already-updated value there.\n"
        f"2. **Final Output** is the forward pass of the *trained* parameters: loss ${trained}$. His notebook printed the"
        f" last epoch's values from *before* its update instead (loss ${before}$" + (
            ")." if trained != before else ", the same here: the last step changed nothing).")
    )


PASSAGES = {"forward": forward, "backward": backward, "step": step, "corrections": corrections}


def named(graph: Graph, value: Value) -> str:
    """A computed value as a one-line description names it: o = tanh(n) where an activation made it, else its name."""
    made = graph.activation(value)
    return f"{value.name} = {value.op.name}({made.name})" if made is not None else value.name


def diagram_alt(trace: Trace, k: int, view: str) -> str:
    """What diagram ae{k} shows, in one sentence with its numbers, for a reader who cannot see it."""
    graph, c = trace.graph, trace.config
    drawing = "Network diagram" if view == "network" else "Computation graph"
    inputs = ", ".join(f"{x} {short(c.leaves[x])}" for x in graph.inputs)
    computed = [f"{named(graph, v)} {short(trace.state(k)[v.name])}" for v in graph.named.values() if v is not graph.loss]
    constants = [f"{name} {short(c.leaves[name])}" for name in graph.constants]
    tail = ", ".join([*computed, *constants, f"loss {short(trace.state(k).loss)}"])
    if k < len(trace.epochs):
        e = trace.epochs[k]
        steps = "; ".join(f"{p} {short(e.values[p])}, gradient {short(e.grad[p])}, new {short(e.updated[p])}"
                          for p in graph.parameters)
        return f"{drawing} ae{k}, before epoch {k + 1}: inputs {inputs}; {steps}; {tail}."
    s = trace.final
    parameters = ", ".join(f"{p} {short(s[p])}" for p in graph.parameters)
    return (f"{drawing} ae{k}, the {'trained' if trace.epochs else 'untrained'} network: inputs {inputs};"
            f" {parameters}; {tail}.")
