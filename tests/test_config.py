"""Hyperparameters: the seed's defaults, safe coercion, and one clear error per bad value."""
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


BAD = [
    ("learning_rate", "abc", "learning_rate must be a finite number, got 'abc'"),
    ("learning_rate", 0, "learning_rate must be a number greater than 0 and at most 100, got 0.0"),
    ("learning_rate", -0.1, "learning_rate must be a number greater than 0"),
    ("learning_rate", "inf", "learning_rate must be a finite number, got 'inf'"),
    ("x1", float("nan"), "x1 must be a finite number, got nan"),
    ("x2", "-inf", "x2 must be a finite number, got '-inf'"),
    ("w1", 1e308, "w1 must be between -1e+06 and 1e+06, got 1e+308"),
    ("w2", [1.0], "w2 must be a finite number, got [1.0]"),
    ("b", True, "b must be a finite number, got True"),
    ("target", None, "target must be a finite number, got None"),
    ("epochs", -1, "epochs must be a whole number from 0 to 100000, got -1"),
    ("epochs", 2.5, "epochs must be a whole number from 0 to 100000, got 2.5"),
    ("epochs", "ten", "epochs must be a whole number from 0 to 100000, got 'ten'"),
    ("epochs", 10**9, "epochs must be a whole number from 0 to 100000"),
    ("activation", "softmax", "activation must be one of tanh, sigmoid, relu, got 'softmax'"),
]


@pytest.mark.parametrize("name,value,message", BAD, ids=[f"{n}={v!r}" for n, v, _ in BAD])
def test_bad_values_name_the_parameter_and_what_is_accepted(name, value, message):
    with pytest.raises(ValueError) as error:
        hnn.Config(**{name: value})
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_unknown_hyperparameter_is_named():
    with pytest.raises(ValueError, match="unknown hyperparameter 'lr'; accepted: x1, x2"):
        hnn.configs(lr=0.1)


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
    trace = hnn.train(hnn.Config(activation="relu", x1=1e6, x2=-1e6, w1=1e6, w2=-1e6, b=0.0, target=1e6, learning_rate=100, epochs=5))
    values = [v for e in trace.epochs for v in (e.n, e.o, e.loss, *e.grad, *e.updated)]
    assert all(math.isfinite(v) for v in values)
    assert trace.epochs[-1].grad.w1 == 0.0  # the dead zone
