"""What a training run leaves behind: every number of every epoch, by name, and the trained network's forward pass."""
from __future__ import annotations

import functools
import json
from array import array
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from hnn.config import Config
from hnn.graph import Graph
from hnn.ops import Value
from hnn.rules import Rule


class Named(Mapping):
    """Numbers by name, read as a mapping or as attributes: e.grad["w1"] is e.grad.w1."""

    __slots__ = ("_numbers",)

    def __init__(self, numbers: dict[str, float]):
        object.__setattr__(self, "_numbers", numbers)

    def __getitem__(self, name: str) -> float:
        return self._numbers[name]

    def __iter__(self):
        return iter(self._numbers)

    def __len__(self) -> int:
        return len(self._numbers)

    def __getattr__(self, name: str) -> float:
        try:
            return object.__getattribute__(self, "_numbers")[name]
        except KeyError:
            raise AttributeError(name) from None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._numbers})"


class State(Named):
    """The network's values at one moment: its leaves and what it computed from them, the loss also as .loss."""

    __slots__ = ("_loss",)

    def __init__(self, numbers: dict[str, float], loss: str):
        super().__init__(numbers)
        object.__setattr__(self, "_loss", loss)

    @property
    def loss(self) -> float:
        return self._numbers[self._loss]


@dataclass(frozen=True, slots=True)
class Epoch:
    """One epoch: the values it started from and computed, its gradients three ways, and the step it took."""

    epoch: int  # 1-based, as the walkthrough counts
    values: State  # the leaves (the parameters before the update) and every value the forward pass computed
    grad: Named  # dL/d(value) from torch autograd: what the update uses
    hand: Named  # the same by backpropagation with each operation's local derivative
    fd: Named  # the same from central finite differences
    local: Named  # the local derivatives a reader meets on their own, do/dn = 1 − o²
    terms: Named  # where paths meet, each one's part of the gradient: dL/dh1 via no1
    updated: Named  # the parameters after the update

    def __getattr__(self, name: str) -> float:  # e.n, e.w1, e.loss: the epoch's values
        return getattr(self.values, name)


def columns(graph: Graph, rule: Rule) -> dict[str, tuple[str, ...]]:
    """What a run records of each epoch, as the names of its columns, in groups: the parameters before the update and
    the computed values, the update rule's state before the update, the gradients three ways, the local derivatives
    shown on their own, the parameters and the state after, and the values the network did not name (for the
    computation graph; their gradients are among the hand ones)."""
    state = [f"{s}_{p}" for p in graph.parameters for s in rule.state]
    return {
        "values": (*graph.parameters, *graph.named),
        "state": tuple(state),
        "grad": tuple(f"dL/d{name}" for name in graph.graded),
        "hand": tuple(f"hand dL/d{name}" for name in (*graph.graded, *graph.unnamed)),
        "fd": tuple(f"fd dL/d{name}" for name in graph.graded),
        "local": tuple(graph.locals),
        "terms": tuple(graph.terms),
        "updated": tuple(f"new {name}" for name in (*graph.parameters, *state)),
        "unnamed": tuple(graph.unnamed),
    }


@dataclass(frozen=True, repr=False)
class Epochs(Sequence):
    """Every epoch of a run, kept as columns: one array of float64 per recorded number, 8 bytes an epoch each (an
    object per epoch would take kilobytes); an epoch read is built as an Epoch."""

    config: Config
    table: dict[str, array]  # column name → one number per epoch

    @functools.cached_property
    def _groups(self) -> dict[str, tuple[str, ...]]:
        return columns(self.config.graph, self.config.rule)

    def __len__(self) -> int:
        return len(self.table[self.config.graph.loss.name])

    def __getitem__(self, k):
        if isinstance(k, slice):
            return tuple(self[i] for i in range(len(self))[k])
        i = range(len(self))[k]  # from the end when negative, IndexError out of range: as a tuple indexes
        groups = self._groups
        at = lambda names, prefix="": Named({n.removeprefix(prefix): self.table[n][i] for n in names})  # noqa: E731
        kept = (*groups["values"], *groups["state"], *groups["unnamed"])
        values = State({**self.config.leaves, **{n: self.table[n][i] for n in kept}}, self.config.graph.loss.name)
        return Epoch(i + 1, values, at(groups["grad"], "dL/d"), at(groups["hand"], "hand dL/d"),
                     at(groups["fd"], "fd dL/d"), at(groups["local"]), at(groups["terms"]), at(groups["updated"], "new "))

    def __repr__(self) -> str:
        return f"<{len(self)} epochs>"


