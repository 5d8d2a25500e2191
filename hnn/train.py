"""Training with torch autograd in float64, many runs at once, cross-checked against the hand derivation."""
from __future__ import annotations

import contextlib
from typing import Sequence

import torch

from hnn.config import Config
from hnn.neuron import GRADIENTS, INPUTS, PARAMETERS, finite_difference, forward, hand_gradients, loss
from hnn.trace import Epochs, Final, Trace

TOLERANCE = 1e-12  # autograd and the hand derivation must agree to this, relative to the gradient's size


class GradientMismatch(RuntimeError):
    """Autograd and the hand-derived chain rule disagree: one of them is wrong."""


def train(config: Config | None = None) -> Trace:
    """Train one run (the original notebook's, by default) and record every epoch."""
    return train_many([config or Config()])[0]


def train_many(configs: Sequence[Config]) -> list[Trace]:
    """Train every config as one batched tensor computation per activation; one Trace per config, in order."""
    traces = [None] * len(configs)
    with _one_thread():
        for activation in dict.fromkeys(c.activation for c in configs):  # first-seen order: deterministic
            indices = [i for i, c in enumerate(configs) if c.activation == activation]
            for i, trace in zip(indices, _train_batch([configs[i] for i in indices], activation)):
                traces[i] = trace
    return traces


@contextlib.contextmanager
def _one_thread():
    """Torch's other threads speed nothing up on a few hundred numbers, and wait for their core when a program has it."""
    threads = torch.get_num_threads()  # 200 runs × 100 epochs: 75 ms on one thread, 360 ms on two beside a busy program
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _train_batch(configs: list[Config], activation: str) -> list[Trace]:
    """Runs are independent, so the gradient of their summed loss is each run's own gradient."""
    column = lambda name: torch.tensor([getattr(c, name) for c in configs], dtype=torch.float64)  # noqa: E731
    leaves = {name: column(name).requires_grad_() for name in INPUTS + PARAMETERS}  # inputs carry gradients too
    target, learning_rate = column("target"), column("learning_rate")
    epochs = torch.tensor([c.epochs for c in configs])
    # Per epoch and run: parameters before, n, o, loss, autograd gradients, parameters after.
    table = torch.empty(max(c.epochs for c in configs), 14, len(configs), dtype=torch.float64)
    for epoch in range(len(table)):
        n, o = forward(**leaves, activation=activation)
        L = loss(o, target)
        L.sum().backward()
        with torch.no_grad():
            table[epoch, :3] = torch.stack([leaves[p] for p in PARAMETERS])
            table[epoch, 3:6] = torch.stack([n, o, L])
            table[epoch, 6:11] = torch.stack([leaves[g].grad for g in GRADIENTS])
            running = epoch < epochs  # a run with fewer epochs keeps its trained parameters from here on
            for p in PARAMETERS:
                leaves[p] -= torch.where(running, learning_rate * leaves[p].grad, 0.0)
                leaves[p].grad.zero_()
            for i in INPUTS:
                leaves[i].grad.zero_()
            table[epoch, 11:] = torch.stack([leaves[p] for p in PARAMETERS])
    with torch.no_grad():
        values = {name: leaf.detach() for name, leaf in leaves.items()}
        n, o = forward(**values, activation=activation)
        final = torch.stack([*(values[p] for p in PARAMETERS), n, o, loss(o, target)]).T.tolist()
        checks = _checks(table, values, target, epochs, activation)
    return [
        Trace(c, Epochs(table[: c.epochs, :, r], checks[: c.epochs, :, r]), Final(*final[r]))
        for r, c in enumerate(configs)
    ]


def _checks(table, values, target, epochs, activation) -> torch.Tensor:
    """Hand-derived and finite-difference gradients for every epoch at once; fails loudly on a mismatch."""
    w1, w2, b, n, o = table[:, 0], table[:, 1], table[:, 2], table[:, 3], table[:, 4]
    x1, x2 = values["x1"].expand_as(w1), values["x2"].expand_as(w1)
    hand = torch.stack(hand_gradients(x1, x2, w1, w2, b, n, o, target, activation), dim=1)
    fd = torch.stack(finite_difference(x1, x2, w1, w2, b, target, activation), dim=1)
    autograd = table[:, 6:11]
    ran = (torch.arange(len(table))[:, None] < epochs)[:, None, :]  # epochs past a run's end are not its own
    wrong = ((autograd - hand).abs() > TOLERANCE * hand.abs().clamp(min=1.0)) & ran
    if wrong.any():
        epoch, leaf, run = (int(i) for i in wrong.nonzero()[0])
        raise GradientMismatch(
            f"epoch {epoch + 1}: autograd dL/d{GRADIENTS[leaf]} = {float(autograd[epoch, leaf, run])!r}"
            f" but the hand derivation gives {float(hand[epoch, leaf, run])!r}"
        )
    return torch.cat([hand, fd], dim=1)

