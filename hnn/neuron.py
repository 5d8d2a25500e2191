"""The neuron's maths: activations, forward pass, loss and the hand-derived chain rule (no autograd)."""
from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import torch


class Activation(NamedTuple):
    """An activation function with its derivative written in terms of n and o = f(n)."""

    f: Callable  # o = f(n), on tensors
    derivative: Callable  # do/dn as a function of (n, o), derived by hand
    derivative_text: str  # do/dn as the walkthrough prints it
    reaches: Callable  # whether f can output this target exactly
    reach_text: str  # the range of f, as the warning prints it


def _relu_slope(n, o):
    """relu's derivative at exactly n = 0 is taken as 0, as torch's autograd does."""
    return (n > 0).to(n.dtype)


ACTIVATIONS = {
    "tanh": Activation(torch.tanh, lambda n, o: 1 - o**2, "(1 - o^2)", lambda t: -1 < t < 1, "-1 < o < 1"),
    "sigmoid": Activation(torch.sigmoid, lambda n, o: o * (1 - o), "o * (1 - o)", lambda t: 0 < t < 1, "0 < o < 1"),
    "relu": Activation(torch.relu, _relu_slope, "(n > 0)", lambda t: t >= 0, "o >= 0"),
}

INPUTS = ("x1", "x2")
PARAMETERS = ("w1", "w2", "b")
LEAVES = INPUTS + PARAMETERS  # the graph's leaves, in the order forward() takes them


class Grads(NamedTuple):
    """dL/d(value) for each value the loss depends on: the parameters, the inputs, then o and n."""

    w1: float
    w2: float
    b: float
    x1: float
    x2: float
    o: float  # dL/do
    n: float  # dL/dn


def forward(x1, x2, w1, w2, b, activation: str):
    """n = x1*w1 + x2*w2 + b and o = f(n), in the original notebook's order of operations."""
    n = x1 * w1 + x2 * w2 + b
    return n, ACTIVATIONS[activation].f(n)


def loss(o, target):
    """Half squared error: L = ½(o - target)², so that dL/do = o - target."""
    return 0.5 * (o - target).pow(2)


def slope(n, o, activation: str):
    """do/dn, the activation's derivative at n, derived by hand."""
    return ACTIVATIONS[activation].derivative(n, o)


def hand_gradients(x1, x2, w1, w2, b, n, o, target, activation: str) -> Grads:
    """The chain rule written out: dL/dleaf = dL/do · do/dn · dn/dleaf."""
    dL_do = o - target
    dL_dn = dL_do * slope(n, o, activation)
    return Grads(w1=x1 * dL_dn, w2=x2 * dL_dn, b=dL_dn, x1=w1 * dL_dn, x2=w2 * dL_dn, o=dL_do, n=dL_dn)


def finite_difference(x1, x2, w1, w2, b, o, n, target, activation: str) -> Grads:
    """Central differences (L(v+h) - L(v-h)) / 2h for each value: a check that needs no calculus at all."""
    leaves = dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b)

    def loss_at(name, value):
        """L with one value moved and the values it depends on held: a leaf goes through the whole forward pass."""
        if name == "o":
            return loss(value, target)
        if name == "n":
            return loss(ACTIVATIONS[activation].f(value), target)
        return loss(forward(**{**leaves, name: value}, activation=activation)[1], target)

    values = {**leaves, "o": o, "n": n}
    estimates = {}
    for name in Grads._fields:
        h = 1e-6 * torch.clamp(values[name].abs(), min=1.0)  # relative step: float64 keeps ~10 good digits
        estimates[name] = (loss_at(name, values[name] + h) - loss_at(name, values[name] - h)) / (2 * h)
    return Grads(**estimates)
