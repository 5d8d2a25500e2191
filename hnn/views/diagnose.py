"""Why a run trains badly, read off its trace: the target already reached, relu's dead zone, a saturated
activation, a learning rate that overshoots."""
from __future__ import annotations

from hnn.trace import Trace

SATURATED = 0.01  # do/dn below this shrinks every gradient 100-fold: tanh beyond |n| ≈ 3, sigmoid beyond |n| ≈ 4.6
ROUNDING = 1e-12  # a loss that stalls may wobble by a few float64 ulps; only a larger rise is an overshoot


def diagnose(trace: Trace) -> list[str]:
    """One line per kind of trouble, at the first epoch that shows it, in epoch order; none for a smooth run."""
    c = trace.config
    notes = {}  # kind → (epoch, line), for the first epoch of each kind
    for e in trace.epochs:
        if e.loss == 0:  # o = target, so every gradient is 0 too
            kind, what = "target", "o equals the target, so the loss and every gradient are 0 and the parameters stop changing"
        else:
            if e.do_dn >= SATURATED:
                continue
            if c.activation == "relu":  # its slope is 1 or 0, so a small one means n ≤ 0
                kind, what = "dead", (f"n = {e.n:.6f} ≤ 0: relu outputs 0 and its slope there is 0 (the dead zone),"
                                      " so every gradient is 0 and the parameters never change again")
            else:
                kind, what = "saturated", (f"n = {e.n:.6f}: {c.activation} is saturated there (do/dn = {e.do_dn:.1e}),"
                                           " so every gradient is tiny and the parameters barely move")
        notes.setdefault(kind, (e.epoch, f"Note: at epoch {e.epoch}, {what}."))
    losses = trace.losses()
    rose = next((k for k in range(1, len(losses)) if losses[k] > losses[k - 1] * (1 + ROUNDING)), None)
    if rose is not None:
        notes["rose"] = (rose, f"Note: epoch {rose}'s step raised the loss from {losses[rose - 1]:.6f} to {losses[rose]:.6f}:"
                               " the learning rate is so large that the step overshoots; try a smaller one.")
    return [line for _, line in sorted(notes.values(), key=lambda note: note[0])]  # by epoch
