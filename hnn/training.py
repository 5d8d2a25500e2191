"""Training with torch autograd in float64: `descend`, the loop (forward, backward, update) on one run or on many at
once, and its checks, after the loop: autograd against backpropagation by hand with each operation's local derivative,
and against finite differences."""
from __future__ import annotations

import contextlib
import functools
from array import array
from collections.abc import Callable, Sequence

import torch

from hnn.config import Config
from hnn.formula import TEXT, written
from hnn.graph import Graph, evaluate, traced
from hnn.ops import NetworkError, Value
from hnn.trace import Epochs, Run, State, Trace, columns

TOLERANCE = 1e-12  # autograd and the hand derivation must agree to this, relative to the gradient's size
CHUNK = 1000  # epochs cross-checked at a time by a run that keeps no record: bounds the memory of the checks
STEP = 1e-6  # a finite difference's step, relative to the value's size: float64 then keeps about 10 good digits


class GradientMismatch(NetworkError):
    """Autograd and backpropagation by hand disagree: an operation's local derivative is wrong."""


def sgd(w, dL_dw, learning_rate):
    """Gradient descent: each parameter steps against its gradient, as far as the learning rate says."""
    return w - learning_rate * dL_dw


@functools.cache
def update_of(rule: Callable, parameter: str) -> tuple[Value, tuple[Value, ...]]:
    """The update rule written for one parameter, new w1 = w1 − learning_rate · dL/dw1, as a formula of values; and
    its leaves: the parameter, its gradient, the hyperparameters."""
    w, dL_dw, *settings = rule.__code__.co_varnames[:rule.__code__.co_argcount]
    leaves = {w: Value(name=parameter, kind="parameter"), dL_dw: Value(name=f"dL/d{parameter}", kind="gradient"),
              **{name: Value(name=name, kind="hyperparameter") for name in settings}}
    new, _ = traced(rule, leaves)
    new.name = f"new {parameter}"
    return new, tuple(leaves.values())


def train(config: Config | None = None) -> Trace:
    """Train one run (the original notebook's, by default) and record every epoch."""
    return descend([config or Config()])[0]


def train_many(configs: Sequence[Config], record: bool = True) -> list[Trace] | list[Run]:
    """Train every config, as one batched tensor computation for each group of runs with the same graph and epochs;
    one result per config, in order.

    With record=False each run keeps only its final forward pass (a Run, not a Trace): 200 runs × 10 000 epochs then
    need a few megabytes instead of a gigabyte. Autograd is checked against the hand derivation at every epoch either
    way; finite differences, which only a reader looks at, only for a record."""
    results = [None] * len(configs)
    groups = {}
    for i, c in enumerate(configs):
        groups.setdefault((c.graph, c.epochs), []).append(i)  # first-seen order: deterministic
    with one_thread():
        for indices in groups.values():
            for i, result in zip(indices, descend([configs[i] for i in indices], record)):
                results[i] = result
    return results


def descend(configs: list[Config], record: bool = True) -> list[Trace] | list[Run]:
    """Gradient descent on runs of one graph for the same epochs, all at once: each leaf is a float64 tensor with one
    number per run. Runs are independent, so each run's gradient is its own loss's."""
    graph, epochs = configs[0].graph, configs[0].epochs
    leaves = {name: _column(configs, name).requires_grad_(leaf.kind != "constant") for name, leaf in graph.leaves.items()}
    learning_rate = _column(configs, "learning_rate")
    graded = [graph.values[name] for name in graph.graded]
    each = torch.ones(len(configs), dtype=torch.float64)  # dL/dL of each run
    recorder = _Recorder(configs, record)
    for _ in range(epochs):
        # forward: every value of the network, from its leaves
        values = graph.forward(leaves)
        # backward: autograd applies the chain rule from the loss back to every named value
        grads = dict(zip(graph.graded, torch.autograd.grad(values[graph.loss], [values[v] for v in graded], each)))
        # update: each parameter steps against its gradient, as the update rule says
        with torch.no_grad():
            updated = {p: _step(p, leaves[p], grads[p], learning_rate) for p in graph.parameters}
        recorder.add(values, grads, updated)
        leaves.update({p: value.requires_grad_() for p, value in updated.items()})
    with torch.no_grad():
        return recorder.results(graph.forward(leaves))


