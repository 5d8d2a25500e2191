"""The stepper's frames: every sub-step of every shown epoch, precomputed from a Trace. Each frame says what the
sub-step computes, as formula = numbers = result, which values the diagram shows so far, and which boxes the
sub-step reads and writes; values the epoch has not computed yet stay blank."""
from __future__ import annotations

from hnn.neuron import INPUTS, PARAMETERS
from hnn.trace import Epoch, Trace
from hnn.views import diagram
from hnn.views.diagram import MINUS, Display, num

STEP0, STEP1, STEP2, STEP3 = ("STEP 0: INITIAL VALUES", "STEP 1: FORWARD PASS", "STEP 2: BACK PROPAGATION",
                              "STEP 3: OPTIMIZATION / GRADIENT DESCENT")
# Below the picture that stands in for the stepper where it cannot run: JupyterLab shows a widget only in a trusted
# notebook, and GitHub and nbviewer run none.
HOW_TO_STEP = ("To step through every frame, run this cell in JupyterLab (or trust the notebook), then use Previous,"
               " Next, Play or the keys \u2190 \u2192 Space.")
INTO_N = tuple(f"{name}-n" for name in ("x1", "w1", "x2", "w2", "b"))  # the edges into n
SLOPE_TEXT = {  # do/dn for each activation: (formula, how the numbers go in)
    "tanh": ("1 − o²", lambda e: f"1 − {num(e.o)}²"),
    "sigmoid": ("o · (1 − o)", lambda e: f"{num(e.o)} × (1 − {num(e.o)})"),
    "relu": ("1 if n > 0, else 0", lambda e: f"n = {num(e.n)} {'>' if e.n > 0 else '≤'} 0, so"),
}


def given(x: float) -> str:
    """A value as the config holds it (2.0, 0.01), with a true minus sign, as the walkthrough log prints inputs."""
    return repr(x).replace("-", MINUS)


def factor(x: float) -> str:
    """A number as a factor: negative ones in parentheses, so that 2.0 × (−3.000000) reads as a product."""
    text = num(x)
    return f"({text})" if text.startswith(MINUS) else text


def _epoch_frames(trace: Trace, e: Epoch) -> list[dict]:
    """The 15 sub-steps of one epoch, in the order the original notebook computes them."""
    c = trace.config
    shown = {"x1": num(c.x1), "x2": num(c.x2), "target": num(c.target), "w1": num(e.w1), "w2": num(e.w2), "b": num(e.b)}
    frames, lines = [], []

    def frame(step: str, line: str, computed: dict, read: tuple, write: tuple) -> None:
        nonlocal lines
        lines = [line] if not frames or frames[-1]["step"] != step else [*lines, line]
        shown.update(computed)
        frames.append({"epoch": e.epoch, "step": step, "lines": lines, "slots": dict(shown),
                       "read": list(read), "write": list(write)})

    frame(STEP0, f"x1 = {given(c.x1)}, x2 = {given(c.x2)}, target = {given(c.target)}, learning_rate = "
                 f"{given(c.learning_rate)}; w1 = {num(e.w1)}, w2 = {num(e.w2)}, b = {num(e.b)}",
          {}, read=(*INPUTS, *PARAMETERS, "target"), write=())
    frame(STEP1, f"n = x1·w1 + x2·w2 + b = {given(c.x1)} × {factor(e.w1)} + {given(c.x2)} × {factor(e.w2)} + "
                 f"{factor(e.b)} = {num(e.n)}", {"n": num(e.n)}, read=(*INPUTS, *PARAMETERS, *INTO_N), write=("n",))
    frame(STEP1, f"o = {c.activation}(n) = {c.activation}({num(e.n)}) = {num(e.o)}", {"o": num(e.o)},
          read=("n", "n-o"), write=("o",))
    frame(STEP1, f"L = ½(o − target)² = ½ × ({num(e.o)} − {given(c.target)})² = {num(e.loss)}", {"L": num(e.loss)},
          read=("o", "target", "o-L", "target-L"), write=("L",))
    frame(STEP2, f"dL/do = o − target = {num(e.o)} − {given(c.target)} = {num(e.grad.o)}", {"dL/do": num(e.grad.o)},
          read=("L", "o", "target"), write=("o",))
    formula, numbers = SLOPE_TEXT[c.activation]
    frame(STEP2, f"do/dn = {formula} = {numbers(e)} = {num(e.do_dn)}", {"do/dn": num(e.do_dn)},
          read=("o", "n"), write=("n-o",))
    frame(STEP2, f"dL/dn = dL/do · do/dn = {factor(e.grad.o)} × {factor(e.do_dn)} = {num(e.grad.n)}",
          {"dL/dn": num(e.grad.n)}, read=("o", "n-o"), write=("n",))
    for leaf, by, value in (("w1", "x1", given(c.x1)), ("w2", "x2", given(c.x2)), ("b", "1", "1"),
                            ("x1", "w1", factor(e.w1)), ("x2", "w2", factor(e.w2))):
        gradient = getattr(e.grad, leaf)
        frame(STEP2, f"dL/d{leaf} = {by} · dL/dn = {value} × {factor(e.grad.n)} = {num(gradient)}",
              {f"dL/d{leaf}": num(gradient)}, read=("n", f"{leaf}-n", *((by,) if by != "1" else ())), write=(leaf,))
    for p in PARAMETERS:
        before, gradient, after = getattr(e, p), getattr(e.grad, p), getattr(e.updated, p)
        frame(STEP3, f"new {p} = {p} − learning_rate · dL/d{p} = {num(before)} − {given(c.learning_rate)} × "
                     f"{factor(gradient)} = {num(after)}", {f"new {p}": num(after)}, read=(p,), write=(p,))
    return frames


