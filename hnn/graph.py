"""A network as code: a Python function whose arguments are its leaves and whose local variables name its values,
traced once into a graph of hnn's operations; the graph evaluated on tensors, backpropagated by hand with each
operation's local derivative, and read by the views (which values, in which order, computed from which, written how)."""
from __future__ import annotations

import functools
import inspect
import sys
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from hnn.formula import TEXT, formula
from hnn.ops import ACTIVATIONS, NetworkError, Op, Value, add, div, literal, mul, neg, power, sub

KINDS = ("input", "parameter", "constant")  # a network's leaves: data, what training changes, what it compares with


def network(inputs: str = "", parameters: str = "", constants: str = "", symbols: Mapping[str, str] | None = None,
            hyperparameters: Mapping[str, object] | None = None):
    """Declare a function as a network: which of its arguments are inputs, parameters and constants (space-separated
    names), each with its starting value as the argument's default; other arguments with defaults are options (an
    activation, a switch). symbols: LaTeX for names the usual rule writes badly, {"target": "t"}. hyperparameters: the
    run the network is taught with, where it differs from hnn's defaults, {"learning_rate": 0.5}.

        @network(inputs="x1 x2", parameters="w1 w2 b", constants="target", symbols={"target": "t"})
        def neuron(x1=2.0, x2=0.0, w1=-3.0, w2=1.0, b=6.8814, target=0.0, activation=tanh):
            n = x1*w1 + x2*w2 + b
            o = activation(n)
            L = 0.5 * (o - target)**2
            return L
    """
    kinds = {name: kind for kind, names in zip(KINDS, (inputs, parameters, constants)) for name in names.split()}
    return lambda function: Network(function, kinds, dict(symbols or {}), dict(hyperparameters or {}))


def hold(*leaves: Value) -> None:
    """Hold parameters at their starting values: training leaves them as they are, as constants (a network's code
    says so, e.g. `if not train_biases: hold(b1, b2)`)."""
    for leaf in leaves:
        if not isinstance(leaf, Value) or leaf.kind != "parameter":
            raise NetworkError(f"hold() takes the network's parameters, got {leaf!r}")
        leaf.kind = "constant"


class Network:
    """A network written as a function: its leaves with their kinds and starting values, its options, and its graph
    for any choice of options."""

    def __init__(self, function: Callable, kinds: dict[str, str], symbols: dict[str, str],
                 hyperparameters: dict | None = None):
        self.function, self.name, self.symbols = function, function.__name__, symbols
        self.hyperparameters = hyperparameters or {}  # its own learning rate or epochs; Config checks them
        self.__doc__ = function.__doc__
        arguments = inspect.signature(function).parameters
        empty = inspect.Parameter.empty
        unsure = [name for name, argument in arguments.items() if argument.default is empty and name not in kinds]
        undeclared = [name for name in kinds if name not in arguments]
        if unsure or undeclared:
            problem = (f"{unsure[0]} is no input, parameter or constant, so it needs a default (an option)" if unsure
                       else f"{undeclared[0]} is declared but is not an argument of {self.name}")
            raise NetworkError(f"network {self.name}: {problem}")
        self.kinds = {name: kinds[name] for name in arguments if name in kinds}  # in the function's order
        # Where training starts, for the leaves that say: the others take their values from each run's settings.
        self.defaults = {name: arguments[name].default for name in self.kinds if arguments[name].default is not empty}
        self.options = {name: a.default for name, a in arguments.items() if name not in kinds}  # activation, switches
        self.graph()  # a slip in the function is said here, where the network is written, not where it is first used

    def graph(self, **options) -> Graph:
        """The graph this network builds with these options (the defaults for the rest)."""
        return _graph(self, tuple(sorted({**self.options, **options}.items(), key=lambda item: item[0])))

    def __repr__(self) -> str:
        return f"<network {self.name}>"


@functools.lru_cache(maxsize=64)  # one graph per network and options: every run of it shares it
def _graph(net: Network, options: tuple) -> Graph:
    leaves = {name: Value(name=name, kind=kind, symbol=net.symbols.get(name)) for name, kind in net.kinds.items()}
    chosen = {name: ACTIVATIONS.get(value, value) if isinstance(value, str) else value for name, value in options}
    loss, names = traced(net.function, {**leaves, **chosen})
    if loss is None:
        raise NetworkError(f"network {net.name} returns nothing: end it with `return L`, L its loss")
    if not isinstance(loss, Value) or loss.op is None:
        raise NetworkError(f"network {net.name} must return its loss, computed from its values; it returned {loss!r}")
    return Graph(net, dict(options), leaves, loss, names)


