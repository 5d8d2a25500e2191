"""Training with torch autograd in float64, many runs at once, cross-checked against the hand derivation."""
from __future__ import annotations

from typing import Sequence

import torch

from hnn.config import Config
from hnn.neuron import GRADIENTS, INPUTS, PARAMETERS, Grads, finite_difference, forward, hand_gradients, loss
from hnn.trace import Epoch, Final, Params, Trace

TOLERANCE = 1e-12  # autograd and the hand derivation must agree to this, relative to the gradient's size


class GradientMismatch(RuntimeError):
    """Autograd and the hand-derived chain rule disagree: one of them is wrong."""


def train(config: Config | None = None) -> Trace:
    """Train one run (the original notebook's, by default) and record every epoch."""
    return train_many([config or Config()])[0]


def train_many(configs: Sequence[Config]) -> list[Trace]:
    """Train every config as one batched tensor computation per activation; one Trace per config, in order."""
    traces = [None] * len(configs)
    for activation in dict.fromkeys(c.activation for c in configs):  # first-seen order: deterministic
        indices = [i for i, c in enumerate(configs) if c.activation == activation]
        for i, trace in zip(indices, _train_batch([configs[i] for i in indices], activation)):
            traces[i] = trace
    return traces


def _train_batch(configs: list[Config], activation: str) -> list[Trace]:
    """Runs are independent, so the gradient of their summed loss is each run's own gradient."""
    column = lambda name: torch.tensor([getattr(c, name) for c in configs], dtype=torch.float64)  # noqa: E731
    leaves = {name: column(name).requires_grad_() for name in INPUTS + PARAMETERS}  # inputs carry gradients too
    target, learning_rate = column("target"), column("learning_rate")
    epochs = torch.tensor([c.epochs for c in configs])
    history = []  # per epoch: parameters before, n, o, loss, autograd gradients, parameters after
    for epoch in range(int(epochs.max())):
        n, o = forward(**leaves, activation=activation)
        L = loss(o, target)
        L.sum().backward()
        with torch.no_grad():
            before = [leaves[p].clone() for p in PARAMETERS]
            grads = [leaves[g].grad.clone() for g in GRADIENTS]
            running = epoch < epochs  # a run with fewer epochs keeps its trained parameters from here on
            for p in PARAMETERS:
                leaves[p] -= torch.where(running, learning_rate * leaves[p].grad, 0.0)
            for g in GRADIENTS:
                leaves[g].grad.zero_()
            history.append(torch.stack([*before, n, o, L, *grads, *(leaves[p] for p in PARAMETERS)]))
    with torch.no_grad():
        values = {name: leaf.detach() for name, leaf in leaves.items()}
        n, o = forward(**values, activation=activation)
        final = torch.stack([*(values[p] for p in PARAMETERS), n, o, loss(o, target)])
        table = torch.stack(history) if history else torch.empty(0, 14, len(configs), dtype=torch.float64)
        checks = _checks(table, values, target, epochs, activation)
    return [
        _trace(config, table[: config.epochs, :, r].tolist(), checks[: config.epochs, :, r].tolist(), final[:, r].tolist())
        for r, config in enumerate(configs)
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


def _trace(config: Config, rows: list, checks: list, final: list) -> Trace:
    return Trace(
        config=config,
        epochs=tuple(
            Epoch(k + 1, *row[:6], Grads(*row[6:11]), Grads(*check[:5]), Grads(*check[5:]), Params(*row[11:]))
            for k, (row, check) in enumerate(zip(rows, checks))
        ),
        final=Final(*final),
    )

