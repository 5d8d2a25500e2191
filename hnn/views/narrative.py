"""The walkthrough's worked examples as Markdown, written from a run's own trace: the forward pass, the chain rule and
the step with its numbers, and the one-line descriptions (alt text) of its diagrams and figures."""
from __future__ import annotations

from hnn.trace import Trace

# Per activation: o as a formula, o at a number, what it does to n, do/dn as a formula, do/dn with o (or n) written
# in, and the same with the numbers written in.
ACTIVATIONS = {
    "tanh": (r"\tanh(n)", r"\tanh({n})", "squashes it into $(-1, 1)$",
             r"\frac{d}{dn}\tanh(n) = 1 - \tanh^2(n) = 1 - o^2", "(1 - o^2)", "1 - {o}^2"),
    "sigmoid": (r"\sigma(n) = \frac{1}{1 + e^{-n}}", r"\sigma({n})", "squashes it into $(0, 1)$",
                r"\frac{d}{dn}\sigma(n) = \sigma(n)\,(1 - \sigma(n)) = o\,(1 - o)", r"o\,(1 - o)", r"{o}\,(1 - {o})"),
    "relu": (r"\max(0, n)", r"\max(0, {n})", "keeps a positive $n$ and turns a negative one into $0$",
             r"\frac{d}{dn}\max(0, n) = 1 \text{ for } n > 0 \text{, else } 0", "[n > 0]", "[{n} > 0]"),
}
NAMES = {"w1": "w_1", "w2": "w_2", "b": "b", "x1": "x_1", "x2": "x_2"}


def v(x: float) -> str:
    """A number as the narrative writes it: six significant digits, no sign on zero."""
    return f"{x + 0.0:.6g}"


def f(x: float) -> str:
    """A number as a factor in a product: a negative one in parentheses, 2 · (−3) rather than 2 · −3."""
    return f"({v(x)})" if v(x).startswith("-") else v(x)


def first(trace: Trace):
    """What the worked examples use: epoch 1, or with epochs = 0 the untrained network's forward pass."""
    return trace.epochs[0] if trace.epochs else trace.final


def forward(trace: Trace) -> str:
    """The neuron's formulas for this activation, then its forward pass and loss with the starting values."""
    c, s = trace.config, first(trace)
    o, at, squashes, *_ = ACTIVATIONS[c.activation]
    return (
        f"$$n = x_1 w_1 + x_2 w_2 + b, \\qquad o = {o}.$$\n\n"
        f"The weighted sum $n$ can be any number; the activation, {c.activation}, {squashes}. "
        f"With the starting values, $n = {v(c.x1)} \\cdot {f(c.w1)} + {v(c.x2)} \\cdot {f(c.w2)} + {v(c.b)} = {v(s.n)}$"
        f" and $o = {at.format(n=v(s.n))} = {v(s.o)}$.\n\n"
        f"The target is $t = {v(c.target)}$, so the starting loss is"
        f" $L = \\tfrac{{1}}{{2}}({v(s.o)} - {f(c.target)})^2 = {v(s.loss)}$."
    )


def backward(trace: Trace) -> str:
    """The chain rule with this activation's derivative, epoch 1's factors, and what happens to w2."""
    c = trace.config
    *_, derivative, slope, numbers = ACTIVATIONS[c.activation]
    lines = [
        "$$\\frac{\\partial L}{\\partial w_1} = (o - t)\\cdot " + slope + "\\cdot x_1, \\qquad"
        " \\frac{\\partial L}{\\partial w_2} = (o - t)\\cdot " + slope + "\\cdot x_2, \\qquad"
        " \\frac{\\partial L}{\\partial b} = (o - t)\\cdot " + slope + "\\cdot 1$$",
        "",
        f"using ${derivative}$. The inputs get gradients too, "
        f"$\\frac{{\\partial L}}{{\\partial x_1}} = (o - t)\\cdot {slope}\\cdot w_1$, although training never changes them.",
        "",
    ]
    if not trace.epochs:
        lines.append("With `epochs = 0` no epoch runs, so no gradient is computed and no parameter moves.")
        return "\n".join(lines)
    e = trace.epochs[0]
    lines += [
        f"In epoch 1: $\\frac{{\\partial L}}{{\\partial o}} = o - t = {v(e.o)} - {f(c.target)} = {v(e.grad.o)}$,"
        f" $\\frac{{do}}{{dn}} = {numbers.format(o=f(e.o), n=v(e.n))} = {v(e.do_dn)}$,"
        f" so $\\frac{{\\partial L}}{{\\partial n}} = {f(e.grad.o)} \\cdot {f(e.do_dn)}"
        f" = {v(e.grad.n)}$ and $\\frac{{\\partial L}}{{\\partial w_1}} = {f(e.grad.n)} \\cdot {f(c.x1)} = {v(e.grad.w1)}$,"
        f" $\\frac{{\\partial L}}{{\\partial b}} = {v(e.grad.b)}$.",
        "",
        _w2(trace),
    ]
    return "\n".join(lines)


