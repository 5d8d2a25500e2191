"""Why a run trains badly, read off its trace: the loss already 0, an activation in its dead zone or saturated, a
learning rate that overshoots."""
from __future__ import annotations

from hnn.trace import Trace
from hnn.views.diagram import neurons
from hnn.views.plots import outputs

SATURATED = 0.01  # a slope below this shrinks every gradient through it 100-fold: tanh beyond |n| ≈ 3, sigmoid beyond 4.6
ROUNDING = 1e-12  # a loss that stalls may wobble by a few float64 ulps; only a larger rise is an overshoot


def diagnose(trace: Trace) -> list[str]:
    """One line per kind of trouble (and neuron), at the first epoch that shows it, in epoch order; none for a smooth
    run."""
    graph = trace.graph
    notes = {}  # kind → (epoch, line), for the first epoch of each kind
    for e in trace.epochs:
        if e.loss == 0:  # every output equals its target, so every gradient is 0 too
            equal = " and ".join(f"{output} = {target}" for output, target in outputs(graph))
            notes.setdefault("reached", (e.epoch, f"Note: at epoch {e.epoch}, the loss is 0 ({equal}), so every gradient"
                                                  " is 0 and the parameters stop changing."))
            continue
        pairs = neurons(graph)
        for n, o in pairs.items():
            slope = e.local.get(f"d{o.name}/d{n.name}")
            if slope is None or slope >= SATURATED:
                continue
            through = "" if len(pairs) == 1 else f" through {o.name}"  # one neuron: every gradient goes through it
            before = "" if len(pairs) == 1 else " before it"
            if slope == 0:  # relu left of 0: nothing passes, now or later
                what = (f"{n.name} = {e.values[n.name]:.6f}: {o.op.name}'s slope there is 0 (the dead zone), so every"
                        f" gradient{through} is 0 and the parameters{before} never change again")
            else:
                what = (f"{n.name} = {e.values[n.name]:.6f}: {o.op.name} is saturated there (d{o.name}/d{n.name} ="
                        f" {slope:.1e}), so every gradient{through} is tiny and the parameters{before} barely move")
            notes.setdefault(("slope", o.name), (e.epoch, f"Note: at epoch {e.epoch}, {what}."))
    losses = trace.losses()
    rose = next((k for k in range(1, len(losses)) if losses[k] > losses[k - 1] * (1 + ROUNDING)), None)
    if rose is not None:
        why = (" the learning rate is so large that the step overshoots; try a smaller one" if
               trace.config.rule.name == "gradient_descent" else f" the update rule {trace.config.rule.name} stepped"
               " uphill, or past the lowest point")
        notes["rose"] = (rose, f"Note: epoch {rose}'s step raised the loss from {losses[rose - 1]:.6f} to"
                               f" {losses[rose]:.6f}:{why}.")
    return [line for _, line in sorted(notes.values(), key=lambda note: note[0])]  # by epoch
