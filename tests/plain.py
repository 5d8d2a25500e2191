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


def replay_hidden_layer(epochs, learning_rate, activation="sigmoid", train_biases=False, **start) -> list[dict]:
    """tests/networks.py's two_two_two (Mazur's 2-2-2 network) by hand, epoch by epoch: every named value, its gradient
    under "dL/d…", the paths' parts under "dL/dh1 via no1", the slopes, and each parameter after the update."""
    v = {**dict(x1=0.05, x2=0.10, w1=0.15, w2=0.20, w3=0.25, w4=0.30, w5=0.40, w6=0.45, w7=0.50, w8=0.55, b1=0.35,
                b2=0.60, target1=0.01, target2=0.99), **start}
    f, slope = ACTIVATION[activation], SLOPE[activation]
    trained = ["w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8"] + (["b1", "b2"] if train_biases else [])
    epochs_out = []
    for _ in range(epochs):
        x1, x2, w1, w2, w3, w4, w5, w6, w7, w8, b1, b2, t1, t2 = (v[k] for k in (
            "x1", "x2", "w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8", "b1", "b2", "target1", "target2"))
        nh1 = w1 * x1 + w2 * x2 + b1
        h1 = f(nh1)
        nh2 = w3 * x1 + w4 * x2 + b1
        h2 = f(nh2)
        no1 = w5 * h1 + w6 * h2 + b2
        o1 = f(no1)
        no2 = w7 * h1 + w8 * h2 + b2
        o2 = f(no2)
        loss = 0.5 * (t1 - o1) ** 2 + 0.5 * (t2 - o2) ** 2
        # Backward: each output's delta, then each hidden value's, the sum of what comes back along its two paths.
        g = {"dL/do1": -(t1 - o1), "dL/do2": -(t2 - o2)}
        g["do1/dno1"], g["do2/dno2"] = slope(no1, o1), slope(no2, o2)
        g["dL/dno1"], g["dL/dno2"] = g["dL/do1"] * g["do1/dno1"], g["dL/do2"] * g["do2/dno2"]
        g["dL/dh1 via no1"], g["dL/dh1 via no2"] = w5 * g["dL/dno1"], w7 * g["dL/dno2"]
        g["dL/dh2 via no1"], g["dL/dh2 via no2"] = w6 * g["dL/dno1"], w8 * g["dL/dno2"]
        g["dL/dh1"] = g["dL/dh1 via no1"] + g["dL/dh1 via no2"]
        g["dL/dh2"] = g["dL/dh2 via no1"] + g["dL/dh2 via no2"]
        g["dh1/dnh1"], g["dh2/dnh2"] = slope(nh1, h1), slope(nh2, h2)
        g["dL/dnh1"], g["dL/dnh2"] = g["dL/dh1"] * g["dh1/dnh1"], g["dL/dh2"] * g["dh2/dnh2"]
        g.update({"dL/dw5": h1 * g["dL/dno1"], "dL/dw6": h2 * g["dL/dno1"], "dL/dw7": h1 * g["dL/dno2"],
                  "dL/dw8": h2 * g["dL/dno2"], "dL/dw1": x1 * g["dL/dnh1"], "dL/dw2": x2 * g["dL/dnh1"],
                  "dL/dw3": x1 * g["dL/dnh2"], "dL/dw4": x2 * g["dL/dnh2"]})
        g["dL/dx1 via nh1"], g["dL/dx1 via nh2"] = w1 * g["dL/dnh1"], w3 * g["dL/dnh2"]
        g["dL/dx2 via nh1"], g["dL/dx2 via nh2"] = w2 * g["dL/dnh1"], w4 * g["dL/dnh2"]
        g["dL/dx1"] = g["dL/dx1 via nh1"] + g["dL/dx1 via nh2"]
        g["dL/dx2"] = g["dL/dx2 via nh1"] + g["dL/dx2 via nh2"]
        if train_biases:
            g["dL/db1 via nh1"], g["dL/db1 via nh2"] = g["dL/dnh1"], g["dL/dnh2"]
            g["dL/db2 via no1"], g["dL/db2 via no2"] = g["dL/dno1"], g["dL/dno2"]
            g["dL/db1"] = g["dL/dnh1"] + g["dL/dnh2"]
            g["dL/db2"] = g["dL/dno1"] + g["dL/dno2"]
        epoch = {**v, "nh1": nh1, "h1": h1, "nh2": nh2, "h2": h2, "no1": no1, "o1": o1, "no2": no2, "o2": o2, "L": loss, **g}
        epoch.update({f"new {p}": v[p] - learning_rate * g[f"dL/d{p}"] for p in trained})
        epochs_out.append(epoch)
        v.update({p: epoch[f"new {p}"] for p in trained})
    return epochs_out


