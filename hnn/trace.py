"""What a training run leaves behind: one record per epoch and the trained network's forward pass."""
from __future__ import annotations

import dataclasses
import json
from array import array
from collections.abc import Iterator, Sequence
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


@dataclass(frozen=True, repr=False)
class Epochs(Sequence):
    """Every epoch of a run, kept as columns: Epoch's fields, each an array of float64 with one number per epoch
    (31 numbers, 248 bytes an epoch, where one Epoch object takes 2.5 kB); an epoch read is built as an Epoch."""

    w1: array
    w2: array
    b: array
    n: array
    o: array
    loss: array
    do_dn: array
    grad: Grads  # each of its fields an array, as are hand's, fd's and updated's
    hand: Grads
    fd: Grads
    updated: Params

    def __len__(self) -> int:
        return len(self.loss)

    def __getitem__(self, k):
        if isinstance(k, slice):
            return tuple(self[i] for i in range(len(self))[k])
        i = range(len(self))[k]  # from the end when negative, IndexError out of range: as a tuple indexes
        at = lambda columns: [column[i] for column in columns]  # noqa: E731  epoch i of each
        return Epoch(i + 1, self.w1[i], self.w2[i], self.b[i], self.n[i], self.o[i], self.loss[i], self.do_dn[i],
                     grad=Grads(*at(self.grad)), hand=Grads(*at(self.hand)), fd=Grads(*at(self.fd)),
                     updated=Params(*at(self.updated)))

    def __repr__(self) -> str:
        return f"<{len(self)} epochs>"


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
    epochs: Epochs
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
        e = self.epochs
        return [Params(*p) for p in zip(e.w1, e.w2, e.b)] + [self.final.params]

    def losses(self) -> list[float]:
        """The loss before each epoch's update, then the trained network's: one per state, as states() lists them."""
        return self.epochs.loss.tolist() + [self.final.loss]

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
