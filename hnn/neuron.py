"""The neuron's maths: activations, forward pass, loss and the hand-derived chain rule (no autograd)."""
from __future__ import annotations

from typing import Callable, NamedTuple

import torch


class Activation(NamedTuple):
    """An activation function with its derivative written in terms of n and o = f(n)."""

    f: Callable  # o = f(n), on tensors
    derivative: Callable  # do/dn as a function of (n, o), derived by hand
    derivative_text: str  # do/dn as the walkthrough prints it
    reaches: Callable  # whether f can output this target exactly
    reach_text: str  # the range of f, as the warning prints it


ACTIVATIONS = {
    "tanh": Activation(torch.tanh, lambda n, o: 1 - o**2, "(1 - o^2)", lambda t: -1 < t < 1, "-1 < o < 1"),
    "sigmoid": Activation(torch.sigmoid, lambda n, o: o * (1 - o), "o * (1 - o)", lambda t: 0 < t < 1, "0 < o < 1"),
    # relu's derivative at exactly n = 0 is taken as 0, as torch's autograd does.
    "relu": Activation(torch.relu, lambda n, o: (n > 0).to(n.dtype), "(n > 0)", lambda t: t >= 0, "o >= 0"),
}

INPUTS = ("x1", "x2")
PARAMETERS = ("w1", "w2", "b")
GRADIENTS = PARAMETERS + INPUTS  # every leaf that receives dL/d(leaf)


class Grads(NamedTuple):
    """dL/d(leaf) for each leaf of the graph."""

    w1: float
    w2: float
    b: float
    x1: float
    x2: float


def forward(x1, x2, w1, w2, b, activation: str):
    """n = x1*w1 + x2*w2 + b and o = f(n), in the original notebook's order of operations."""
    n = x1 * w1 + x2 * w2 + b
    return n, ACTIVATIONS[activation].f(n)


def loss(o, target):
    """Half squared error: L = ½(o - target)², so that dL/do = o - target."""
    return 0.5 * (o - target).pow(2)


def hand_gradients(x1, x2, w1, w2, b, n, o, target, activation: str) -> Grads:
    """The chain rule written out: dL/dleaf = dL/do · do/dn · dn/dleaf."""
    dL_dn = (o - target) * ACTIVATIONS[activation].derivative(n, o)
    return Grads(w1=x1 * dL_dn, w2=x2 * dL_dn, b=dL_dn, x1=w1 * dL_dn, x2=w2 * dL_dn)


def finite_difference(x1, x2, w1, w2, b, target, activation: str) -> Grads:
    """Central differences (L(v+h) - L(v-h)) / 2h for each leaf: a check that needs no calculus at all."""
    leaves = dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b)
    estimates = {}
    for name in GRADIENTS:
        value = leaves[name]
        h = 1e-6 * torch.clamp(value.abs(), min=1.0)  # relative step: float64 keeps ~10 good digits
        up = loss(forward(**{**leaves, name: value + h}, activation=activation)[1], target)
        down = loss(forward(**{**leaves, name: value - h}, activation=activation)[1], target)
        estimates[name] = (up - down) / (2 * h)
    return Grads(**estimates)
