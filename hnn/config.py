"""A run's settings: the network, where its leaves start, its options and the hyperparameters, validated in one
place; everything downstream trusts them."""
from __future__ import annotations

import math
import numbers
import os
import reprlib
import sys
import warnings

from hnn.graph import Graph, Network
from hnn.lessons import neuron
from hnn.ops import ACTIVATIONS, Op, sub
from hnn.rules import Rule, gradient_descent

LIMIT = 1e6  # with MAX_LEARNING_RATE, keeps every value of every activation finite (relu peaks near 1e66)
MAX_LEARNING_RATE = 100.0
MAX_EPOCHS = 100_000  # a trace keeps every epoch; this bounds its memory to a few hundred MB
DEFAULTS = {"learning_rate": 0.01, "epochs": 10}  # the hyperparameters, as the original notebook set them


class UnreachableTargetWarning(UserWarning):
    """A target lies outside what the value it is compared with can be, so the loss can never reach 0."""


class Config:
    """One run: a network (the original notebook's neuron unless given), the values its leaves start from, its
    options, the learning rate and the epochs (the network's own, else DEFAULTS); Config(learning_rate=0.5) is the
    original run with one change."""

    __slots__ = ("network", "_settings")

    def __init__(self, network: Network | None = None, /, **settings):
        net = network or neuron
        rule = settings.get("update", gradient_descent)
        if not isinstance(rule, Rule):
            raise ValueError(f"update must be an update rule (hnn.gradient_descent, or a function declared with @hnn.update), got"
                             f" {excerpt(rule)}")
        accepted = (*net.kinds, *DEFAULTS, *net.options, "update", *rule.settings)
        unknown = [name for name in (*settings, *net.hyperparameters) if name not in accepted]
        if unknown:
            raise ValueError(f"unknown hyperparameter {excerpt(unknown[0])}; accepted: {', '.join(accepted)}")
        given = {**net.defaults, **DEFAULTS, **net.hyperparameters, **net.options, **rule.settings, **settings}
        unset = [name for name in net.kinds if name not in given]
        if unset:
            raise ValueError(f"{unset[0]} has no value: the network gives it none, so give it one (Config({unset[0]}=…),"
                             " or in the Parameters cell)")
        checked = {name: _leaf(name, given[name]) for name in net.kinds}
        checked["learning_rate"] = _number("learning_rate", given["learning_rate"])
        if not 0 < checked["learning_rate"] <= MAX_LEARNING_RATE:
            raise ValueError(f"learning_rate must be a number greater than 0 and at most {MAX_LEARNING_RATE:g},"
                             f" got {checked['learning_rate']!r}")
        checked["epochs"] = whole("epochs", given["epochs"], 0, MAX_EPOCHS)
        checked.update({name: _option(name, given[name], default) for name, default in net.options.items()})
        checked["update"] = rule
        checked.update({name: _number(name, given[name]) for name in rule.settings})
        object.__setattr__(self, "network", net)
        object.__setattr__(self, "_settings", checked)
        _warn_unreachable(self)

    def __getattr__(self, name: str):
        try:
            value = object.__getattribute__(self, "_settings")[name]
        except (KeyError, AttributeError):
            raise AttributeError(f"a Config has no {name!r}") from None
        if isinstance(value, (Op, Rule)):
            return value.name
        return value.__name__ if callable(value) else value  # an activation written as a function: by its name

    def __setattr__(self, name, value):
        raise AttributeError("a Config cannot change: config.replace(name=value) makes another")

    @property
    def graph(self) -> Graph:
        """The network's graph with this run's options."""
        return self.network.graph(**{name: self._settings[name] for name in self.network.options})

    @property
    def rule(self) -> Rule:
        """The update rule: how each parameter steps."""
        return self._settings["update"]

    @property
    def rule_settings(self) -> dict[str, float]:
        """The update rule's hyperparameters beside the learning rate (momentum's beta)."""
        return {name: self._settings[name] for name in self.rule.settings}

    @property
    def leaves(self) -> dict[str, float]:
        """Where each leaf starts: inputs, parameters and constants, in the network's order."""
        return {name: self._settings[name] for name in self.network.kinds}

    def to_dict(self) -> dict:
        """Every setting as a plain value: the leaves, learning_rate, epochs, the options (an activation by name), then
        the update rule by name and its hyperparameters, unless it is plain gradient descent."""
        default = self.rule.name == gradient_descent.name  # hnn's, or the walkthrough's own cell of it
        return {name: getattr(self, name) for name in self._settings if name != "update" or not default}

    def replace(self, **changes) -> Config:
        """This run with some settings changed, checked again; another update rule comes with its own hyperparameters."""
        kept = {name: value for name, value in self._settings.items() if "update" not in changes or name not in
                self.rule.settings}
        return Config(self.network, **{**kept, **changes})

    def __eq__(self, other) -> bool:
        return isinstance(other, Config) and (self.network, self.rule, self.to_dict()) == (other.network, other.rule,
                                                                                             other.to_dict())

    def __hash__(self) -> int:
        return hash((self.network, self.rule, tuple(self.to_dict().items())))

    def __repr__(self) -> str:
        net = "" if self.network is neuron else f"{self.network.name}, "
        return f"Config({net}{', '.join(f'{name}={value!r}' for name, value in self.to_dict().items())})"


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


