"""Self-checks for notebooks/exercises.ipynb: each says right, or how far off with a hint, but never the answer."""
from __future__ import annotations

import functools
import math
import numbers

from hnn.config import Config
from hnn.training import train

TOLERANCE = 1e-4  # relative: five significant figures, fine enough to tell w1 ≈ -3.007 from an unchanged -3.0
GOAL_LOSS = 0.01  # exercise (e): the loss to get below within the original notebook's 10 epochs


@functools.cache
def _trace():
    """The original notebook's run: every expected answer is read off it, none is computed again here."""
    return train(Config())


def _answered(name: str, answer) -> bool:
    """False, with a reminder, while the answer cell still holds the placeholder `...`."""
    if answer is ...:
        print(f"… {name}: replace the ... with your answer, then run the cell again")
    return answer is not ...


def _check(name: str, answer, expected: float, hint: str) -> None:
    """Prints ✓, or how far off the answer is and a hint; the expected value itself is never printed."""
    if not _answered(name, answer):
        return
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real) or not math.isfinite(answer):
        print(f"✗ {name} should be a finite number, got {answer!r}")
        return
    if math.isclose(answer, expected, rel_tol=TOLERANCE):
        print(f"✓ {name} is right")
        return
    if answer * expected < 0:
        print(f"✗ {name} has the wrong sign. Hint: {hint}")
        return
    off = abs(answer - expected) / abs(expected)  # relative, so it tells the size of the mistake, not the answer
    size = "less than 1%" if off < 0.01 else f"about {off:.0%}"
    direction = "too high" if answer > expected else "too low"
    print(f"✗ {name} is {direction}, off by {size}. Hint: {hint}")


def check_n_and_o(n, o) -> None:
    """Exercise (a): the forward pass of epoch 1."""
    first = _trace().epochs[0]
    _check("n", n, first.n, "n = x1*w1 + x2*w2 + b, with the starting values.")
    _check("o", o, first.o, "o = tanh(n); math.tanh computes it.")


def check_dL_db(dL_db) -> None:
    """Exercise (b): the gradient of the loss with respect to b in epoch 1."""
    hint = "dL/db = dL/do * do/dn * dn/db, with dL/do = o - target, do/dn = 1 - o**2 for tanh, and dn/db = 1."
    _check("dL/db", dL_db, _trace().epochs[0].grad.b, hint)


def check_w1(w1) -> None:
    """Exercise (c): w1 after epoch 1's gradient descent step."""
    hint = "new w1 = w1 - learning_rate * dL/dw1, and dL/dw1 = dn/dw1 * dL/dn = x1 * dL/db."
    _check("w1", w1, _trace().epochs[0].updated.w1, hint)


def check_w2(w2) -> None:
    """Exercise (d): w2 after the original notebook's 10 epochs."""
    hint = "dL/dw2 = x2 * (o - target) * (1 - o**2): what is it when x2 = 0, and what step does w2 take then?"
    _check("w2", w2, _trace().final.w2, hint)


def check_learning_rate(learning_rate) -> None:
    """Exercise (e): a learning rate that brings the loss below GOAL_LOSS within the original notebook's epochs."""
    if not _answered("learning_rate", learning_rate):
        return
    try:
        trace = train(Config(learning_rate=learning_rate))
    except ValueError as error:  # the Config's own message says what a learning rate must be
        print(f"✗ {error}")
        return
    epochs, loss = trace.config.epochs, trace.final.loss
    if loss < GOAL_LOSS:
        print(f"✓ right: with learning_rate = {learning_rate!r} the loss after {epochs} epochs is {loss:.2g}")
        return
    losses = trace.losses()
    if all(later < earlier for earlier, later in zip(losses, losses[1:])):
        hint = "the loss falls every epoch, but too slowly: try a larger learning rate."
    else:
        hint = "the loss rose at least once, so the steps overshoot: try a smaller learning rate."
    print(
        f"✗ with learning_rate = {learning_rate!r} the loss after {epochs} epochs is {loss:.2g},"
        f" not below {GOAL_LOSS}. Hint: {hint}"
    )
