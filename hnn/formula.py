"""How values are written for a reader: a formula in one of four styles, with names (n = x1·w1 + x2·w2 + b) or with
the numbers of one epoch (2.0 × (−3.000000) + …), and the one way each style writes a number."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from html import escape

from hnn.ops import Value

MINUS = "\u2212"  # a true minus sign: as wide as the plus, unlike the hyphen
ATOM = 10  # the precedence of a name or a number: never in parentheses of its own
PRODUCT = 2  # the precedence of a product
FUNCTION = 9  # an operation written as a function, tanh(n), |n|: its operands stand in its own brackets
FRACTIONS = {0.5: ("½", r"\tfrac{1}{2}")}  # numbers written in the network that a reader knows by another shape
HYPERPARAMETERS = {"learning_rate": ("lr", r"\eta")}  # a hyperparameter's name in the log, and in LaTeX
GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "lambda", "mu", "rho", "tau"}  # names LaTeX writes as letters


def num(x: float) -> str:
    """A computed number, as every diagram and frame shows it: 6 decimals as in the walkthrough log, a true minus sign,
    no sign on zero."""
    return f"{round(x, 6) + 0.0:.6f}".replace("-", MINUS)  # + 0.0 turns -0.0 into 0.0


def given(x: float) -> str:
    """A number as the config holds it (2.0, 0.01), with a true minus sign, as the walkthrough log prints inputs."""
    return repr(x).replace("-", MINUS)


def short(x: float) -> str:
    """A number as the narrative writes it: six significant digits, no sign on zero."""
    return f"{x + 0.0:.6g}"


def apart(a: float, b: float, kind: str = "f", digits: int = 6) -> tuple[str, str]:
    """Two numbers written with the fewest digits (at least `digits`, decimals for kind "f", significant ones for "g")
    that tell them apart: a sentence that says they differ shows them differing."""
    for places in range(digits, 18):
        x, y = f"{a + 0.0:.{places}{kind}}", f"{b + 0.0:.{places}{kind}}"
        if x != y:
            break
    return x, y


def factor(text: str) -> str:
    """A written number as a factor: a negative one in parentheses, so that 2.0 × (−3.000000) reads as a product."""
    return f"({text})" if text.startswith((MINUS, "-")) else text


def symbol(name: str) -> str:
    """A name as LaTeX writes it: x1 → x_1, nh1 → n_{h1}, v_w1 → v_{w1}, dL/dw1 → ∂L/∂w_1 as a fraction, do/dn → do/dn
    as a fraction, learning_rate → η, beta → β; a longer word upright; a value an update rule computes by the name it
    takes once assigned (new v_w1 → v_{w1}), as v ← β·v + ∂L/∂w reads."""
    if name in HYPERPARAMETERS:
        return HYPERPARAMETERS[name][1]
    if name in GREEK:
        return "\\" + name
    if name.startswith("new "):
        return symbol(name.removeprefix("new "))
    if "/" in name:  # a derivative: dL/dw1, or a local one, do/dn
        top, bottom = name.split("/")
        if top == "dL":
            return rf"\frac{{\partial L}}{{\partial {symbol(bottom[1:])}}}"
        return rf"\frac{{d{symbol(top[1:])}}}{{d{symbol(bottom[1:])}}}"
    head, _, rest = name.partition("_") if "_" in name else (name[0], "", name[1:])
    if not rest:
        return head
    if len(head) > 1 or len(rest) > 3:
        return rf"\mathrm{{{name}}}".replace("_", r"\_")
    return f"{head}_{rest}" if len(rest) == 1 else f"{head}_{{{rest}}}"


def code_name(name: str) -> str:
    """A name as the original notebook's code wrote it: learning_rate → lr, dL/dw1 → w1.grad; and a value an update
    rule computes by the name it takes once assigned: new v_w1 → v_w1."""
    if name in HYPERPARAMETERS:
        return HYPERPARAMETERS[name][0]
    return f"{name[4:]}.grad" if name.startswith("dL/d") else name.removeprefix("new ")


def _literal(x: float, shape: int | None) -> str:
    """A number written in the network: 2, not 2.0; ½ in text (shape 0) or LaTeX (shape 1); 0.5 in code (None)."""
    if shape is not None and x in FRACTIONS:
        return FRACTIONS[x][shape]
    return str(int(x)) if float(x).is_integer() else repr(x)


@dataclass(frozen=True)
class Style:
    """A way of writing formulas: which of an operation's templates, and how names, literals and numbers look."""

    key: str  # the templates' key: text, numbers, code, latex or latex numbers
    name: Callable[[Value], str]  # a named value's name
    number: Callable[[float, Value], str]  # a value's number, told which value it is
    literal: Callable[[float], str]  # a number written in the network
    parenthesized: bool = True  # a negative number as a factor gets parentheses: 2 × (−3)