def replay_two_two_one(epochs, learning_rate, activation="tanh", **start) -> list[dict]:
    """tests/networks.py's two_two_one (two hidden neurons, one output, a bias each) by hand, as replay_hidden_layer."""
    v = {**dict(x1=1.0, x2=-0.5, w1=0.3, w2=-0.4, w3=0.6, w4=0.2, w5=-0.7, w6=0.5, b1=0.1, b2=-0.2, b3=0.05, target=0.4),
         **start}
    f, slope = ACTIVATION[activation], SLOPE[activation]
    epochs_out = []
    for _ in range(epochs):
        n1 = v["x1"] * v["w1"] + v["x2"] * v["w2"] + v["b1"]
        h1 = f(n1)
        n2 = v["x1"] * v["w3"] + v["x2"] * v["w4"] + v["b2"]
        h2 = f(n2)
        n = h1 * v["w5"] + h2 * v["w6"] + v["b3"]
        o = f(n)
        loss = 0.5 * (o - v["target"]) ** 2
        g = {"dL/do": o - v["target"], "do/dn": slope(n, o)}
        g["dL/dn"] = g["dL/do"] * g["do/dn"]
        g["dL/dh1"], g["dL/dh2"] = v["w5"] * g["dL/dn"], v["w6"] * g["dL/dn"]  # one path each: o is the only output
        g["dh1/dn1"], g["dh2/dn2"] = slope(n1, h1), slope(n2, h2)
        g["dL/dn1"], g["dL/dn2"] = g["dL/dh1"] * g["dh1/dn1"], g["dL/dh2"] * g["dh2/dn2"]
        g.update({"dL/dw5": h1 * g["dL/dn"], "dL/dw6": h2 * g["dL/dn"], "dL/db3": g["dL/dn"],
                  "dL/dw1": v["x1"] * g["dL/dn1"], "dL/dw2": v["x2"] * g["dL/dn1"], "dL/db1": g["dL/dn1"],
                  "dL/dw3": v["x1"] * g["dL/dn2"], "dL/dw4": v["x2"] * g["dL/dn2"], "dL/db2": g["dL/dn2"]})
        g["dL/dx1 via n1"], g["dL/dx1 via n2"] = v["w1"] * g["dL/dn1"], v["w3"] * g["dL/dn2"]
        g["dL/dx2 via n1"], g["dL/dx2 via n2"] = v["w2"] * g["dL/dn1"], v["w4"] * g["dL/dn2"]
        g["dL/dx1"] = g["dL/dx1 via n1"] + g["dL/dx1 via n2"]
        g["dL/dx2"] = g["dL/dx2 via n1"] + g["dL/dx2 via n2"]
        epoch = {**v, "n1": n1, "h1": h1, "n2": n2, "h2": h2, "n": n, "o": o, "L": loss, **g}
        trained = ("w1", "w2", "w3", "w4", "w5", "w6", "b1", "b2", "b3")
        epoch.update({f"new {p}": v[p] - learning_rate * g[f"dL/d{p}"] for p in trained})
        epochs_out.append(epoch)
        v.update({p: epoch[f"new {p}"] for p in trained})
    return epochs_out


def softsign(n):
    return n / (1 + abs(n))


def sign(x):
    return float(x > 0) - float(x < 0)


HACKS = {  # hack_it.ipynb's changes, by hand: an activation and do/dn, a loss and dL/do, an update of (w, g, v)
    "softsign": (softsign, lambda n, o: 1 / (1 + abs(n)) ** 2),
    "squared": (lambda o, t: 0.5 * (o - t) ** 2, lambda o, t: o - t),
    "absolute": (lambda o, t: abs(o - t), lambda o, t: sign(o - t)),
    "descent": lambda w, g, v, rate: (w - rate * g, v),
    "momentum": lambda w, g, v, rate: (w - rate * (0.9 * v + g), 0.9 * v + g),
    "ascent": lambda w, g, v, rate: (w + rate * g, v),
}


def replay_hack(activation="tanh", loss="squared", update="descent", epochs=10) -> tuple[list[dict], dict]:
    """The seed's neuron with another activation, loss or update rule, epoch by epoch: each epoch's parameters and
    velocities going in, forward pass, gradients, and what comes out; then the trained network."""
    x1, x2, target, rate = SEED["x1"], SEED["x2"], SEED["target"], SEED["learning_rate"]
    f, slope = HACKS[activation] if activation in HACKS else (ACTIVATION[activation], SLOPE[activation])
    error, dL_do_of = HACKS[loss]
    step = HACKS[update]
    w = {"w1": SEED["w1"], "w2": SEED["w2"], "b": SEED["b"]}
    v = dict.fromkeys(w, 0.0)
    epochs_ = []
    for _ in range(epochs):
        n = x1 * w["w1"] + x2 * w["w2"] + w["b"]
        o = f(n)
        do_dn = slope(n, o)
        dL_do = dL_do_of(o, target)
        dL_dn = dL_do * do_dn
        grads = {"w1": x1 * dL_dn, "w2": x2 * dL_dn, "b": dL_dn}
        stepped = {p: step(w[p], grads[p], v[p], rate) for p in w}
        epochs_.append({**w, **{f"v_{p}": v[p] for p in w}, "n": n, "o": o, "L": error(o, target), "do/dn": do_dn,
                        "dL/do": dL_do, "dL/dn": dL_dn, **{f"dL/d{p}": g for p, g in grads.items()},
                        **{f"new {p}": s[0] for p, s in stepped.items()}, **{f"new v_{p}": s[1] for p, s in stepped.items()}})
        w, v = {p: s[0] for p, s in stepped.items()}, {p: s[1] for p, s in stepped.items()}
    n = x1 * w["w1"] + x2 * w["w2"] + w["b"]
    return epochs_, {**w, "n": n, "o": f(n), "L": error(f(n), target)}