def _leaf(name: str, value) -> float:
    """An input's, parameter's or constant's starting value: any moderate real number."""
    number = _number(name, value)
    if abs(number) > LIMIT:
        raise ValueError(f"{name} must be between -{LIMIT:g} and {LIMIT:g}, got {number!r}")
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


def _option(name: str, value, default):
    """A network's option, of its default's kind: an activation (by name, an operation, or a function of a value written
    with operations, softsign's n / (1 + abs(n))), a switch."""
    if isinstance(default, Op):
        if isinstance(value, Op) or callable(value) and not isinstance(value, type):
            return value
        if isinstance(value, str) and value in ACTIVATIONS:
            return ACTIVATIONS[value]
        raise ValueError(f"{name} must be one of {', '.join(ACTIVATIONS)}, got {excerpt(value)}")
    if isinstance(default, bool):
        if isinstance(value, str) and value.lower() in ("true", "false"):  # from the command line
            return value.lower() == "true"
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be True or False, got {excerpt(value)}")
        return value
    return _number(name, value)


def _warn_unreachable(config: Config) -> None:
    """Warn of a constant that the loss compares with a value an activation cannot reach: the target of tanh at 5."""
    graph = config.graph
    for node in graph.nodes:
        if node.op is not sub:
            continue
        for value, constant in (node.operands, node.operands[::-1]):
            made_by = value.op
            if constant.kind == "constant" and made_by is not None and made_by.reaches is not None:
                target = config._settings[constant.name]
                if not made_by.reaches(target):
                    warnings.warn(f"{constant.name}={target!r} is outside what {made_by.name} can output"
                                  f" ({made_by.range_text.format(value.name)}); the loss will approach but never reach 0",
                                  UnreachableTargetWarning, stacklevel=_caller())


def configs(base: Config | None = None, **settings) -> list[Config]:
    """One Config per run: each setting is one value or a sequence; sequences share one length."""
    base = base or Config()
    lengths = {name: len(v) for name, v in settings.items() if _is_sequence(v)}
    if len(set(lengths.values())) > 1:
        described = ", ".join(f"{name} has {length}" for name, length in lengths.items())
        raise ValueError(f"hyperparameter sequences must have the same length: {described}")
    runs = next(iter(lengths.values()), 1)
    if runs == 0:
        raise ValueError(f"hyperparameter sequences must not be empty: {', '.join(lengths)}")
    with warnings.catch_warnings():
        if not set(settings) & {*base.graph.constants, *base.network.options}:  # the base has said whether its targets
            warnings.simplefilter("ignore", UnreachableTargetWarning)  # are reachable, and none of them changes
        return [base.replace(**{name: v[i] if name in lengths else v for name, v in settings.items()})
                for i in range(runs)]


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
    """warnings.warn's stacklevel for the nearest caller outside hnn: the reader's own line that asked for the
    Config, in a notebook its cell."""
    inside = os.path.dirname(os.path.dirname(__file__)) + os.sep + "hnn" + os.sep
    frame, level = sys._getframe(1), 1
    while frame.f_back is not None and frame.f_code.co_filename.startswith(inside):
        frame, level = frame.f_back, level + 1
    return level