def _by_kind(x: float, value: Value) -> str:
    """Inputs, constants and hyperparameters as given, every computed number to 6 decimals."""
    return given(x) if value.kind in ("input", "constant", "hyperparameter") else num(x)


def _latex_name(value: Value) -> str:
    return value.symbol or symbol(value.name)


TEXT = Style("text", lambda v: v.name, _by_kind, lambda x: _literal(x, 0).replace("-", MINUS))
NUMBERS = Style("numbers", TEXT.name, _by_kind, TEXT.literal)
CODE = Style("code", lambda v: code_name(v.name), lambda x, v: repr(x + 0.0), lambda x: _literal(x, None), parenthesized=False)
LATEX = Style("latex", _latex_name, lambda x, v: short(x), lambda x: _literal(x, 1))
LATEX_NUMBERS = Style("latex numbers", _latex_name, LATEX.number, LATEX.literal)
HTML = Style("html", lambda v: escape(v.name), _by_kind, TEXT.literal)  # Graphviz's HTML-like labels: a worksheet's


def written(value: Value, style: Style, numbers: Mapping[Value, float] | None = None) -> str:
    """value in style: its name, or given numbers its number; a value the network gave no name, its formula."""
    return _written(value, style, numbers)[0]


def product(factors: list[Value], style: Style, sign: str, numbers: Mapping[Value, float] | None = None) -> str:
    """Factors written side by side with sign between them, each in parentheses where it binds more loosely than a
    product, or is a quotient after the first: (o − target) · (1 − o²) · x1, sign(o − t) · (1 / (1 + |n|)²)."""
    parts = []
    for i, factor in enumerate(factors):
        text, precedence = _written(factor, style, numbers)
        quotient = i > 0 and factor.op is not None and factor.op.name == "÷" and factor.name is None
        parts.append(f"({text})" if precedence < PRODUCT or quotient else text)
    return sign.join(parts)


def formula(value: Value, style: Style, numbers: Mapping[Value, float] | None = None) -> str:
    """How value is computed, in style: its operation applied to its operands, each a name or with numbers its number,
    or, if the network gave it no name, its own formula, in parentheses where precedence needs them."""
    return _written(value, style, numbers, top=True)[0]


def _written(value: Value, style: Style, numbers, top: bool = False) -> tuple[str, float]:
    """The text and its precedence (how tightly it holds together)."""
    if value.kind == "literal":
        text = style.literal(value.number)
        return text, (1 if text.startswith((MINUS, "-")) else ATOM)
    if not top or value.op is None:
        if numbers is not None and value in numbers:
            text = style.number(numbers[value], value)
            negative = style.parenthesized and text.startswith((MINUS, "-"))
            return text, (1 if negative else ATOM)  # a negative number is a difference: (−3) as a factor
        if value.name is not None:
            return style.name(value), ATOM
    op = value.op
    template = op.templates[style.key]
    template, precedence = template if isinstance(template, tuple) else (template, op.precedence)
    parts = []
    for i, operand in enumerate(value.operands):
        text, inner = _written(operand, style, numbers)
        # The left operand needs parentheses when it binds more loosely; the right one also when it binds as loosely,
        # a − (b − c); a power's base as well, (o − t)². A function's operands stand inside its own parentheses.
        loose = inner < precedence or inner == precedence and (i > 0 or precedence == 4)
        parts.append(f"({text})" if loose and precedence != FUNCTION else text)
    if callable(template):
        return template(*parts, value.operands), precedence
    return template.format(*parts), precedence