def traced(function: Callable, arguments: dict) -> tuple[object, dict[str, Value]]:
    """Call function on values, and name each value it computed by the local variable that holds it when it returns.

    Reading a function's local variables as it returns is what a profiler does: sys.setprofile calls back on each
    return with the frame, whose f_locals are the names the code gave. It is set only for this one call. A slip that
    hnn's values refuse (an `if` on one, math.tanh of one) is said with the line of the function where it happened."""
    names = {}

    def returned(frame, event, arg):
        if event == "return" and frame.f_code is function.__code__:
            names.update(frame.f_locals)

    previous = sys.getprofile()
    sys.setprofile(returned)
    try:
        result = function(**arguments)
    except Exception as error:  # a slip in the network's code (a misspelt name too): one line that says where
        said = str(error) if isinstance(error, NetworkError) else f"{type(error).__name__}: {error}"
        raise NetworkError(f"{_where(error, function)}{said}") from None
    finally:
        sys.setprofile(previous)
    for name, value in names.items():
        if isinstance(value, Value) and value.name is None and value.kind == "value":  # the first name it was given
            value.name = name
    return result, names


def _where(error: Exception, function: Callable) -> str:
    """'line 3 of neuron, `if n > 0:`: ' for the innermost line of function that the error went through."""
    lines = [frame for frame in traceback.extract_tb(error.__traceback__) if frame.name == function.__name__]
    if not lines:
        return ""
    line = lines[-1].line.split("  #")[0].rstrip()  # a cell's source, as IPython keeps it, or a file's; without a comment
    code = f", `{line}`" if line else ""
    return f"line {lines[-1].lineno} of {function.__name__}{code}: "


