"""Hyperparameters: the seed's defaults, safe coercion, unreachable targets (bad values: test_reliability.py)."""
import math
import warnings

import pytest

import hnn


def test_defaults_are_the_seeds():
    c = hnn.Config()
    assert (c.x1, c.x2, c.w1, c.w2, c.b, c.target, c.learning_rate, c.epochs, c.activation) == (
        2.0, 0.0, -3.0, 1.0, 6.8814, 0.0, 0.01, 10, "tanh",
    )


def test_papermill_style_values_are_coerced():
    c = hnn.Config(learning_rate=1, epochs="30", w1="-2.5", target="1e-3", b=0)
    assert (c.learning_rate, c.epochs, c.w1, c.target, c.b) == (1.0, 30, -2.5, 0.001, 0.0)
    assert isinstance(c.learning_rate, float) and isinstance(c.epochs, int)
    assert hnn.Config(epochs=12.0).epochs == 12


@pytest.mark.parametrize("activation,target", [("tanh", 1.0), ("tanh", -2.0), ("sigmoid", 1.5), ("relu", -0.5)])
def test_unreachable_target_is_allowed_but_warned(activation, target):
    with pytest.warns(hnn.UnreachableTargetWarning, match=f"outside what {activation} can output"):
        hnn.Config(activation=activation, target=target)


def test_reachable_target_is_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        hnn.Config(target=0.99)
        hnn.Config(activation="relu", target=5.0)



def test_the_largest_allowed_values_stay_finite():
    # relu with a huge learning rate overshoots, then dies (n < 0, zero gradient); nothing overflows.
    largest = hnn.Config(activation="relu", x1=1e6, x2=-1e6, w1=1e6, w2=-1e6, b=0.0, target=1e6, learning_rate=100, epochs=5)
    trace = hnn.train(largest)
    values = [v for e in trace.epochs for v in (e.n, e.o, e.loss, *e.grad.values(), *e.updated.values())]
    assert all(math.isfinite(v) for v in values)
    assert trace.epochs[-1].grad.w1 == 0.0  # the dead zone