def _trained_frame(trace: Trace) -> dict:
    """The trained network: its parameters and its forward pass, and how far the loss came down."""
    c, f = trace.config, trace.final
    before = trace.losses()[0]
    lines = [f"w1 = {num(f.w1)}, w2 = {num(f.w2)}, b = {num(f.b)}",
             f"n = {num(f.n)}, o = {c.activation}(n) = {num(f.o)}, L = {num(f.loss)} (before training: {num(before)})"]
    slots = {"x1": num(c.x1), "x2": num(c.x2), "target": num(c.target), "w1": num(f.w1), "w2": num(f.w2),
             "b": num(f.b), "n": num(f.n), "o": num(f.o), "L": num(f.loss)}
    return {"epoch": 0, "step": f"THE TRAINED NETWORK, after {len(trace.epochs)} epochs", "lines": lines,
            "slots": slots, "read": [], "write": list(diagram.STEPPER_ROWS)}


def frames(trace: Trace, display: Display) -> list[dict]:
    """Every sub-step of each epoch the display shows, then the trained network."""
    shown = display.shown(len(trace.epochs))
    return [frame for epoch in shown for frame in _epoch_frames(trace, trace.epoch(epoch))] + [_trained_frame(trace)]


def _blank_slots() -> dict[str, str]:
    """Every slot of the stepper's diagram, empty."""
    return {slot: "" for rows in diagram.STEPPER_ROWS.values() for _, slot in rows} | {diagram.SLOT: ""}


def template(trace: Trace, all_frames: list[dict]) -> str:
    """The stepper's diagram as tagged SVG, laid out around the widest text each slot shows in any frame."""
    slots = _blank_slots()
    for frame in all_frames:
        for slot, text in frame["slots"].items():
            slots[slot] = max(slots[slot], text, key=len)
    source = diagram.stepper(slots, trace.config.activation).source
    return diagram.tagged(diagram.render([source], "svg")[0].decode())


def picture(trace: Trace, frame: dict) -> str:
    """One frame as an SVG, for where the stepper cannot run (an untrusted notebook, GitHub, nbviewer): the slots it
    shows filled in, the others blank, and below it the line on how to step."""
    source = diagram.stepper(_blank_slots() | frame["slots"], trace.config.activation, caption=HOW_TO_STEP).source
    return diagram.render([source], "svg")[0].decode()
