"""The operations a network is written with. Each is defined once, here: its forward pass on float64 tensors, its
local derivative derived by hand, and how it is written. A local derivative is itself written with these
operations, so it can be computed on tensors (backpropagation by hand) and written for a reader (the views)."""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape

import torch


class NetworkError(ValueError):
    """A network written with something hnn cannot follow: said in one line, never as a traceback."""

    def _render_traceback_(self):  # IPython prints these lines in place of the traceback
        return [f"{type(self).__name__}: {self}"]


class Value:
    """A node of a network's graph: a leaf (input, parameter or constant), a literal number, or an operation applied to
    other values. Arithmetic on values builds the graph, as in micrograd, but computes nothing: training evaluates the
    graph on tensors."""

    __slots__ = ("op", "operands", "name", "kind", "number", "symbol")

    def __init__(self, op: Op | None = None, operands: tuple = (), name: str | None = None, kind: str = "value",
                 number: float | None = None, symbol: str | None = None):
        self.op = op  # the operation that computes it; None for a leaf or a literal
        self.operands = operands  # the values it is computed from
        self.name = name  # the name the network gave it (x1, n, L), or None
        self.kind = kind  # input, parameter, constant, hyperparameter, gradient, literal, or value (computed)
        self.number = number  # a literal's number
        self.symbol = symbol  # how LaTeX writes its name, where the usual rule (x1 → x_1) does not fit: target → t

    def __add__(self, other):
        return add(self, other)

    def __radd__(self, other):
        return add(other, self)

    def __sub__(self, other):
        return sub(self, other)

    def __rsub__(self, other):
        return sub(other, self)

    def __mul__(self, other):
        return mul(self, other)

    def __rmul__(self, other):
        return mul(other, self)

    def __truediv__(self, other):
        return div(self, other)

    def __rtruediv__(self, other):
        return div(other, self)

    def __pow__(self, exponent):
        return power(self, exponent)

    def __neg__(self):
        return neg(self)

    def __abs__(self):
        return absolute(self)

    # A value has no number while the network is written, only while it trains: each way of asking for one is a slip
    # that would otherwise compute something else, or fail deep inside torch. (hnn.graph says on which line.)
    def __bool__(self):
        raise NetworkError("an `if`, `and`, `or` or comparison cannot depend on a value of the network: it has no number"
                           " while the network is written, and a new one every epoch; relu and step choose by sign")

    def __lt__(self, other):
        self.__bool__()

    __le__ = __gt__ = __ge__ = __lt__

    def __float__(self):
        raise NetworkError("a value of the network is not a number: math's functions, float() and numpy cannot take it;"
                           f" write it with hnn's operations: {', '.join(OPERATIONS)}")

    __int__ = __index__ = __complex__ = __float__

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):  # numpy asks the value before it tries anything
        self.__float__()

    def __iter__(self):
        raise NetworkError("a value of the network is one value, not a sequence of them")

    def __repr__(self) -> str:
        return self.name or (f"<{self.op.name} of {', '.join(map(repr, self.operands))}>" if self.op else
                             repr(self.number))

    __hash__ = object.__hash__  # values are told apart by identity: == is not an operation a network can use


def literal(x) -> Value:
    """A number written in the network (the 0.5 of ½(o − t)², the 2 of a square) as a value."""
    if isinstance(x, Value):
        return x
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        raise NetworkError(f"a network can combine its values with numbers (int or float), not with {x!r}")
    return Value(kind="literal", number=x)


@dataclass(frozen=True, eq=False)
class Op:
    """An operation: forward(*operands) on tensors, local(*operands, out) the derivative of out with respect to each
    operand (a tuple, or one value for one operand) written with operations, and its templates per style."""

    name: str  # how the computation graph and the messages call it
    forward: Callable  # its value, from its operands' (float64 tensors, or numbers)
    local: Callable  # d out / d operand for each operand, derived by hand, in terms of the operands and out
    text: str | Callable | None = None  # plain text, {0} {1} for the operands written: "tanh({0})"; default name({0})
    latex: str | None = None  # LaTeX: r"\tanh({0})"
    code: str | None = None  # the walkthrough log's ASCII, as the original notebook printed it: "tanh({0})"
    numbers: str | None = None  # plain text with numbers for the operands, where it differs from text: "{0} × {1}"
    precedence: int = 9  # how tightly it binds, for parentheses: 9, a function, tanh(n), whose operands need none
    activation: bool = False  # a network's activation option chooses among these
    reaches: Callable | None = None  # whether an activation can output this target exactly
    range_text: str = ""  # what it can output, with {0} for its value: "-1 < {0} < 1"
    says: str = ""  # what it does to its operand, for the narrative: "squashes it into $(-1, 1)$"
    latex_slope: str = ""  # its derivative written with the operand, for the narrative: r"1 - \tanh^2({0})"
    definition: Callable | None = None  # how to compute it with exp and arithmetic, for a worksheet: n ↦ 1 / (1 + exp(−n))
    latex_numbers: str | Callable | None = None  # LaTeX with numbers, where it differs from latex
    html: str | None = None  # Graphviz's HTML-like labels, where they differ from the text escaped: e<SUP>{0}</SUP>
    templates: dict = field(init=False, repr=False)  # style → template, after the defaults

    def __post_init__(self):
        text = self.text or f"{self.name}({{0}})"
        latex = self.latex or rf"\operatorname{{{{{self.name}}}}}({{0}})"  # braces doubled: a template
        object.__setattr__(self, "templates", {
            "text": text, "numbers": self.numbers or text, "latex": latex, "latex numbers": self.latex_numbers or latex,
            "code": self.code or (text.replace("−", "-") if isinstance(text, str) else text),
            "html": self.html or (escape(text) if isinstance(text, str) else text),
        })

    def __call__(self, *operands):
        """On values, a node of the graph; on numbers or tensors, the operation itself."""
        if any(isinstance(x, Value) for x in operands):
            return Value(self, tuple(literal(x) for x in operands))
        return self.forward(*operands)

    def locals(self, *operands_and_out) -> tuple:
        """The local derivatives, one per operand, whether local() gave a tuple or (for one operand) a value."""
        d = self.local(*operands_and_out)
        return d if isinstance(d, tuple) else (d,)