def _step(parameter: str, value, gradient, learning_rate):
    """The update rule applied to one parameter's numbers."""
    return sgd(value, gradient, learning_rate)  # the rule's formula, update_of's, computed on numbers


@contextlib.contextmanager
def one_thread():
    """Torch's other threads speed nothing up on a few hundred numbers, and wait for their core when a program has it."""
    threads = torch.get_num_threads()  # 200 runs × 100 epochs: 75 ms on one thread, 360 ms on two beside a busy program
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _column(configs: list[Config], name: str) -> torch.Tensor:
    """One setting of every run, as a float64 tensor."""
    return torch.tensor([getattr(c, name) for c in configs], dtype=torch.float64)


class _Recorder:
    """Every epoch's numbers, one row after another in an array of float64 (8 bytes each, where a list of floats takes
    32); with keep=False only a chunk of epochs at a time, checked, then forgotten."""

    def __init__(self, configs: list[Config], keep: bool):
        self.configs, self.keep, self.graph = configs, keep, configs[0].graph
        groups = columns(self.graph)
        self.values = [self.graph.values[name] for name in groups["values"]]
        self.names = (*groups["values"], *groups["grad"], *groups["updated"])
        self.rows, self.checked = array("d"), 0

    def add(self, values: dict, grads: dict, updated: dict) -> None:
        graph = self.graph
        row = [values[value] for value in self.values]
        row += [grads[name] for name in graph.graded] + [updated[p] for p in graph.parameters]
        with torch.no_grad():  # the bytes of the numbers, not a Python float for each
            self.rows.frombytes(torch.stack(row).numpy().tobytes())
        if not self.keep and len(self.rows) == CHUNK * len(self.names) * len(self.configs):
            _checked(self.graph, self.configs, self._table(), self.checked)
            self.checked += CHUNK
            self.rows = array("d")

    def _table(self) -> dict[str, torch.Tensor]:
        """The rows as one tensor[epoch, run] per column name."""
        flat = torch.frombuffer(self.rows, dtype=torch.float64) if self.rows else torch.empty(0, dtype=torch.float64)
        return dict(zip(self.names, flat.reshape(-1, len(self.names), len(self.configs)).unbind(1)))

    def results(self, final: dict) -> list[Trace] | list[Run]:
        graph, table = self.graph, self._table()
        checks = _checked(graph, self.configs, table, self.checked, complete=self.keep)
        named = {**graph.values, **graph.unnamed}
        states = [State({**c.leaves, **{name: float(final[node][r]) for name, node in named.items()}}, graph.loss.name)
                  for r, c in enumerate(self.configs)]
        if not self.keep:
            return [Run(c, state) for c, state in zip(self.configs, states)]
        table.update(checks)
        runs = {name: column.T.contiguous().numpy() for name, column in table.items()}  # [run, epoch]: a row a run
        # From a list, an array takes 8 bytes a number and no more; from bytes, it keeps room to grow.
        return [Trace(c, Epochs(c, {name: array("d", numbers[r].tolist()) for name, numbers in runs.items()}), state)
                for r, (c, state) in enumerate(zip(self.configs, states))]


