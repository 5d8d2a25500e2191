"""Training with torch autograd in float64: `descend`, the loop (forward, backward, update) on one run or on many at
once, and its checks, after the loop: autograd against backpropagation by hand with each operation's local derivative,
and against finite differences."""
from __future__ import annotations

import contextlib
import gc
from array import array
from collections.abc import Sequence

import torch

from hnn.config import Config
from hnn.formula import TEXT, written
from hnn.graph import Graph, evaluate
from hnn.ops import NetworkError, Value
from hnn.trace import Epochs, Run, State, Trace, columns

TOLERANCE = 1e-12  # autograd and the hand derivation must agree to this, relative to the gradient's size
CHUNK = 1000  # epochs cross-checked at a time by a run that keeps no record: bounds the memory of the checks
STEP = 1e-6  # a finite difference's step, relative to the value's size: float64 then keeps about 10 good digits


class GradientMismatch(NetworkError):
    """Autograd and backpropagation by hand disagree: an operation's local derivative is wrong."""


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


def descend(configs: list[Config], keep: bool = True) -> list[Trace] | list[Run]:
    """Gradient descent on runs of one graph for the same epochs, all at once: each leaf is a float64 tensor with one
    number per run. Runs are independent, so each run's gradient is its own loss's. Checked after the loop."""
    graph, rule = configs[0].graph, configs[0].rule
    record = Record(configs, keep)
    leaves, state = record.start()
    with collector_paused():
        for _ in range(configs[0].epochs):
            # forward: every value of the network, from its leaves
            values = graph.forward(leaves)
            # backward: autograd applies the chain rule from the loss back to every named value
            grads = record.backward(values)
            # update: each parameter steps against its gradient, as the update rule says
            new = {p: rule.step(leaves[p], grads[p], state[p], record.learning_rate, record.settings)
                   for p in graph.parameters}
            leaves, state = record.epoch(values, grads, new)
    return record.results(leaves)