@dataclass(frozen=True)
class Run:
    """A run that kept only its outcome, its config and the trained network's forward pass: what a plot of many runs'
    final losses needs."""

    config: Config
    final: State


@dataclass(frozen=True)
class Trace:
    """A whole run: its config, every epoch, and the forward pass of the trained network."""

    config: Config
    epochs: Epochs
    final: State

    @property
    def graph(self) -> Graph:
        return self.config.graph

    def epoch(self, k: int) -> Epoch:
        """Epoch k, counted from 1 as the walkthrough prints it."""
        if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= len(self.epochs):
            if not self.epochs:
                raise ValueError(f"epoch {k!r} does not exist: this run trained no epoch (epochs = 0)")
            raise ValueError(f"epoch must be a whole number from 1 to {len(self.epochs)}, got {k!r}")
        return self.epochs[k - 1]

    def state(self, k: int) -> State:
        """What diagram ae{k} shows (0-based): the network before epoch k + 1, or after the last one."""
        return self.final if k == len(self.epochs) else self.epochs[k].values

    def step(self, parameter: str, values: Mapping, grad: Mapping, updated: Mapping) -> tuple[dict[str, Value], dict]:
        """The update rule written for one parameter (its state first, "new v_w1", then "new w1"), and the numbers an
        epoch put in each of its values: the parameter, its gradient, the state before and after, the settings."""
        computed, leaves = self.config.rule.formulas(parameter)
        settings = {"learning_rate": self.config.learning_rate, **self.config.rule_settings}
        numbers = {leaf: (values[name] if leaf.kind in ("parameter", "state") else
                          grad[parameter] if leaf.kind == "gradient" else settings[name]) for name, leaf in leaves.items()}
        numbers.update({value: updated[name.removeprefix("new ")] for name, value in computed.items()})
        return computed, numbers

    def series(self, name: str) -> list[float]:
        """A value before each epoch's update, then the trained network's: one per state, ae0 … aeN."""
        column = self.epochs.table.get(name)
        before = column.tolist() if column is not None else [self.config.leaves[name]] * len(self.epochs)
        return before + [self.final[name]]

    def losses(self) -> list[float]:
        """The loss before each epoch's update, then the trained network's."""
        return self.series(self.graph.loss.name)

    def to_json(self) -> str:
        """Full-precision JSON (Python's float repr round-trips every float64 exactly), as json.dumps(indent=2) writes
        it; the hand and finite-difference checks stay internal."""
        return "".join(self.iter_json())

    def iter_json(self) -> Iterator[str]:
        """to_json's text in pieces, an epoch at a time, so that 100 000 epochs are printed without one huge string."""
        nested = lambda value: json.dumps(value, indent=2).replace("\n", "\n  ")  # noqa: E731  one level in
        yield f'{{\n  "config": {nested(self.config.to_dict())},\n  "epochs": ['
        for k, e in enumerate(self.epochs):
            yield ("," if k else "") + "\n    " + json.dumps(self._epoch_dict(e), indent=2).replace("\n", "\n    ")
        close = "\n  " if self.epochs else ""  # json.dumps writes an empty list as []
        yield f'{close}],\n  "final": {nested(self._state_dict(self.final))}\n}}'

    def _state_dict(self, state: State) -> dict:
        """The parameters and the computed values, the loss by that name, whatever the network calls it."""
        graph = self.graph
        return {("loss" if name == graph.loss.name else name): state[name] for name in (*graph.parameters, *graph.named)}

    def _epoch_dict(self, e: Epoch) -> dict:
        """One epoch as `hnn run --json` shows it."""
        return {"epoch": e.epoch, **self._state_dict(e.values), "grad": dict(e.grad), "updated": dict(e.updated)}
