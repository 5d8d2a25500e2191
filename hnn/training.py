"""Training with torch autograd in float64: `train`, the loop a student reads, and `train_many`, the batched engine
beside it (tests/test_batch.py proves the two agree). Both cross-check autograd against the hand derivation."""
from __future__ import annotations

import contextlib
from array import array
from collections.abc import Sequence

import torch

from hnn.config import Config
from hnn.neuron import INPUTS, LEAVES, PARAMETERS, Grads, finite_difference, forward, hand_gradients, loss, slope
from hnn.trace import Epochs, Final, Params, Run, Trace

TOLERANCE = 1e-12  # autograd and the hand derivation must agree to this, relative to the gradient's size
CHUNK = 1000  # epochs cross-checked at a time by a run that keeps no record: bounds the memory of the checks

# What is recorded of every epoch, by name: the values, the gradients autograd gives, the parameters after the step.
VALUES = ("w1", "w2", "b", "n", "o", "loss", "do/dn")
GRADIENTS = tuple(f"dL/d{name}" for name in Grads._fields)
UPDATED = tuple(f"new {name}" for name in PARAMETERS)
RECORD = VALUES + GRADIENTS + UPDATED


class GradientMismatch(RuntimeError):
    """Autograd and the hand-derived chain rule disagree: one of them is wrong."""


def train(config: Config | None = None) -> Trace:
    """Train one run (the original notebook's, by default) and record every epoch; checked after the loop."""
    c = config or Config()
    x1, x2, w1, w2, b = (torch.tensor(getattr(c, name), dtype=torch.float64, requires_grad=True) for name in LEAVES)
    steps = array("d")  # every epoch's numbers, one row after another: 8 bytes each, where a list of floats takes 32
    for _ in range(c.epochs):
        # forward
        n, o = forward(x1, x2, w1, w2, b, c.activation)
        L = loss(o, c.target)
        # backward: autograd applies the chain rule from L back to every value L came from
        (do_dn,) = torch.autograd.grad(o, n, retain_graph=True)
        grad = Grads(*torch.autograd.grad(L, (w1, w2, b, x1, x2, o, n)))
        # update: each parameter steps against its gradient, scaled by the learning rate
        with torch.no_grad():
            updated = Params(*(p - c.learning_rate * g for p, g in zip((w1, w2, b), grad)))
        steps.extend(value.item() for value in (w1, w2, b, n, o, L, do_dn, *grad, *updated))  # in RECORD's order
        w1, w2, b = (p.requires_grad_() for p in updated)
    # after the loop: autograd's gradients of every epoch against the chain rule by hand and finite differences
    history = dict(zip(RECORD, _table(steps).reshape(-1, len(RECORD)).T))
    hand, fd = _cross_checked(history, x1.detach(), x2.detach(), c.target, c.activation)
    return Trace(c, _epochs(history, hand, fd), _final(x1, x2, w1, w2, b, c.target, c.activation))


def train_many(configs: Sequence[Config], record: bool = True) -> list[Trace] | list[Run]:
    """Train every config as one batched tensor computation per activation; one result per config, in order.

    With record=False each run keeps only its final forward pass (a Run, not a Trace): 200 runs × 10 000 epochs
    then need a few megabytes instead of a gigabyte. Autograd is checked against the hand derivation at every
    epoch either way; finite differences, which only a reader looks at, only for a record.
    """
    results = [None] * len(configs)
    with one_thread():
        for activation in dict.fromkeys(c.activation for c in configs):  # first-seen order: deterministic
            indices = [i for i, c in enumerate(configs) if c.activation == activation]
            for i, result in zip(indices, _train_batch([configs[i] for i in indices], activation, record)):
                results[i] = result
    return results


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
    """One hyperparameter of every run, as a float64 tensor."""
    return torch.tensor([getattr(c, name) for c in configs], dtype=torch.float64)


