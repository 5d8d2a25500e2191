"""Update rules: how each parameter steps, written as a Python function as a network is, so that the log, the
diagrams, the stepper and the narrative show the arithmetic that ran. Gradient descent is one; a rule with momentum
keeps a velocity for each parameter from one epoch to the next."""
from __future__ import annotations

import functools
import inspect
from collections.abc import Callable

from hnn.graph import traced
from hnn.ops import NetworkError, Value


class Rule:
    """An update rule: a function of a parameter, its gradient, the values the rule keeps from one epoch to the next
    (its state, each starting as given), the learning rate, and hyperparameters with their defaults; it returns the
    parameter's new value, and with state, the state's new values after it."""

    def __init__(self, function: Callable, state: dict[str, float]):
        self.function, self.name, self.state = function, function.__name__, dict(state)
        arguments = list(inspect.signature(function).parameters.values())
        named = [a.name for a in arguments]
        if len(named) < 3 or named[2:2 + len(state)] != list(state) or "learning_rate" not in named[2 + len(state):]:
            raise NetworkError(f"update rule {self.name} must take a parameter, its gradient, {''.join(f'{s}, ' for s in state)}"
                               f"then learning_rate, got ({', '.join(named)})")
        self.settings = {a.name: a.default for a in arguments[2 + len(state):] if a.name != "learning_rate"}
        missing = [name for name, default in self.settings.items() if default is inspect.Parameter.empty]
        if missing:
            raise NetworkError(f"update rule {self.name}: {missing[0]} has no default, where its value goes")
        self.formulas(named[0])  # a slip in the function is said here, where the rule is written

    def __call__(self, *numbers):
        """The rule on numbers (tensors): as the function computes it."""
        return self.function(*numbers)

    def step(self, value, gradient, state: tuple, learning_rate, settings: dict) -> tuple:
        """The parameter's new value and the state's, on numbers."""
        new = self.function(value, gradient, *state, learning_rate=learning_rate, **settings)
        return (new, ()) if not self.state else (new[0], tuple(new[1:]))

    @functools.cache  # noqa: B019  one formula per rule and parameter, however often views ask
    def formulas(self, parameter: str) -> tuple[dict[str, Value], dict[str, Value]]:
        """The rule written for one parameter, as values: what it computes by name (the state first, "new v_w1", then
        "new w1"), and its leaves by name (w1, dL/dw1, v_w1, learning_rate, …)."""
        w, dL_dw, *rest = inspect.signature(self.function).parameters
        leaves = {w: Value(name=parameter, kind="parameter"), dL_dw: Value(name=f"dL/d{parameter}", kind="gradient"),
                  **{s: Value(name=f"{s}_{parameter}", kind="state") for s in self.state},
                  **{name: Value(name=name, kind="hyperparameter") for name in rest if name not in self.state}}
        result, _ = traced(self.function, leaves)
        new = result if isinstance(result, tuple) else (result,)
        if len(new) != 1 + len(self.state) or not all(isinstance(v, Value) for v in new):
            raise NetworkError(f"update rule {self.name} must return the new {w}"
                               f"{''.join(f', then the new {s}' for s in self.state)}")
        names = [f"new {parameter}", *(f"new {s}_{parameter}" for s in self.state)]
        for value, name in zip(new, names):
            value.name = name
        computed = dict(zip(names, new))
        return {**{name: computed[name] for name in names[1:]}, names[0]: computed[names[0]]}, \
            {value.name: value for value in leaves.values()}

    @property
    def heading(self) -> str:
        """What STEP 3 is called, from the rule's name: GRADIENT DESCENT, MOMENTUM, …"""
        return self.name.replace("_", " ").upper()

    def __repr__(self) -> str:
        return self.name


def update(state: dict[str, float] | None = None):
    """Declare a function as an update rule; state: the values it keeps for each parameter, and where they start.

        @update(state={"v": 0.0})
        def momentum(w, dL_dw, v, learning_rate, beta=0.9):
            v = beta * v + dL_dw
            w = w - learning_rate * v
            return w, v
    """
    return lambda function: Rule(function, state or {})


@update()
def gradient_descent(w, dL_dw, learning_rate):
    """Gradient descent: each parameter steps against its gradient, as far as the learning rate says."""
    return w - learning_rate * dL_dw
