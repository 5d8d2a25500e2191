"""The neuron in plain Python floats (the math module: no torch, no hnn), written once from the maths: the
independent reference every test compares hnn with."""
import math
from typing import NamedTuple

SEED = dict(x1=2.0, x2=0.0, w1=-3.0, w2=1.0, b=6.8814, target=0.0, learning_rate=0.01, epochs=10, activation="tanh")


def sigmoid(n):
    return 1 / (1 + math.exp(-n))


def relu(n):
    return max(n, 0.0)


ACTIVATION = {"tanh": math.tanh, "sigmoid": sigmoid, "relu": relu}
SLOPE = {  # do/dn in terms of n and o, for each activation
    "tanh": lambda n, o: 1 - o * o,
    "sigmoid": lambda n, o: o * (1 - o),
    "relu": lambda n, o: float(n > 0),
}


class Step(NamedTuple):
    """One epoch, by hand: the parameters going in, the forward pass, the chain rule, the parameters coming out."""

    w1: float
    w2: float
    b: float
    n: float
    o: float
    loss: float
    do_dn: float
    dL_do: float
    dL_dn: float
    dL_dw1: float
    dL_dw2: float
    dL_db: float
    dL_dx1: float
    dL_dx2: float
    new_w1: float
    new_w2: float
    new_b: float


class Final(NamedTuple):
    w1: float
    w2: float
    b: float
    n: float
    o: float
    loss: float


def loss(x1, x2, w1, w2, b, target, activation):
    o = ACTIVATION[activation](x1 * w1 + x2 * w2 + b)
    return 0.5 * (o - target) ** 2


def replay(config=None, **overrides) -> tuple[list[Step], Final]:
    """Gradient descent epoch by epoch: from an hnn.Config's values, or the seed's with overrides."""
    h = {**SEED, **(config.to_dict() if config is not None else {}), **overrides}
    x1, x2, target, rate = h["x1"], h["x2"], h["target"], h["learning_rate"]
    f, slope = ACTIVATION[h["activation"]], SLOPE[h["activation"]]
    w1, w2, b = h["w1"], h["w2"], h["b"]
    steps = []
    for _ in range(int(h["epochs"])):
        n = x1 * w1 + x2 * w2 + b
        o = f(n)
        do_dn = slope(n, o)
        dL_do = o - target
        dL_dn = dL_do * do_dn
        grads = (x1 * dL_dn, x2 * dL_dn, dL_dn)
        new = tuple(p - rate * g for p, g in zip((w1, w2, b), grads))
        steps.append(Step(w1, w2, b, n, o, 0.5 * dL_do**2, do_dn, dL_do, dL_dn, *grads, w1 * dL_dn, w2 * dL_dn, *new))
        w1, w2, b = new
    n = x1 * w1 + x2 * w2 + b
    return steps, Final(w1, w2, b, n, f(n), 0.5 * (f(n) - target) ** 2)


def central_difference(leaves: dict, target, activation, h=1e-6) -> dict:
    """dL/dleaf for each leaf by (L(v+h) - L(v-h)) / 2h."""
    out = {}
    for name, value in leaves.items():
        up = loss(**{**leaves, name: value + h}, target=target, activation=activation)
        down = loss(**{**leaves, name: value - h}, target=target, activation=activation)
        out[name] = (up - down) / (2 * h)
    return out