def _train_batch(configs: list[Config], activation: str, record: bool) -> list[Trace] | list[Run]:
    """train()'s steps on every run at once. Runs are independent, so each run's gradient is its own loss's."""
    leaves = {name: _column(configs, name).requires_grad_() for name in LEAVES}
    target, learning_rate = _column(configs, "target"), _column(configs, "learning_rate")
    epochs = torch.tensor([c.epochs for c in configs])
    each = torch.ones(len(configs), dtype=torch.float64)  # dL/dL and do/do for each run
    kept = RECORD if record else VALUES[:5] + GRADIENTS  # without a record: what a chunk's cross-check reads
    rows, checked = [], 0  # rows: one tensor[name, run] per epoch
    for epoch in range(max(c.epochs for c in configs)):
        rate = learning_rate * (epoch < epochs)  # a run whose epochs are done steps by 0: it keeps its parameters
        n, o = forward(**leaves, activation=activation)
        L = loss(o, target)
        wrt = [*(leaves[name] for name in PARAMETERS + INPUTS), o, n]  # in Grads' order
        grad = dict(zip(GRADIENTS, torch.autograd.grad(L, wrt, grad_outputs=each, retain_graph=record)))
        values = {"w1": leaves["w1"], "w2": leaves["w2"], "b": leaves["b"], "n": n, "o": o, "loss": L, **grad}
        if record:
            (values["do/dn"],) = torch.autograd.grad(o, n, grad_outputs=each)
        with torch.no_grad():
            for p in PARAMETERS:
                values[f"new {p}"] = leaves[p] - rate * grad[f"dL/d{p}"]
            rows.append(torch.stack([values[name] for name in kept]))
        leaves.update({p: values[f"new {p}"].requires_grad_() for p in PARAMETERS})
        if not record and len(rows) == CHUNK:  # check this chunk, then forget it
            _cross_checked(_named(rows, kept, configs), leaves["x1"], leaves["x2"], target, activation, epochs, checked)
            rows, checked = [], epoch + 1
    finals = [Final(*values) for values in _final(**leaves, target=target, activation=activation, rows=True)]
    history = _named(rows, kept, configs)  # name → tensor[epoch, run]
    if not record:
        _cross_checked(history, leaves["x1"], leaves["x2"], target, activation, epochs, checked)
        return [Run(c, f) for c, f in zip(configs, finals)]
    hand, fd = _cross_checked(history, leaves["x1"], leaves["x2"], target, activation, epochs)
    return [
        Trace(c, _epochs({name: column[: c.epochs, r] for name, column in history.items()},
                         Grads(*(g[: c.epochs, r] for g in hand)), Grads(*(g[: c.epochs, r] for g in fd))), f)
        for r, (c, f) in enumerate(zip(configs, finals))
    ]


def _named(rows: list[torch.Tensor], names: tuple[str, ...], configs: list[Config]) -> dict:
    """The epochs' rows as one tensor[epoch, run] per recorded name."""
    table = torch.stack(rows) if rows else torch.empty(0, len(names), len(configs), dtype=torch.float64)
    return dict(zip(names, table.unbind(1)))


@torch.no_grad()
def _cross_checked(history: dict, x1, x2, target, activation: str, epochs=None, first: int = 0) -> tuple[Grads, Grads]:
    """The hand-derived and the finite-difference gradients of these epochs (tensors shaped like the history's);
    GradientMismatch at the first epoch where autograd disagrees with the hand derivation. `epochs`: each run's
    epoch count, when the history holds runs that end at different epochs; `first`: the history's first epoch."""
    w1, w2, b, n, o = (history[name] for name in VALUES[:5])
    x1, x2 = (torch.as_tensor(x, dtype=torch.float64).expand_as(n) for x in (x1, x2))
    hand = hand_gradients(x1, x2, w1, w2, b, n, o, target, activation)
    pairs = {name: (history[name], h) for name, h in zip(GRADIENTS, hand)}
    if "do/dn" in history:
        pairs["do/dn"] = (history["do/dn"], slope(n, o, activation))
    wrong = torch.stack([(a - h).abs() > TOLERANCE * h.abs().clamp(min=1.0) for a, h in pairs.values()])
    if epochs is not None:  # epochs past a run's end are not its own
        wrong &= first + torch.arange(n.shape[0])[:, None] < epochs
    if wrong.any():
        which, epoch, *run = min(wrong.nonzero().tolist(), key=lambda hit: (hit[1], hit[0]))  # the earliest epoch
        name, (autograd, by_hand) = list(pairs.items())[which]
        raise GradientMismatch(
            f"epoch {first + epoch + 1}: autograd {name} = {float(autograd[(epoch, *run)])!r}"
            f" but the hand derivation gives {float(by_hand[(epoch, *run)])!r}"
        )
    if "do/dn" not in history:  # finite differences are for the reader, who sees them beside the other two
        return hand, None
    return hand, finite_difference(x1, x2, w1, w2, b, o, n, target, activation)


def _table(steps: array) -> torch.Tensor:
    """train()'s numbers as a tensor that shares their memory (torch.tensor would read them one by one)."""
    return torch.frombuffer(steps, dtype=torch.float64) if steps else torch.empty(0, dtype=torch.float64)


def _epochs(history: dict, hand: Grads, fd: Grads) -> Epochs:
    """One run's records, from its history (name → tensor[epoch]) and its two cross-checks, as columns of floats."""
    column = lambda values: array("d", values.tolist())  # noqa: E731  one tensor[epoch]'s numbers
    named = lambda names: (column(history[name]) for name in names)  # noqa: E731
    return Epochs(*named(VALUES), grad=Grads(*named(GRADIENTS)), hand=Grads(*map(column, hand)),
                  fd=Grads(*map(column, fd)), updated=Params(*named(UPDATED)))


def _final(x1, x2, w1, w2, b, target, activation: str, rows: bool = False):
    """The forward pass of the trained parameters: a Final, or with rows=True one tuple of its values per run."""
    with torch.no_grad():
        n, o = forward(x1, x2, w1, w2, b, activation)
        values = torch.stack([w1, w2, b, n, o, loss(o, target)])
    return values.T.tolist() if rows else Final(*values.tolist())
