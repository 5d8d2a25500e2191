"""Hyperparameters of the one-neuron network, validated in one place."""
from __future__ import annotations

import dataclasses
import math
import numbers
import os
import reprlib
import sys
import warnings
from dataclasses import dataclass

from hnn.neuron import ACTIVATIONS

NUMBERS = ("x1", "x2", "w1", "w2", "b", "target")  # inputs, parameters and target: any moderate real number
LIMIT = 1e6  # with MAX_LEARNING_RATE, keeps every value of every activation finite (relu peaks near 1e66)
MAX_LEARNING_RATE = 100.0
MAX_EPOCHS = 100_000  # a trace keeps every epoch; this bounds its memory to a few hundred MB


class UnreachableTargetWarning(UserWarning):
    """The target lies outside the activation's range, so the loss can never reach 0."""


@dataclass(frozen=True)
class Config:
    """One run's hyperparameters; the defaults are the original notebook's."""

    x1: float = 2.0  # first input
    x2: float = 0.0  # second input; 0 means w2 never receives a gradient
    w1: float = -3.0  # initial weight of x1
    w2: float = 1.0  # initial weight of x2
    b: float = 6.8814  # initial bias; chosen so that n = 0.8814 and o = tanh(n) ≈ 1/√2
    target: float = 0.0  # the output we want the neuron to produce
    learning_rate: float = 0.01  # gradient descent step size
    epochs: int = 10  # forward + backward + update rounds
    activation: str = "tanh"  # one of ACTIVATIONS: tanh, sigmoid, relu

    def __post_init__(self):
        for name in NUMBERS:
            value = _number(name, getattr(self, name))
            if abs(value) > LIMIT:
                raise ValueError(f"{name} must be between -{LIMIT:g} and {LIMIT:g}, got {value!r}")
            object.__setattr__(self, name, value)
        learning_rate = _number("learning_rate", self.learning_rate)
        if not 0 < learning_rate <= MAX_LEARNING_RATE:
            raise ValueError(
                f"learning_rate must be a number greater than 0 and at most {MAX_LEARNING_RATE:g}, got {learning_rate!r}"
            )
        object.__setattr__(self, "learning_rate", learning_rate)
        object.__setattr__(self, "epochs", whole("epochs", self.epochs, 0, MAX_EPOCHS))
        if not isinstance(self.activation, str) or self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}, got {excerpt(self.activation)}")
        if not ACTIVATIONS[self.activation].reaches(self.target):
            warnings.warn(
                f"target={self.target!r} is outside what {self.activation} can output"
                f" ({ACTIVATIONS[self.activation].reach_text});"
                " the loss will approach but never reach 0",
                UnreachableTargetWarning,
                stacklevel=_caller(),
            )

    def to_dict(self) -> dict:
        """The hyperparameters as plain values, in field order."""
        return dataclasses.asdict(self)


FIELDS = tuple(field.name for field in dataclasses.fields(Config))


def _number(name: str, value) -> float:
    """A finite float from an int, float or numeric string (papermill passes `-p lr 1` as int, YAML `1e-3` as str)."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, str)):
        raise ValueError(f"{name} must be a finite number, got {excerpt(value)}")
    try:
        number = float(value)
    except (ValueError, OverflowError):
        raise ValueError(f"{name} must be a finite number, got {excerpt(value)}") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number, got {excerpt(value)}")
    return number


def whole(name: str, value, low: int, high: int) -> int:
    """A whole number from low to high, from an int, a whole float (10.0) or a numeric string ("10")."""
    accepted = f"{name} must be a whole number from {low} to {high}, got {excerpt(value)}"
    try:
        number = _number(name, value)
    except ValueError:
        raise ValueError(accepted) from None
    if number != int(number) or not low <= number <= high:
        raise ValueError(accepted)
    return int(number)


def configs(base: Config | None = None, **hyperparameters) -> list[Config]:
    """One Config per run: each hyperparameter is one value or a sequence; sequences share one length."""
    unknown = sorted(set(hyperparameters) - set(FIELDS))
    if unknown:
        raise ValueError(f"unknown hyperparameter {unknown[0]!r}; accepted: {', '.join(FIELDS)}")
    lengths = {name: len(v) for name, v in hyperparameters.items() if _is_sequence(v)}
    if len(set(lengths.values())) > 1:
        described = ", ".join(f"{name} has {length}" for name, length in lengths.items())
        raise ValueError(f"hyperparameter sequences must have the same length: {described}")
    runs = next(iter(lengths.values()), 1)
    if runs == 0:
        raise ValueError(f"hyperparameter sequences must not be empty: {', '.join(lengths)}")
    base = base or Config()
    with warnings.catch_warnings():
        if not {"target", "activation"} & hyperparameters.keys():  # the base has said whether its target is reachable
            warnings.simplefilter("ignore", UnreachableTargetWarning)
        return [
            dataclasses.replace(base, **{name: v[i] if name in lengths else v for name, v in hyperparameters.items()})
            for i in range(runs)
        ]


def _is_sequence(value) -> bool:
    return not isinstance(value, (str, bytes)) and hasattr(value, "__len__")


_EXCERPT = reprlib.Repr()  # builds at most a few hundred characters of any value, however large or deep
_EXCERPT.maxstring = _EXCERPT.maxlong = _EXCERPT.maxother = 80
_EXCERPT.maxlevel = 3


def excerpt(value) -> str:
    """value as a message names it: its repr, cut to 80 characters, so that the message stays one short line."""
    text = _EXCERPT.repr(value)
    return text if len(text) <= 80 else f"{text[:76]}...{text[-1]}"  # the closing quote or bracket kept


def _caller() -> int:
    """warnings.warn's stacklevel for the nearest caller outside hnn and dataclasses (whose replace() and generated
    __init__ call __post_init__): the reader's own line that asked for the Config, in a notebook its cell."""
    inside = (os.path.dirname(__file__) + os.sep, dataclasses.__file__, "<string>")
    frame, level = sys._getframe(1), 1
    while frame.f_back is not None and frame.f_code.co_filename.startswith(inside):
        frame, level = frame.f_back, level + 1
    return level
