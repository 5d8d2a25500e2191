"""The walkthrough log, in the original notebook's format (STEP 0-3 per epoch), with two corrections."""
from __future__ import annotations

from collections.abc import Iterator

from hnn.neuron import ACTIVATIONS
from hnn.trace import Epoch, Trace

CORRECTIONS = """\
Note: two corrections to the original notebook's log.
  - STEP 3 shows the value before the update on the right-hand side; the original printed the updated value there.
  - Final Output is the forward pass with the trained parameters; the original repeated the last epoch's values
    from before its update."""


def epoch_text(trace: Trace, e: Epoch) -> str:
    """One epoch's STEP 0-3 block, ending with a blank line, as the original printed it."""
    c = trace.config
    f = ACTIVATIONS[c.activation]
    title = f"EPOCH {e.epoch}"
    chain = f"(o - target) * {f.derivative_text}"
    lines = [
        title,
        "-" * len(title),
        "STEP 0: INITIAL VALUES",
        "  initial values:",
        f"    x1 = {c.x1}, x2 = {c.x2}",
        f"    w1 = {e.w1:.6f}, w2 = {e.w2:.6f}, b = {e.b:.6f}",
        "STEP 1: FORWARD PASS",
        "  forward pass:",
        f"    n = {e.n:.6f} (n = {c.x1}*{e.w1} + {c.x2}*{e.w2} + {e.b})",
        f"    o = {e.o:.6f} (o = {c.activation}({e.n}))",
        f"    loss = {e.loss:.6f} (Loss = 0.5 * ({e.o} - {c.target})^2)",
        "STEP 2: BACK PROPAGATION",
        "  gradients (calculated during backward pass):",
        f"    w1.grad = {e.grad.w1:.6f} (gradient of loss w.r.t w1: dL/dw1 = x1 * {chain})",
        f"    w2.grad = {e.grad.w2:.6f} (gradient of loss w.r.t w2: dL/dw2 = x2 * {chain})",
        f"    b.grad = {e.grad.b:.6f} (gradient of loss w.r.t b: dL/db = {chain})",
        "STEP 3: OPTIMIZATION / GRADIENT DESCENT",
    ]
    for name, before, after, grad in zip(("w1", "w2", "b"), e.params, e.updated, e.grad):
        lines.append(
            f"    updated {name} = {after:.6f} ({name} = {name} - lr * {name}.grad = {before} - {c.learning_rate} * {grad})"
        )
    lines += [
        "  updated parameters:",
        f"    w1 = {e.updated.w1:.6f}, w2 = {e.updated.w2:.6f}, b = {e.updated.b:.6f}",
        "",
    ]
    return "\n".join(lines) + "\n"


def final_text(trace: Trace) -> str:
    """The trained network's forward pass and parameters, then the note on the corrections."""
    c, f = trace.config, trace.final
    lines = [
        "Final Output:",
        f"  Final n = {f.n:.6f}",
        f"  Final o = {f.o:.6f} (o = {c.activation}({f.n}))",
        f"  Final Loss = {f.loss:.6f}",
    ]
    if trace.epochs:
        last = trace.epochs[-1]
        lines.append(
            f"  (the forward pass with the trained parameters; epoch {last.epoch}'s loss, before its update, was {last.loss:.6f})"
        )
    lines += [
        "Final Parameters:",
        f"  w1 = {f.w1:.6f}, w2 = {f.w2:.6f}, b = {f.b:.6f}",
        "",
        CORRECTIONS,
    ]
    return "\n".join(lines) + "\n"


def walkthrough(trace: Trace) -> str:
    """The whole log: every epoch, then the final output."""
    return "".join(walkthrough_pieces(trace))


def walkthrough_pieces(trace: Trace) -> Iterator[str]:
    """The log an epoch at a time, for a printer that writes it as it goes."""
    yield from (epoch_text(trace, e) for e in trace.epochs)
    yield final_text(trace)