@contextlib.contextmanager
def collector_paused():
    """Python's cycle collector off while the loop runs. The loop makes no reference cycles, so the collector would
    find nothing to free; but the dicts and lists each epoch makes count towards its next run, and every few runs of
    1 000 epochs that was a full collection of everything a notebook holds: 115 ms with matplotlib loaded, two thirds
    of the run's own time."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


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


class Record:
    """What a run keeps as it trains, for every view to read, and what it checks: one or more runs of one network,
    every epoch's numbers one row after another in float64 tensors of CHUNK rows (8 bytes a number, where a list of
    floats takes 32); with keep=False only a chunk of epochs at a time, checked, then forgotten.

        record = Record(config)
        leaves, state = record.start()
        for epoch in range(config.epochs):
            values = graph.forward(leaves)
            grads = record.backward(values)
            new = {p: config.rule.step(leaves[p], grads[p], state[p], record.learning_rate, record.settings) …}
            leaves, state = record.epoch(values, grads, new)
        trace = record.trace(leaves)
    """

    def __init__(self, configs: Config | list[Config], keep: bool = True):
        self.configs = [configs] if isinstance(configs, Config) else list(configs)
        self.keep, self.graph, self.rule = keep, self.configs[0].graph, self.configs[0].rule
        groups = columns(self.graph, self.rule)
        self.values = [self.graph.values[name] for name in groups["values"]]
        self.states = [(p, i) for p in self.graph.parameters for i in range(len(self.rule.state))]  # each state's place
        self.names = (*groups["values"], *groups["state"], *groups["grad"], *groups["updated"])
        self.rows, self.blocks, self.checked = [], [], 0  # rows not yet in a block; blocks of CHUNK rows
        self.held = [(name, leaf) for name, leaf in self.graph.leaves.items() if leaf.op is None]  # as they start
        self.learning_rate = _column(self.configs, "learning_rate")
        self.settings = {name: _column(self.configs, name) for name in self.rule.settings}
        self.each = torch.ones(len(self.configs), dtype=torch.float64)  # dL/dL of each run
        self.graded = [self.graph.values[name] for name in self.graph.graded]
        self.state = {}

    def start(self) -> tuple[dict, dict]:
        """Each leaf as a float64 tensor, one number per run (inputs and parameters take gradients), and the update
        rule's state for each parameter, where it starts."""
        leaves = {name: _column(self.configs, name).requires_grad_(leaf.kind != "constant")
                  for name, leaf in self.graph.leaves.items()}
        self.state = {p: tuple(torch.full((len(self.configs),), float(start), dtype=torch.float64)
                               for start in self.rule.state.values()) for p in self.graph.parameters}
        return leaves, self.state

    def backward(self, values: dict) -> dict:
        """dL/d(value) for every named value of the forward pass, by autograd."""
        return dict(zip(self.graph.graded, torch.autograd.grad(values[self.graph.loss], [values[v] for v in self.graded],
                                                               self.each)))

    def epoch(self, values: dict, grads: dict, new: dict) -> tuple[dict, dict]:
        """Keep one epoch's numbers: its forward pass, its gradients, and each parameter's new value (with a rule that
        keeps a state, the new value and the new state); the leaves and the state for the next epoch."""
        graph = self.graph
        stepped = {p: new[p] if isinstance(new[p], tuple) else (new[p], ()) for p in graph.parameters}
        row = [values[value] for value in self.values]
        row += [self.state[p][i] for p, i in self.states]  # each state before the step
        row += [grads[name] for name in graph.graded] + [stepped[p][0] for p in graph.parameters]
        row += [stepped[p][1][i] for p, i in self.states]  # and after it
        self.rows.append(row)  # the tensors themselves: copied into the record a block at a time, not an epoch at a time
        if len(self.rows) == CHUNK:
            self._block()
            if not self.keep:
                _checked(self.graph, self.configs, self._table(), self.checked)
                self.checked += CHUNK
                self.blocks = []
        leaves = {**{name: values[leaf] for name, leaf in self.held},
                  **{p: stepped[p][0].detach().requires_grad_() for p in graph.parameters}}
        self.state = {p: tuple(s.detach() for s in stepped[p][1]) for p in graph.parameters}
        return leaves, self.state

    @torch.no_grad()
    def _block(self) -> None:
        """The rows kept so far as one float64 block [epoch, column, run]: one copy for the lot (an epoch's row copied
        on its own costs as much as a quarter of its forward pass)."""
        if self.rows:
            numbers = torch.stack([tensor for row in self.rows for tensor in row])
            self.blocks.append(numbers.view(len(self.rows), len(self.names), len(self.configs)))
            self.rows = []

    def _table(self) -> dict[str, torch.Tensor]:
        """The rows as one tensor[epoch, run] per column name; the blocks become that one block, so that the rows are
        not held twice."""
        self._block()
        rows = torch.cat(self.blocks) if self.blocks else torch.empty(0, len(self.names), len(self.configs),
                                                                      dtype=torch.float64)
        self.blocks = [rows]
        return dict(zip(self.names, rows.unbind(1)))

    def trace(self, leaves: dict) -> Trace:
        """The run's trace, checked: what every view reads."""
        (trace,) = self.results(leaves)
        return trace

    def results(self, leaves: dict) -> list[Trace] | list[Run]:
        """Each run's trace (or with keep=False its final forward pass), checked: autograd's gradients of every epoch
        against backpropagation by hand, GradientMismatch at the first that disagrees."""
        graph = self.graph
        with torch.no_grad():
            final = graph.forward({name: tensor.detach() for name, tensor in leaves.items()})
            table = self._table()
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
    _check_update(graph, configs, table, first)
    leaves = {name: table[name] if name in graph.parameters else _column(configs, name).expand(epochs, -1)
              for name in graph.leaves}
    values = graph.forward(leaves)
    hand = graph.backpropagate(values, torch.ones(epochs, len(configs), dtype=torch.float64))
    order = [*graph.backward, *graph.parameters, *graph.inputs]  # from the loss down: the first wrong is the cause
    for name in order:
        autograd, by_hand = table[f"dL/d{name}"], hand[graph.values[name]]
        at = _disagreeing(autograd, by_hand)
        if at:
            epoch, run = at
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


def _disagreeing(got: torch.Tensor, expected: torch.Tensor) -> tuple[int, int] | None:
    """The first (epoch, run) where two columns differ by more than rounding, or None."""
    wrong = (got - expected).abs() > TOLERANCE * expected.abs().clamp(min=1.0)
    return tuple(min(wrong.nonzero().tolist())) if wrong.any() else None


def _check_update(graph: Graph, configs: list[Config], table: dict, first: int) -> None:
    """Each epoch's new parameters and state against the update rule's, every epoch at once: a loop written in a
    notebook may step otherwise than the rule the views write out, and then they would show a step that did not run."""
    rule = configs[0].rule
    learning_rate = _column(configs, "learning_rate")
    settings = {name: _column(configs, name) for name in rule.settings}
    for p in graph.parameters:
        state = tuple(table[f"{s}_{p}"] for s in rule.state)
        new, new_state = rule.step(table[p], table[f"dL/d{p}"], state, learning_rate, settings)
        for name, expected in ((p, new), *((f"{s}_{p}", x) for s, x in zip(rule.state, new_state))):
            ran = table[f"new {name}"]
            at = _disagreeing(ran, expected)
            if at:
                epoch, run = at
                raise NetworkError(f"epoch {first + epoch + 1}: the loop made {name} {float(ran[epoch, run])!r}, but the"
                                   f" update rule {rule.name} gives {float(expected[epoch, run])!r}; the views write out"
                                   f" the rule, so change the rule (Config(update=…)) rather than the loop's step")


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
