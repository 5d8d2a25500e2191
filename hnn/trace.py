"""What a training run leaves behind: one record per epoch and the trained network's forward pass."""
from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

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
    do_dn: float  # the activation's slope at n, from autograd: the factor every gradient shares
    grad: Grads  # dL/d(value) from torch autograd: what the update uses
    hand: Grads  # the same from the hand-derived chain rule
    fd: Grads  # the same from central finite differences
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


@dataclass(frozen=True)
class Trace:
    """A whole run: its config, every epoch, and the final forward pass."""

    config: Config
    epochs: tuple[Epoch, ...]
    final: Final

    def epoch(self, k: int) -> Epoch:
        """Epoch k, counted from 1 as the walkthrough prints it."""
        if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= len(self.epochs):
            if not self.epochs:
                raise ValueError(f"epoch {k!r} does not exist: this run trained no epoch (epochs = 0)")
            raise ValueError(f"epoch must be a whole number from 1 to {len(self.epochs)}, got {k!r}")
        return self.epochs[k - 1]

    def states(self) -> list[Params]:
        """The parameters before each epoch and after the last: what diagrams ae0 … aeN show (0-based, as k in aek)."""
        return [e.params for e in self.epochs] + [self.final.params]

    def losses(self) -> list[float]:
        """The loss before each epoch's update, then the trained network's: one per state, as states() lists them."""
        return [e.loss for e in self.epochs] + [self.final.loss]

    def to_json(self) -> str:
        """Full-precision JSON (Python's float repr round-trips every float64 exactly), as json.dumps(indent=2) writes
        it; the hand and finite-difference checks stay internal."""
        return "".join(self.iter_json())

    def iter_json(self) -> Iterator[str]:
        """to_json's text in pieces, an epoch at a time, so that 100 000 epochs are printed without one huge string."""
        nested = lambda value: json.dumps(value, indent=2).replace("\n", "\n  ")  # noqa: E731  one level in
        yield f'{{\n  "config": {nested(self.config.to_dict())},\n  "epochs": ['
        for k, e in enumerate(self.epochs):
            yield ("," if k else "") + "\n    " + json.dumps(_epoch_dict(e), indent=2).replace("\n", "\n    ")
        close = "\n  " if self.epochs else ""  # json.dumps writes an empty list as []
        yield f'{close}],\n  "final": {nested(dataclasses.asdict(self.final))}\n}}'


def _epoch_dict(e: Epoch) -> dict:
    """One epoch as `hnn run --json` shows it."""
    return {
        "epoch": e.epoch, "w1": e.w1, "w2": e.w2, "b": e.b, "n": e.n, "o": e.o, "loss": e.loss,
        "grad": e.grad._asdict(), "updated": e.updated._asdict(),
    }