@dataclass(frozen=True, eq=False)
class Graph:
    """A network's values, in an order where each comes after the values it is computed from, and what the views and
    the hand check read of them."""

    network: Network
    options: dict
    leaves: dict[str, Value]  # by name, in the network's order
    loss: Value
    names: dict  # the function's local variables as it returned

    def __post_init__(self):
        nodes, seen = [], set()

        def visit(node: Value) -> None:  # depth first: every operand before the value computed from it
            if id(node) in seen:
                return
            seen.add(id(node))
            for operand in node.operands:
                visit(operand)
            nodes.append(node)

        visit(self.loss)
        if self.loss.name is None:
            self.loss.name = "L"
        object.__setattr__(self, "nodes", nodes)
        unused = [name for name, leaf in self.leaves.items() if id(leaf) not in seen and leaf.kind == "parameter"]
        if unused:
            raise NetworkError(f"parameter {unused[0]} of {self.network.name} does not reach the loss {self.loss.name}:"
                               " its gradient would always be 0, and training would never change it")

    # What the network is made of.
    @functools.cached_property
    def named(self) -> dict[str, Value]:
        """Every value the network computed and named, in the order it computed them; the loss last."""
        return {node.name: node for node in self.nodes if node.op is not None and node.name is not None}

    @staticmethod
    def activation(value: Value) -> Value | None:
        """The named value an activation turns into this one (n, for o = tanh(n)), or None."""
        if value.op is not None and value.op.activation and value.operands[0].name is not None:
            return value.operands[0]
        return None

    @functools.cached_property
    def unnamed(self) -> dict[str, Value]:
        """The values the network computed without naming them, x1·w1, by their formula: what the computation graph
        shows beside the named ones."""
        found = {}
        for node in self.nodes:
            if node.op is not None and node.name is None:
                key = formula(node, TEXT)
                while key in found:  # the same formula computed twice: two values
                    key += "′"
                found[key] = node
        return found

    def kind(self, kind: str) -> tuple[str, ...]:
        """The names of the leaves of a kind (input, parameter, constant), in the network's order."""
        return tuple(name for name, leaf in self.leaves.items() if leaf.kind == kind and id(leaf) in self._reached)

    @functools.cached_property
    def _reached(self) -> set[int]:
        return {id(node) for node in self.nodes}

    @functools.cached_property
    def parameters(self) -> tuple[str, ...]:
        return self.kind("parameter")

    @functools.cached_property
    def inputs(self) -> tuple[str, ...]:
        return self.kind("input")

    @functools.cached_property
    def constants(self) -> tuple[str, ...]:
        return self.kind("constant")

    @functools.cached_property
    def values(self) -> dict[str, Value]:
        """Every named value: the leaves the loss depends on, then the computed ones."""
        return {**{n: leaf for n, leaf in self.leaves.items() if id(leaf) in self._reached}, **self.named}

    @functools.cached_property
    def graded(self) -> tuple[str, ...]:
        """The values that get a gradient, as the JSON lists them: the parameters, the inputs, then the computed values
        from the loss backwards (o before n)."""
        return (*self.parameters, *self.inputs, *self.backward)

    def reads(self, value: Value) -> list[Value]:
        """The named values and leaves value's formula is written with, in the order it reads them."""
        found = []

        def visit(node: Value) -> None:
            for operand in node.operands:
                if operand.name is not None:
                    if operand not in found:
                        found.append(operand)
                elif operand.op is not None:
                    visit(operand)

        visit(value)
        return found

    @functools.cached_property
    def consumers(self) -> dict[Value, list[Value]]:
        """For each named value and leaf, the named values whose formulas read it, in the order they are computed."""
        readers = {value: [] for value in self.values.values()}
        for value in self.named.values():
            for operand in self.reads(value):
                readers[operand].append(value)
        return readers

    @functools.cached_property
    def depth(self) -> dict[Value, int]:
        """How many named values stand between each value and the loss: o is 1, n is 2; the loss 0."""
        depth = {self.loss: 0}
        for value in reversed(list(self.values.values())):
            if value is not self.loss:
                depth[value] = 1 + max((depth[c] for c in self.consumers[value]), default=0)
        return depth

    @functools.cached_property
    def backward(self) -> tuple[str, ...]:
        """The computed values but the loss, in the order backpropagation reaches them: by distance from the loss, then
        in the order they were computed (o1 and o2, then h1 and h2)."""
        order = list(self.named)
        return tuple(sorted(order[:-1], key=lambda name: (self.depth[self.named[name]], order.index(name))))

    @functools.cached_property
    def locals(self) -> dict[str, tuple[Value, Value, Value]]:
        """The local derivatives a reader meets on their own, by name: do/dn = 1 − o², of each computed value but the
        loss with respect to each value it reads, where that is more than a name or a number (dn/dw1 = x1 is not)."""
        found = {}
        for value in self.named.values():
            for operand in self.reads(value) if value is not self.loss else ():
                d = self.local(value, operand)
                if d.op is not None and d.name is None:
                    found[f"d{value.name}/d{operand.name}"] = (value, operand, d)
        return found

    @functools.cached_property
    def terms(self) -> dict[str, tuple[Value, Value]]:
        """Where paths meet, each path's part of a gradient, by name: dL/dh1 via no1 is w5 · dL/dno1, the first of the
        two that add up to dL/dh1 in a hidden layer; (the value, the value that reads it) for each."""
        graded = [self.values[name] for name in self.graded]
        return {f"dL/d{value.name} via {reader.name}": (value, reader)
                for value in graded if len(self.consumers[value]) > 1 for reader in self.consumers[value]}

    # Derivatives, written with the operations: what the views show, and what backpropagation by hand multiplies.
    def local(self, value: Value, operand: Value) -> Value:
        """d value / d operand inside value's formula: the sum, over its paths down to operand, of the product of
        each operation's local derivative, simplified (½ · 2(o − t) · 1 is o − t)."""
        def d(node: Value) -> Value | None:
            if node is operand:
                return literal(1)
            if node is not value and (node.op is None or node.name is not None):
                return None  # another of the network's values: its own derivative is its own business
            total = None
            for inner, local in zip(node.operands, _locals(node)):
                below = d(inner)
                if below is not None:
                    term = mul(literal(local), below)
                    total = term if total is None else add(total, term)
            return total

        found = d(value)
        return simplified(literal(0) if found is None else found)

    def paths(self, value: Value) -> list[list[Value]]:
        """dL/d(value) by the chain rule: one term for each value that reads it, each a list of factors from the loss
        down to value (o − t, 1 − o², x1 for dL/dw1); where paths meet above, the gradient of the value where they
        meet stands for them (dL/dh1, a factor for dL/dw1 in a hidden layer)."""
        return [self._upstream(reader) + [self.local(reader, value)] for reader in self.consumers[value]]

    def _upstream(self, reader: Value) -> list[Value]:
        if reader is self.loss:
            return []
        terms = self.paths(reader)
        return terms[0] if len(terms) == 1 else [self.gradient(reader)]

    @functools.cache  # noqa: B019  one per graph and value, so that a gradient is always the same value
    def gradient(self, value: Value) -> Value:
        """dL/d(value), as a value a formula can be written with."""
        return Value(name=f"dL/d{value.name}", kind="gradient")

    # Evaluation.
    def forward(self, leaves: Mapping[str, object], changed: Mapping[Value, object] | None = None) -> dict:
        """Every value of the graph from the leaves' numbers (tensors of any shape, or floats); changed: values to
        take as given instead of computing them (a finite difference moves one)."""
        values = {}
        for node, forward, operands in self._steps:
            if changed is not None and node in changed:
                values[node] = changed[node]
            elif forward is not None:
                values[node] = forward(*[values[operand] for operand in operands])
            else:
                values[node] = node.number if node.kind == "literal" else leaves[node.name]
        return values

    @functools.cached_property
    def _steps(self) -> list[tuple]:
        """Each node with its operation's forward pass and its operands: what forward() does, looked up once."""
        return [(node, node.op.forward if node.op is not None else None, node.operands) for node in self.nodes]

    def backpropagate(self, values: Mapping[Value, object], seed) -> dict:
        """dL/d(value) for every value, by the chain rule written out, as micrograd's backward() does: from the loss
        (dL/dL = seed, ones) back, each operation adds its local derivative times its own gradient into each operand's."""
        grads = {self.loss: seed}
        for node in reversed(self.nodes):
            if node.op is None or node not in grads:
                continue
            local = node.op.locals(*(values[operand] for operand in node.operands), values[node])
            for operand, d in zip(node.operands, local):
                if operand.kind != "literal":
                    grads[operand] = grads[operand] + d * grads[node] if operand in grads else d * grads[node]
        return grads