@torch.no_grad()
def _checked(graph: Graph, configs: list[Config], table: dict, first: int, complete: bool = False) -> dict:
    """Backpropagation by hand over these epochs (tensors [epoch, run]), against autograd's gradients: GradientMismatch
    at the first epoch where they disagree. complete: also the columns a record keeps beside autograd's, the hand
    gradients, the finite differences and the local derivatives shown on their own."""
    epochs = next(iter(table.values())).shape[0]
    leaves = {name: table[name] if name in graph.parameters else _column(configs, name).expand(epochs, -1)
              for name in graph.leaves}
    values = graph.forward(leaves)
    hand = graph.backpropagate(values, torch.ones(epochs, len(configs), dtype=torch.float64))
    order = [*graph.backward, *graph.parameters, *graph.inputs]  # from the loss down: the first wrong is the cause
    for name in order:
        autograd, by_hand = table[f"dL/d{name}"], hand[graph.values[name]]
        wrong = (autograd - by_hand).abs() > TOLERANCE * by_hand.abs().clamp(min=1.0)
        if wrong.any():
            epoch, run = min(wrong.nonzero().tolist())
            raise GradientMismatch(f"epoch {first + epoch + 1}: dL/d{name} is {float(autograd[epoch, run])!r} by autograd"
                                   f" but {float(by_hand[epoch, run])!r} by backpropagation by hand"
                                   f"{_culprit(graph, graph.values[name], values, (epoch, run))}")
    if not complete:
        return {}
    everywhere = torch.ones(epochs, len(configs), dtype=torch.float64)  # a number the same in every epoch, as a column
    named = {**graph.values, **graph.unnamed}
    checks = {f"hand dL/d{name}": hand[named[name]] * everywhere for name in (*graph.graded, *graph.unnamed)}
    checks.update({name: values[node] * everywhere for name, node in graph.unnamed.items()})
    checks.update({name: evaluate(d, values) * everywhere for name, (_, _, d) in graph.locals.items()})
    checks.update({name: evaluate(graph.local(reader, value), values) * hand[reader] * everywhere
                   for name, (value, reader) in graph.terms.items()})
    for name in graph.graded:  # finite differences: (L(v + h) − L(v − h)) / 2h, v moved and what it depends on held
        node = graph.values[name]
        h = STEP * values[node].abs().clamp(min=1.0)
        moved = [graph.forward({**leaves, name: values[node] + s * h}) if node.op is None else
                 graph.forward(leaves, changed={node: values[node] + s * h}) for s in (1, -1)]
        checks[f"fd dL/d{name}"] = (moved[0][graph.loss] - moved[1][graph.loss]) / (2 * h)
    return checks


def _culprit(graph: Graph, wrong: Value, values: dict, at: tuple[int, int]) -> str:
    """Which operation's local derivative disagrees with autograd's derivative of its forward pass, at one epoch of
    one run, among those between the first value whose gradient is wrong and the values that read it: ': tanh's local
    derivative with respect to n gives 0.8 by hand, 0.5 by autograd'."""
    between = []
    for reader in graph.consumers[wrong]:
        stack = [reader]
        while stack:  # the operations of the reader's formula, down to the named values it reads
            node = stack.pop()
            between.append(node)
            stack.extend(o for o in node.operands if o.op is not None and o.name is None)
    for node in between:
        operands = [values[o][at].clone().requires_grad_() if o.kind != "literal" else o.number for o in node.operands]
        with torch.enable_grad():
            out = node.op.forward(*operands)
            tensors = [x for x in operands if isinstance(x, torch.Tensor)]
            autograd = dict(zip(map(id, tensors), torch.autograd.grad(out, tensors, allow_unused=True)))
        local = node.op.locals(*operands, out.detach())
        for operand, x, by_hand in zip(node.operands, operands, local):
            by_autograd = autograd.get(id(x))
            if by_autograd is None:
                continue
            by_hand = float(by_hand)
            if abs(by_hand - float(by_autograd)) > TOLERANCE * max(abs(by_hand), 1.0):
                return (f": {node.op.name}'s local derivative with respect to {written(operand, TEXT)} gives {by_hand!r}"
                        f" by hand but {float(by_autograd)!r} by autograd, so its derivative (not its forward pass) is"
                        " wrong")
    return ""
