"""What a training run leaves behind: one record per epoch and the trained network's forward pass."""
from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import torch

from hnn.config import Config
from hnn.neuron import Grads


class Params(NamedTuple):
    """The trainable parameters."""

    w1: float
    w2: float
    b: float


@dataclass(frozen=True, slots=True)
class Epoch:
    """One epoch: the parameters it started from, its forward pass, its gradients and the step it took."""

    epoch: int  # 1-based, as the walkthrough counts
    w1: float  # parameters before the update
    w2: float
    b: float
    n: float  # forward pass
    o: float
    loss: float
    grad: Grads  # from torch autograd: what the update uses
    hand: Grads  # from the hand-derived chain rule
    fd: Grads  # from central finite differences
    updated: Params  # parameters after the update

    @property
    def params(self) -> Params:
        return Params(self.w1, self.w2, self.b)


@dataclass(frozen=True, slots=True)
class Final:
    """The forward pass of the trained parameters."""

    w1: float
    w2: float
    b: float
    n: float
    o: float
    loss: float

    @property
    def params(self) -> Params:
        return Params(self.w1, self.w2, self.b)


class Run(NamedTuple):
    """A run that kept only its outcome: what a plot of many runs' final losses needs."""

    config: Config
    final: Final


class Epochs(Sequence):
    """One run's epoch records, made from the batch's tensors on first use (a learning-rate sweep reads only finals)."""

    def __init__(self, rows: torch.Tensor, checks: torch.Tensor):
        self._rows = rows  # per epoch: w1 w2 b n o loss, autograd dL/d(w1 w2 b x1 x2), updated w1 w2 b
        self._checks = checks  # per epoch: hand-derived then finite-difference dL/d(w1 w2 b x1 x2)

    @functools.cached_property
    def _records(self) -> tuple[Epoch, ...]:
        return tuple(
            Epoch(k + 1, *row[:6], Grads(*row[6:11]), Grads(*check[:5]), Grads(*check[5:]), Params(*row[11:]))
            for k, (row, check) in enumerate(zip(self._rows.tolist(), self._checks.tolist()))
        )

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, index):
        return self._records[index]


@dataclass(frozen=True)
class Trace:
    """A whole run: its config, every epoch, and the final forward pass."""

    config: Config
    epochs: Epochs
    final: Final

    def states(self) -> list[Params]:
        """The parameters before each epoch and after the last: what diagrams ae0 … aeN show."""
        return [e.params for e in self.epochs] + [self.final.params]

    def to_dict(self) -> dict:
        """The JSON shape `hnn run --json` prints; the hand and finite-difference checks stay internal."""
        return {
            "config": self.config.to_dict(),
            "epochs": [
                {
                    "epoch": e.epoch,
                    "w1": e.w1,
                    "w2": e.w2,
                    "b": e.b,
                    "n": e.n,
                    "o": e.o,
                    "loss": e.loss,
                    "grad": e.grad._asdict(),
                    "updated": e.updated._asdict(),
                }
                for e in self.epochs
            ],
            "final": dataclasses.asdict(self.final),
        }

    def to_json(self) -> str:
        """Full-precision JSON (Python's float repr round-trips every float64 exactly)."""
        return json.dumps(self.to_dict(), indent=2)