def _locals(node: Value) -> tuple:
    """An operation's local derivatives at node, written with operations; where its derivative is code that cannot be
    written so (a torch.where, an if), a value that calls that code, written tanh′(n)."""
    try:
        return node.op.locals(*node.operands, node)
    except (NetworkError, TypeError, AttributeError):
        op = node.op
        return tuple(Value(Op(f"{op.name}′", lambda *xs, i=i: op.locals(*xs)[i], lambda *xs: NetworkError(
            f"{op.name}'s derivative is code, not a formula: it has no derivative of its own"),
            f"{op.name}′({{0}})", rf"{op.name}'({{0}})"), (*node.operands, node)) for i in range(len(node.operands)))


def evaluate(expression: Value, known: Mapping[Value, object]):
    """A formula's number from the numbers of the values it is written with (a local derivative, do/dn = 1 − o²)."""
    if expression in known:
        return known[expression]
    if expression.kind == "literal":
        return expression.number
    return expression.op.forward(*(evaluate(operand, known) for operand in expression.operands))


def simplified(x: Value) -> Value:
    """x with the arithmetic of numbers done, a product's numbers gathered in front of it, and the factors of 1 and
    terms of 0 left out, as a reader writes a derivative: ½ · (2 · (o − t)) · 1 is o − t, and ½ · 2(t − o) · (−1) is
    −(t − o), and a minus sign taken to the front of a quotient or product and a sum of a negative written as a
    difference: 1 / (1 + |n|) − n / (1 + |n|)² · sign(n). A named value stays itself."""
    if x.op is None or x.name is not None:
        return x
    operands = tuple(simplified(operand) for operand in x.operands)
    numbers = [operand.number if operand.kind == "literal" else None for operand in operands]
    if None not in numbers and x.op in (add, sub, mul, power, neg):
        return literal(x.op.forward(*numbers))
    if x.op is mul:
        return _product(operands)
    negated = [o.op is neg and o.name is None for o in operands]  # −a / b is −(a / b); a + (−b) is a − b
    if x.op is div and negated[0]:
        return Value(neg, (Value(div, (operands[0].operands[0], operands[1])),))
    if x.op is add and negated[1]:
        return Value(sub, (operands[0], operands[1].operands[0]))
    a, b = (numbers + [None])[:2]
    if x.op is add and 0 in (a, b):
        return operands[1] if a == 0 else operands[0]
    if x.op is sub and b == 0:
        return operands[0]
    if x.op is power and b == 1:
        return operands[0]
    return x if operands == x.operands else Value(x.op, operands)


def _product(operands: tuple[Value, ...]) -> Value:
    """A product of simplified operands: its numbers multiplied into one coefficient, written first, its other factors
    in their order; a coefficient of 1 left out, of −1 written as a minus sign."""
    coefficient, factors = 1, []

    def gather(node: Value) -> None:
        nonlocal coefficient
        if node.kind == "literal":
            coefficient *= node.number
        elif node.op is mul and node.name is None:
            for operand in node.operands:
                gather(operand)
        elif node.op is neg and node.name is None:
            coefficient = -coefficient
            gather(node.operands[0])
        else:
            factors.append(node)

    for operand in operands:
        gather(operand)
    if coefficient == 0 or not factors:
        return literal(coefficient)
    product = functools.reduce(lambda left, right: Value(mul, (left, right)), factors)
    if coefficient == 1:
        return product
    return Value(neg, (product,)) if coefficient == -1 else Value(mul, (literal(coefficient), product))


def ops_in(graph: Graph) -> list[Op]:
    """Every operation the graph uses, once each, in the order it first uses them."""
    return list(dict.fromkeys(node.op for node in graph.nodes if node.op is not None))