SUPERSCRIPTS = str.maketrans("0123456789-.", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻·")


def _step(n):
    return (n > 0).to(n.dtype) if isinstance(n, torch.Tensor) else float(n > 0)


def _power(a, k):
    return a**k


# Arithmetic. Precedence: sums 1, products 2, a minus sign 3, powers 4.
add = Op("+", lambda a, b: a + b, lambda a, b, out: (1, 1), "{0} + {1}", "{0} + {1}", precedence=1)
sub = Op("−", lambda a, b: a - b, lambda a, b, out: (1, -1), "{0} − {1}", "{0} - {1}", precedence=1)


def _product(sign: str, spaced: str | None = None):
    """A product written with this sign, x1·w1, except a number written in the network in front of parentheses,
    ½(o − target)², which stands against them; with `spaced`, that sign where an operand is more than a short name
    or number: learning_rate · dL/dw1, o · (1 − o)."""
    def written(a: str, b: str, nodes) -> str:
        if nodes[0].kind == "literal" and b.startswith("("):
            return a + b
        short = all(len(text) <= 3 and text.replace(".", "").isalnum() for text in (a, b))
        return f"{a}{sign if short or spaced is None else spaced}{b}"
    return written


LEAVES = ("input", "parameter", "constant")
# The log writes a product of two of the network's leaves tight, x1*w1, and any other spaced, 0.5 * (o - target)^2
# and lr * w1.grad, as the original notebook printed them.
mul = Op("×", lambda a, b: a * b, lambda a, b, out: (b, a), _product("·", " · "), _product(" "),
         code=lambda a, b, nodes: f"{a}*{b}" if all(n.kind in LEAVES for n in nodes) else f"{a} * {b}",
         numbers="{0} × {1}", latex_numbers=_product(r" \cdot "), precedence=2)
div = Op("÷", lambda a, b: a / b, lambda a, b, out: (1 / b, -a / b**2), "{0} / {1}", (r"\frac{{{0}}}{{{1}}}", 9),
         precedence=2)
neg = Op("neg", lambda a: -a, lambda a, out: -1, "−{0}", "-{0}", precedence=3)
# A power's exponent is a number written in the network: o², o^2, o^{-1}.
power = Op("^", _power, lambda a, k, out: (k * a ** (k - 1), 0), lambda a, k, nodes: a + k.translate(SUPERSCRIPTS),
           lambda a, k, nodes: f"{a}^{k}" if len(k) == 1 else f"{a}^{{{k}}}", code="{0}^{1}", precedence=4)
exp = Op("exp", torch.exp, lambda a, out: out, "exp({0})", "e^{{{0}}}", html="e<SUP>{0}</SUP>")
log = Op("log", torch.log, lambda a, out: 1 / a, "log({0})", r"\log({0})")
sign = Op("sign", torch.sign, lambda a, out: 0, "sign({0})", r"\operatorname{{sign}}({0})")
absolute = Op("abs", torch.abs, lambda a, out: sign(a), "|{0}|", r"\lvert {0} \rvert", code="abs({0})")
# relu's slope at exactly n = 0 is taken as 0, as torch's autograd does.
step = Op("step", _step, lambda a, out: 0, "1 if {0} > 0, else 0", (r"[{0} > 0]", 9), code="{0} > 0", precedence=0)

# Activations: what a neuron does to its weighted sum.
tanh = Op("tanh", torch.tanh, lambda n, o: 1 - o**2, latex=r"\tanh({0})", activation=True,
          reaches=lambda t: -1 < t < 1, range_text="-1 < {0} < 1",
          says="squashes it into $(-1, 1)$", latex_slope=r"1 - \tanh^2({0})",
          definition=lambda n: (exp(n) - exp(-n)) / (exp(n) + exp(-n)))
sigmoid = Op("sigmoid", torch.sigmoid, lambda n, o: o * (1 - o), latex=r"\sigma({0})", activation=True,
             reaches=lambda t: 0 < t < 1, range_text="0 < {0} < 1", says="squashes it into $(0, 1)$",
             latex_slope=r"\sigma({0})\,(1 - \sigma({0}))",
             definition=lambda n: 1 / (1 + exp(-n)))
relu = Op("relu", torch.relu, lambda n, o: step(n), latex=r"\max(0, {0})", activation=True,
          reaches=lambda t: t >= 0, range_text="{0} >= 0", says="keeps a positive $n$ and turns a negative one into $0$")

OPERATIONS = ("+", "−", "×", "/", "**", "abs", "exp", "log", "tanh", "sigmoid", "relu", "step", "sign")
ACTIVATIONS = {op.name: op for op in (tanh, sigmoid, relu)}  # what a network's activation option may name
