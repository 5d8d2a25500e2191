"""Training with torch autograd in float64, many runs at once, cross-checked against the hand derivation."""
from __future__ import annotations

import contextlib
from typing import Sequence

import torch

from hnn.config import Config
from hnn.neuron import GRADIENTS, PARAMETERS, finite_difference, forward, hand_gradients, loss
from hnn.trace import Epochs, Final, Run, Trace

TOLERANCE = 1e-12  # autograd and the hand derivation must agree to this, relative to the gradient's size
CHUNK = 1000  # epochs cross-checked at a time: bounds the memory of the checks, and of a run that keeps no epochs


class GradientMismatch(RuntimeError):
    """Autograd and the hand-derived chain rule disagree: one of them is wrong."""


def train(config: Config | None = None) -> Trace:
    """Train one run (the original notebook's, by default) and record every epoch."""
    return train_many([config or Config()])[0]


def train_many(configs: Sequence[Config], record: bool = True) -> list[Trace] | list[Run]:
    """Train every config as one batched tensor computation per activation; one result per config, in order.

    With record=False each run keeps only its final forward pass (a Run, not a Trace): 200 runs × 10 000 epochs
    then need a few megabytes instead of a gigabyte. Autograd is checked against the hand derivation at every
    epoch either way; finite differences, which only a reader looks at, only for a record.
    """
    results = [None] * len(configs)
    with _one_thread():
        for activation in dict.fromkeys(c.activation for c in configs):  # first-seen order: deterministic
            indices = [i for i, c in enumerate(configs) if c.activation == activation]
            for i, result in zip(indices, _train_batch([configs[i] for i in indices], activation, record)):
                results[i] = result
    return results


@contextlib.contextmanager
def _one_thread():
    """Torch's other threads speed nothing up on a few hundred numbers, and wait for their core when a program has it."""
    threads = torch.get_num_threads()  # 200 runs × 100 epochs: 75 ms on one thread, 360 ms on two beside a busy program
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _train_batch(configs: list[Config], activation: str, record: bool) -> list[Trace] | list[Run]:
    """Runs are independent, so the gradient of their summed loss is each run's own gradient."""
    column = lambda name: torch.tensor([getattr(c, name) for c in configs], dtype=torch.float64)  # noqa: E731
    leaves = {name: column(name).requires_grad_() for name in GRADIENTS}  # inputs carry gradients too
    target, learning_rate = column("target"), column("learning_rate")
    epochs = torch.tensor([c.epochs for c in configs])
    total = max(c.epochs for c in configs)
    # Per epoch and run: parameters before, n, o, loss, autograd gradients, parameters after. Without a record,
    # the table holds one chunk of epochs at a time.
    table = torch.empty(total if record else min(total, CHUNK), 14, len(configs), dtype=torch.float64)
    checks = torch.empty(len(table), 10, len(configs), dtype=torch.float64) if record else None  # hand, then fd
    rate, ends = learning_rate, {c.epochs for c in configs}
    each = torch.ones(len(configs), dtype=torch.float64)  # dL/dL for each run: the gradient of their summed loss
    for epoch in range(total):
        if epoch in ends:  # from here on, a run whose epochs are done steps by 0: it keeps its trained parameters
            rate = learning_rate * (epoch < epochs)
        n, o = forward(**leaves, activation=activation)
        L = loss(o, target)
        grads = torch.autograd.grad(L, list(leaves.values()), grad_outputs=each)
        with torch.no_grad():
            torch.stack([*(leaves[p] for p in PARAMETERS), n, o, L, *grads], out=table[epoch % len(table), :11])
            for p, grad in zip(PARAMETERS, grads):
                leaves[p] -= rate * grad
        if (epoch + 1) % CHUNK == 0 or epoch + 1 == total:
            start = epoch // CHUNK * CHUNK  # the first epoch of this chunk
            rows = slice(start, epoch + 1) if record else slice(0, epoch + 1 - start)
            hand = _hand_checked(table[rows], leaves, target, epochs - start, activation, start)
            if record:  # finite differences are for the reader, who sees them beside the other two
                checks[rows] = torch.cat([hand, _finite_differences(table[rows], leaves, target, activation)], dim=1)
    with torch.no_grad():
        values = {name: leaf.detach() for name, leaf in leaves.items()}
        n, o = forward(**values, activation=activation)
        final = torch.stack([*(values[p] for p in PARAMETERS), n, o, loss(o, target)])
    if record and total:  # each epoch's updated parameters are the next one's starting ones; the last's, the final ones
        table[:-1, 11:] = table[1:, :3]
        table[-1, 11:] = final[:3]
    finals = [Final(*values) for values in final.T.tolist()]
    if not record:
        return [Run(c, f) for c, f in zip(configs, finals)]
    return [
        Trace(c, Epochs(table[: c.epochs, :, r], checks[: c.epochs, :, r]), f)
        for r, (c, f) in enumerate(zip(configs, finals))
    ]


def _inputs(table, leaves) -> tuple[torch.Tensor, torch.Tensor]:
    """x1 and x2 beside every epoch of a chunk."""
    return leaves["x1"].detach().expand_as(table[:, 0]), leaves["x2"].detach().expand_as(table[:, 0])


def _hand_checked(table, leaves, target, epochs, activation, start) -> torch.Tensor:
    """The hand-derived gradients for a chunk of epochs at once; fails loudly where autograd disagrees."""
    w1, w2, b, n, o = table[:, 0], table[:, 1], table[:, 2], table[:, 3], table[:, 4]
    hand = torch.stack(hand_gradients(*_inputs(table, leaves), w1, w2, b, n, o, target, activation), dim=1)
    autograd = table[:, 6:11]
    ran = (torch.arange(len(table))[:, None] < epochs)[:, None, :]  # epochs past a run's end are not its own
    wrong = ((autograd - hand).abs() > TOLERANCE * hand.abs().clamp(min=1.0)) & ran
    if wrong.any():
        epoch, leaf, run = (int(i) for i in wrong.nonzero()[0])
        raise GradientMismatch(
            f"epoch {start + epoch + 1}: autograd dL/d{GRADIENTS[leaf]} = {float(autograd[epoch, leaf, run])!r}"
            f" but the hand derivation gives {float(hand[epoch, leaf, run])!r}"
        )
    return hand


def _finite_differences(table, leaves, target, activation) -> torch.Tensor:
    """Central-difference gradients for a chunk of epochs at once."""
    w1, w2, b = table[:, 0], table[:, 1], table[:, 2]
    return torch.stack(finite_difference(*_inputs(table, leaves), w1, w2, b, target, activation), dim=1)