def _w2(trace: Trace) -> str:
    """Why w2 stays where it is (x2 = 0), or how it learns, in this run."""
    c, e = trace.config, trace.epochs[0]
    if c.x2 == 0:
        return ("**Why $w_2$ never moves:** $\\frac{\\partial L}{\\partial w_2}$ has the factor $x_2$, and here $x_2 = 0$."
                " An input that is zero contributes nothing to $n$, so its weight cannot affect the loss, and its gradient"
                " is exactly 0. Set `x2` to something else in the Parameters cell and watch $w_2$ start to learn.")
    text = (f"**How $w_2$ learns:** $\\frac{{\\partial L}}{{\\partial w_2}} = \\frac{{\\partial L}}{{\\partial n}} \\cdot x_2"
            f" = {f(e.grad.n)} \\cdot {f(c.x2)} = {v(e.grad.w2)}$ in epoch 1: with $x_2 = {v(c.x2)}$, $w_2$ moves"
            f" from ${v(c.w2)}$ to ${v(trace.final.w2)}$ over the run.")
    if c.x2 == 1:
        text += (" With $x_2 = 1$ its gradient equals $\\frac{\\partial L}{\\partial b}$ in every epoch, so $w_2$ and $b$"
                 " take exactly the same steps: in the parameter plot their lines coincide, $w_2$'s dashed over $b$'s.")
    return text


def step(trace: Trace) -> str:
    """Epoch 1's gradient descent step for each parameter, with its numbers."""
    c = trace.config
    if not trace.epochs:
        return f"With `epochs = 0` no step is taken: the parameters stay at $w_1 = {v(c.w1)}$, $w_2 = {v(c.w2)}$, $b = {v(c.b)}$."
    e = trace.epochs[0]
    steps = " \\\\ ".join(  # one line each: side by side they run past a laptop's width
        f"{NAMES[name]} &\\leftarrow {v(before)} - {v(c.learning_rate)} \\cdot {f(grad)} = {v(after)}"
        for name, before, grad, after in zip(("w1", "w2", "b"), e.params, e.grad, e.updated)
    )
    return f"In epoch 1, with $\\eta = {v(c.learning_rate)}$:\n\n$$\\begin{{aligned}} {steps} \\end{{aligned}}$$"


def corrections(trace: Trace) -> str:
    """The two places where the log differs from the original notebook's, with this run's numbers."""
    c = trace.config
    if not trace.epochs:
        return ("With `epochs = 0` there is no STEP 3, and the final output is the forward pass of the starting"
                f" parameters: loss ${v(trace.final.loss)}$.")
    e, last = trace.epochs[0], trace.epochs[-1]
    return (
        "1. **STEP 3** shows the value *before* the update on the right-hand side, so the line reads as the"
        f" calculation it is: `w1 = w1 - lr * w1.grad = {e.w1} - {c.learning_rate} * {e.grad.w1}`."
        " The original printed the already-updated value there.\n"
        "2. **Final Output** is the forward pass of the *trained* parameters. The original printed the last epoch's"
        f" values from *before* its update (loss ${v(last.loss)}$), " + (
            f"which is not the loss of the network training produced (${v(trace.final.loss)}$)."
            if last.loss != trace.final.loss else "which here is also the trained network's: the last step changed nothing."
        )
    )


PASSAGES = {"forward": forward, "backward": backward, "step": step, "corrections": corrections}


def diagram_alt(trace: Trace, k: int, view: str) -> str:
    """What diagram ae{k} shows, in one sentence with its numbers, for a reader who cannot see it."""
    c = trace.config
    drawing = "Network diagram" if view == "network" else "Computation graph"
    if k < len(trace.epochs):
        e = trace.epochs[k]
        steps = "; ".join(f"{name} {v(before)}, gradient {v(grad)}, new {v(after)}"
                          for name, before, grad, after in zip(("w1", "w2", "b"), e.params, e.grad, e.updated))
        return (f"{drawing} ae{k}, before epoch {k + 1}: inputs x1 {v(c.x1)}, x2 {v(c.x2)}; {steps};"
                f" n {v(e.n)}, o = {c.activation}(n) {v(e.o)}, target {v(c.target)}, loss {v(e.loss)}.")
    s = trace.final
    return (f"{drawing} ae{k}, the {'trained' if trace.epochs else 'untrained'} network: inputs x1 {v(c.x1)},"
            f" x2 {v(c.x2)}; w1 {v(s.w1)}, w2 {v(s.w2)}, b {v(s.b)}; n {v(s.n)}, o = {c.activation}(n) {v(s.o)},"
            f" target {v(c.target)}, loss {v(s.loss)}.")
