"""The exercises' tasks and their checks: each says right, or which mistake the answer looks like and a hint, but never
the answer. Every expected value is read off an hnn trace of the student's network, none is computed here; a task
whose answer is a function is run on inputs the student does not see, some fixed, some from the student's network,
and compared with what torch's own softsign, SGD with momentum and binary cross-entropy give for them.

The notebook's setup cell makes the checks for the network in its table, `ex = Checks(x1=1.5, …)`; the grader makes
them for the network the roster gives the student, and judges what the sandbox captured with the same functions.
"""
from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable
from typing import NamedTuple

import torch

import hnn
from hnn.classroom.capture import answer, called
from hnn.lessons import hidden_layer

# The committed copy's network: not the walkthrough's, so that no answer is printed anywhere a student reads first.
NETWORK = hnn.Config(x1=1.5, x2=-0.5, w1=0.8, w2=-0.6, b=-0.25, target=0.25, learning_rate=0.1, epochs=10)
SIGNIFICANT = 5  # the precision the notebook asks for
CLOSE = 0.01  # off by less than this share of the quantity, yet not right: a value was rounded on the way
GOAL_LOSS = 0.01  # exercise (e): the loss to get below within the network's epochs
RATES = tuple(round(0.1 * k, 1) for k in range(1, 21))  # learning rates 0.1 … 2.0 that a key's answer to (e) is chosen from
SECONDS = 2  # how long a function a task asks for may take on all its inputs together, in the notebook and the sandbox


class Task(NamedTuple):
    """One exercise: the notebook variables its answer cell leaves, and what kind of answer that is."""

    names: tuple[str, ...]
    kind: str = "value"  # "value": the values the cell leaves in names; "code": the function it defines, called
    parameters: tuple[str, ...] = ()  # a function's parameters, in the order it is called with
    returns: tuple[str, ...] = ()  # what a function returns, in order


# Each exercise, by the letter of its check cell (its answer cell is "<letter>-answer"), in the notebook's order.
TASKS = {"a": Task(("n", "o")), "b": Task(("dL_db",)), "c": Task(("loss",)), "d": Task(("w1",)), "e": Task(("learning_rate",)),
         "f": Task(("delta_h1",)),
         "g": Task(("softsign_slope",), "code", ("n",), ("the slope",)),
         "h": Task(("momentum",), "code", ("w", "dL_dw", "v", "learning_rate", "beta"), ("the new w", "the new v")),
         "i": Task(("binary_cross_entropy",), "code", ("o", "target"), ("the loss",))}
EXERCISE = {name: exercise for exercise, task in TASKS.items() for name in task.names}  # which exercise asks for a name


class Mistake(NamedTuple):
    """A common mistake: the value it gives, what it looks like, and a hint that leads away from it."""

    value: float
    looks_like: str
    hint: str


class Question(NamedTuple):
    """One answer the notebook asks for."""

    name: str  # the notebook's variable
    expected: float
    size: float  # the size of the quantity asked for, that errors are measured against: for a new w1, its step
    size_name: str  # how the feedback calls that size ("" when it is the answer itself)
    hint: str  # for an answer that looks like none of the mistakes
    mistakes: tuple[Mistake, ...]


class Function(NamedTuple):
    """A function a task asks for: the inputs it is called on, what each call must return, a hint for a function that
    looks like none of its mistakes, and the mistakes, each a function that makes it."""

    inputs: tuple[tuple[float, ...], ...]
    expected: tuple[tuple[float, ...], ...]
    hint: str
    mistakes: tuple[tuple[Callable, str, str], ...]  # (the wrong function, what it looks like, a hint away from it)


class Verdict(NamedTuple):
    """What a check says about one exercise: ok, wrong or unanswered, and its feedback, one line per answer."""

    status: str
    feedback: str


def _rounds_to(value: float, expected: float, digits: int) -> bool:
    """Whether value is expected rounded to this many significant figures (or closer)."""
    unit = 10.0 ** (math.floor(math.log10(abs(expected))) - digits + 1)
    return abs(value - expected) <= unit / 2 * (1 + 1e-9)  # a hair over half a unit, for the float of a decimal


def hidden(network: hnn.Config) -> hnn.Config:
    """Exercise (f)'s network: the hidden-layer lesson's, Mazur's, with this network's inputs, so that each student's
    hidden delta is their own; one epoch is all it asks about."""
    return hnn.Config(hidden_layer, x1=network.x1, x2=network.x2, epochs=1)


class Checks:
    """The exercises' checks for one network, given as hnn.Config's keywords: x1, x2, w1, w2, b, target, learning_rate,
    epochs."""

    def __init__(self, **network):
        self.network = hnn.Config(**network)

    def __repr__(self) -> str:
        return f"Checks({', '.join(f'{k}={v!r}' for k, v in self.network.to_dict().items())})"

    @functools.cached_property
    def questions(self) -> dict[str, Question]:
        """Every question, its expected value and its mistakes, read off traces of the network."""
        trace = hnn.train(self.network)
        with warnings.catch_warnings():  # a negative target is out of sigmoid's reach: its first epoch is all we need
            warnings.simplefilter("ignore", hnn.UnreachableTargetWarning)
            sigmoid = hnn.train(hnn.Config(**{**self.network.to_dict(), "activation": "sigmoid"}))
        first, second = trace.epoch(1), trace.epoch(2)
        x2, learning_rate, target = self.network.x2, self.network.learning_rate, self.network.target
        step = second.updated.w1 - second.w1  # what epoch 2's update did to w1
        questions = [
            Question("n", first.n, abs(first.n), "", "n = x1*w1 + x2*w2 + b, with the values in the table.", (
                Mistake(first.n - first.b, "the bias b is left out", "n adds b to the weighted inputs."),
                Mistake(first.n - x2 * first.w2, "the x2*w2 term is left out", "both inputs count, each times its weight."),
                Mistake(first.w1 + first.w2 + first.b, "the inputs x1 and x2 are left out", "each weight multiplies its input."),
            )),
            Question("o", first.o, abs(first.o), "", "o = tanh(n); math.tanh computes it.", (
                Mistake(first.n, "n itself: the activation is left out", "o = tanh(n)."),
                Mistake(sigmoid.epoch(1).o, "sigmoid(n), not tanh(n)", "this network's activation is tanh."),
            )),
            Question("dL_db", first.grad.b, abs(first.grad.b), "",
                     "dL/db = dL/do * do/dn * dn/db, with dL/do = o - target, do/dn = 1 - o**2 and dn/db = 1.", (
                Mistake(-first.grad.b, "the sign is flipped", "dL/do = o - target, not target - o."),
                Mistake(2 * first.grad.b, "twice the gradient", "L = ½(o - target)², so dL/do = o - target, no factor 2."),
                Mistake(first.grad.o, "dL/do alone: do/dn is left out", "the chain goes through n: multiply by do/dn."),
                Mistake(first.local["do/dn"], "do/dn alone: dL/do is left out", "the chain starts at L: multiply by dL/do."),
                Mistake(first.grad.o * (1 - first.o), "the wrong activation derivative, 1 - o",
                        "tanh's derivative is 1 - tanh(n)**2 = 1 - o**2."),
                Mistake(first.grad.o * first.o * (1 - first.o), "the wrong activation derivative, sigmoid's o*(1 - o)",
                        "tanh's derivative is 1 - o**2."),
            )),
            Question("loss", second.loss, abs(second.loss), "",
                     "with the updated w1, w2 and b: n = x1*w1 + x2*w2 + b, o = tanh(n), L = ½(o - target)².", (
                Mistake(first.loss, "the loss before the update, not after it",
                        "work out n and o again from the updated parameters."),
                Mistake(2 * second.loss, "twice the loss", "L = ½(o - target)²: the ½ is part of it."),
                Mistake(second.o, "o, not the loss", "the loss is ½(o - target)²."),
                Mistake(second.o - target, "o - target, not the loss", "the loss is ½(o - target)²."),
            )),
            Question("w1", second.updated.w1, abs(step), " of the step",
                     "new w1 = w1 - learning_rate * dL/dw1, and dL/dw1 = x1 * dL/dn.", (
                Mistake(second.w1, "w1 before the update: no step taken", "new w1 = w1 - learning_rate * dL/dw1."),
                Mistake(second.w1 - step, "a step in the wrong direction", "subtract the gradient: it points uphill."),
                Mistake(second.w1 - learning_rate * second.grad.n, "the input factor x1 is left out",
                        "dL/dw1 = dn/dw1 * dL/dn, and dn/dw1 = x1."),
                Mistake(second.w1 - second.grad.w1, "the learning rate is left out",
                        "the step is learning_rate * dL/dw1."),
                Mistake(step, "the step alone, not w1 after it", "add the step to w1 before the update."),
            )),
            self._hidden_delta(),
        ]
        return {q.name: q for q in questions}

    def _hidden_delta(self) -> Question:
        """Exercise (f): h1's delta, dL/dnh1, in epoch 1 of the hidden-layer network, and the mistakes of its two paths
        and its slope."""
        e = hnn.train(hidden(self.network)).epoch(1)
        w5, w6, w7, w8, h1, o1 = e.w5, e.w6, e.w7, e.w8, e.h1, e.o1
        paths = {"o1": w5 * e.grad.no1, "o2": w7 * e.grad.no2}  # what comes back to h1 through each output
        both, slope = sum(paths.values()), e.local["dh1/dnh1"]
        return Question("delta_h1", e.grad.nh1, abs(e.grad.nh1), "",
                        "delta_h1 = (w5 * dL/dno1 + w7 * dL/dno2) * h1 * (1 - h1): both paths, then h1's own slope.", (
            Mistake(paths["o1"] * slope, "only the path through o1: the path through o2 is forgotten",
                    "h1 feeds o2 too: add w7 * dL/dno2."),
            Mistake(paths["o2"] * slope, "only the path through o2: the path through o1 is forgotten",
                    "h1 feeds o1 too: add w5 * dL/dno1."),
            Mistake(both, "dL/dh1: h1's slope is left out", "the delta is dL/dnh1: multiply dL/dh1 by h1 * (1 - h1)."),
            Mistake(both * o1 * (1 - o1), "the output's slope o1*(1 - o1) in place of h1's own",
                    "the slope is that of the neuron whose delta it is: h1 * (1 - h1)."),
            Mistake((w6 * e.grad.no1 + w8 * e.grad.no2) * slope, "h2's weights w6 and w8 in place of h1's",
                    "h1 reaches o1 through w5 and o2 through w7."),
            Mistake(-e.grad.nh1, "the sign is flipped", "add the two paths as they are: each given delta has its sign."),
            Mistake(both * (1 - h1 ** 2), "tanh's slope 1 - h1**2 in place of sigmoid's",
                    "h1 is a sigmoid: its slope is h1 * (1 - h1)."),
        ))

    @functools.cached_property
    def functions(self) -> dict[str, Function]:
        """The functions (g) to (i) ask for, each with its inputs (fixed ones, and some of the network's own numbers, so
        that the inputs differ from student to student) and its expected values, worked out by torch."""
        trace = hnn.train(self.network)
        first, second = trace.epoch(1), trace.epoch(2)
        layer = hnn.train(hidden(self.network))
        rate, outputs = self.network.learning_rate, layer.epoch(1)
        slopes = ((2.0,), (-3.0,), (-0.5,), (0.25,), (first.n,), (first.o - self.network.target,))
        steps = ((0.5, 0.2, 0.1, 0.1, 0.9), (-1.0, -0.4, 0.3, 0.5, 0.5),  # the velocity v of epoch 1 is its gradient
                 (second.w1, second.grad.w1, first.grad.w1, rate, 0.9), (second.b, second.grad.b, first.grad.b, rate, 0.5))
        losses = ((0.8, 1.0), (0.3, 0.0), (0.6, 0.25), (outputs.o1, layer.config.target1), (outputs.o2, layer.config.target2))
        return {
            "softsign_slope": Function(slopes, tuple((_softsign_slope(n),) for n, in slopes),
                                       "softsign(n) = n / (1 + |n|): take the quotient rule, with d|n|/dn = sign(n).", (
                (lambda n: 1 / (1 + abs(n)), "the square is forgotten",
                 "the quotient rule divides by the denominator squared."),
                (lambda n: 1 / (1 + n) ** 2, "the absolute value is forgotten: it is wrong for a negative n",
                 "the denominator is 1 + |n|, and |n| = -n where n < 0."),
                (lambda n: -1 / (1 + abs(n)) ** 2, "the sign is flipped", "softsign rises everywhere: its slope is > 0."),
                (lambda n: n / (1 + abs(n)), "softsign(n) itself, not its slope", "the task asks for d softsign(n) / dn."),
                (lambda n: (1 + abs(n) - n) / (1 + abs(n)) ** 2, "d|n|/dn is taken as 1: it is wrong for a negative n",
                 "d|n|/dn = sign(n), -1 where n < 0."),
                (lambda n: (1 + 2 * abs(n)) / (1 + abs(n)) ** 2, "the quotient rule's minus is a plus",
                 "(f/g)' = (f'g - fg') / g²."),
            )),
            "momentum": Function(steps, tuple(_momentum(*step) for step in steps),
                                 "new v = beta * v + dL_dw, then new w = w - learning_rate * new v; return new w, new v.", (
                (lambda w, g, v, lr, beta: (w - lr * v, beta * v + g), "the step uses the old velocity v, not the new one",
                 "work out the new v first, then step w by learning_rate times it."),
                (lambda w, g, v, lr, beta: (w - lr * (v + beta * g), v + beta * g), "beta multiplies the gradient",
                 "beta keeps part of the old velocity: new v = beta * v + dL_dw."),
                (lambda w, g, v, lr, beta: (w + lr * (beta * v + g), beta * v + g), "a step uphill (+), not down",
                 "subtract: new w = w - learning_rate * new v."),
                (lambda w, g, v, lr, beta: (w - (beta * v + g), beta * v + g), "the learning rate is left out of the step",
                 "the step is learning_rate times the new velocity."),
                (lambda w, g, v, lr, beta: (beta * v + g, w - lr * (beta * v + g)), "the new w and the new v swapped",
                 "return the new w first, then the new v."),
                (lambda w, g, v, lr, beta: (w - (beta * v + lr * g), beta * v + lr * g),
                 "the learning rate is inside the velocity", "the velocity adds up gradients: new v = beta * v + dL_dw."),
                (lambda w, g, v, lr, beta: (w - lr * (beta * v + (1 - beta) * g), beta * v + (1 - beta) * g),
                 "the gradient is scaled by 1 - beta", "this momentum adds the whole gradient: new v = beta * v + dL_dw."),
            )),
            "binary_cross_entropy": Function(losses, tuple((_cross_entropy(o, t),) for o, t in losses),
                                             "L = -(target * log(o) + (1 - target) * log(1 - o)), with math.log.", (
                (lambda o, t: t * math.log(o) + (1 - t) * math.log(1 - o), "the minus sign in front is left out",
                 "log of a number below 1 is negative: the loss negates the sum, so that it is ≥ 0."),
                (lambda o, t: -t * math.log(o), "the (1 - target) * log(1 - o) term is left out",
                 "the loss has a term for each class: target * log(o) and (1 - target) * log(1 - o)."),
                (lambda o, t: 0.5 * (o - t) ** 2, "the squared error ½(o - target)², not cross-entropy",
                 "cross-entropy takes logarithms of o and of 1 - o."),
                (lambda o, t: (o - t) ** 2, "the squared error (o - target)², not cross-entropy",
                 "cross-entropy takes logarithms of o and of 1 - o."),
                (lambda o, t: -(t * math.log10(o) + (1 - t) * math.log10(1 - o)), "log10 in place of the natural log",
                 "math.log(x) is the natural logarithm; math.log10 is not."),
                (lambda o, t: -(t * math.log(1 - o) + (1 - t) * math.log(o)), "log(o) and log(1 - o) swapped",
                 "target goes with log(o), 1 - target with log(1 - o)."),
            )),
        }

    def inputs(self, exercise: str) -> list[list[float]]:
        """What the function a code task asks for is called on, as the sandbox's plan carries it."""
        return [list(arguments) for arguments in self.functions[TASKS[exercise].names[0]].inputs]

    def final_loss(self, learning_rate: float) -> float:
        """The loss after the network's epochs with this learning rate."""
        return hnn.train(hnn.Config(**{**self.network.to_dict(), "learning_rate": learning_rate})).final.loss

    def learning_rates(self, enough: int = len(RATES)) -> list[float]:
        """The learning rates of RATES that answer exercise (e), the loss getting below GOAL_LOSS within the epochs:
        all of them, or the first `enough` found."""
        found = []
        for rate in RATES:
            if len(found) < enough and self.final_loss(rate) < GOAL_LOSS:
                found.append(rate)
        return found

    def judge(self, name: str, entry: dict) -> tuple[str, str]:
        """The status and the feedback line for one answer, described as capture.answer() describes it; the feedback
        never holds the expected value, nor more of the answer than capture.WIDTH characters."""
        if TASKS[EXERCISE[name]].kind == "code":
            return self._function(name, entry)
        not_a_number = _not_a_number(name, entry)
        if not_a_number:
            return not_a_number
        if name == "learning_rate":
            return self._learning_rate(entry["number"])
        question = self.questions[name]  # trained only now: a placeholder or a word needs no network
        value, expected = entry["number"], question.expected
        if _rounds_to(value, expected, SIGNIFICANT):
            return "ok", f"✓ {name} is right"
        coarse = [d for d in range(1, SIGNIFICANT) if float(f"{expected:.{d}g}") == value]
        if coarse:
            return "wrong", (
                f"✗ {name} is right to {coarse[-1]} significant figures, but the exercise asks for {SIGNIFICANT}:"
                f" keep more digits (print({name}) shows them all)"
            )
        error = abs(value - expected)
        near = [m for m in question.mistakes if abs(value - m.value) <= CLOSE * question.size and abs(value - m.value) < error]
        if near:
            mistake = min(near, key=lambda m: abs(value - m.value))
            return "wrong", f"✗ {name} looks like {mistake.looks_like}. Hint: {mistake.hint}"
        if error <= CLOSE * question.size:
            return "wrong", (
                f"✗ {name} looks like a value was rounded too early: it is close, but not right to {SIGNIFICANT}"
                " significant figures. Hint: keep every digit until the end, in variables rather than copied numbers."
            )
        if value * expected < 0:
            return "wrong", f"✗ {name} has the wrong sign. Hint: {question.hint}"
        direction = "too high" if value > expected else "too low"
        off = error / question.size  # relative to the quantity asked for, so it tells the size of the mistake
        return "wrong", f"✗ {name} is {direction}, off by about {off:.0%}{question.size_name}. Hint: {question.hint}"

    def _function(self, name: str, entry: dict) -> tuple[str, str]:
        """A function (g) to (i) ask for, called as capture.called() describes: right on every input, or the mistake
        it looks like, or the first call that went wrong; never an expected value."""
        if "unset" in entry:
            return "unanswered", f"✗ {name} is not defined: its answer cell must define it, with def"
        if "placeholder" in entry:
            return "unanswered", f"Not answered yet: replace the ... in {name} with your code, then run that cell and this one"
        if "calls" not in entry:
            return "wrong", f"✗ {name} should be a function, made by the def in its answer cell, got {entry['shown']}"
        task, function = TASKS[EXERCISE[name]], self.functions[name]
        returned = []
        for arguments, call in zip(function.inputs, entry["calls"]):
            shown = f"{name}({', '.join(f'{x:.6g}' for x in arguments)})"
            if "timeout" in call:
                return "wrong", f"✗ {shown} did not return within {SECONDS} s: does a loop never end?"
            if "raised" in call:
                return "wrong", f"✗ {shown} raised {call['raised']}"
            if "shown" in call:
                return "wrong", (f"✗ {shown} should return {len(task.returns)} numbers, {' and '.join(task.returns)},"
                                 f" got {call['shown']}")
            if any("placeholder" in value for value in call["returned"]):
                return "unanswered", (f"Not answered yet: replace each ... in {name} with your code, then run that cell"
                                      " and this one")
            wrong = next((value for value in call["returned"] if "number" not in value), None)
            if wrong is not None:
                missing = " (is its return missing?)" if wrong["shown"] == "None" else ""
                return "wrong", f"✗ {shown} should return a finite number, got {wrong['shown']}{missing}"
            returned.append(tuple(value["number"] for value in call["returned"]))
        if len(returned) < len(function.inputs):  # capture.called() stops only at a call that went wrong
            return "wrong", f"✗ {name} was not called on every input"
        if _matches(returned, function.expected):
            return "ok", f"✓ {name} is right on each of the {len(returned)} inputs it was tried on"
        for mistake, looks_like, hint in function.mistakes:
            if _matches(returned, made_by(mistake, function.inputs)):
                return "wrong", f"✗ {name} looks like {looks_like}. Hint: {hint}"
        right = sum(_matches([got], [want]) for got, want in zip(returned, function.expected))
        arguments, got, want = next((a, g, w) for a, g, w in zip(function.inputs, returned, function.expected)
                                    if not _matches([g], [w]))
        off = [part for part, g, w in zip(task.returns, got, want) if not _matches([(g,)], [(w,)])]
        which = "it is" if len(task.returns) == 1 else f"{' and '.join(off)} {'is' if len(off) == 1 else 'are'}"
        return "wrong", (f"✗ {name}({', '.join(f'{x:.6g}' for x in arguments)}) returns"
                         f" {', '.join(f'{x:.6g}' for x in got)}: {which} not right (right on {right} of"
                         f" {len(returned)} inputs). Hint: {function.hint}")

    def _learning_rate(self, learning_rate: float) -> tuple[str, str]:
        """Exercise (e): trains the network with the answer and says whether the loss got below GOAL_LOSS, or why not."""
        try:
            trace = hnn.train(hnn.Config(**{**self.network.to_dict(), "learning_rate": learning_rate}))
        except ValueError as error:  # the Config's own message says what a learning rate must be
            return "wrong", f"✗ {error}"
        epochs, losses, shown = self.network.epochs, trace.losses(), f"{learning_rate:g}"
        if losses[-1] < GOAL_LOSS:
            return "ok", f"✓ right: with learning_rate = {shown} the loss after {epochs} epochs is {losses[-1]:.2g}"
        if all(later < earlier for earlier, later in zip(losses, losses[1:])):
            hint = "the loss falls every epoch, but too slowly: try a larger learning rate."
        else:
            hint = "the loss rose at least once, so the steps overshoot: try a smaller learning rate."
        return "wrong", (
            f"✗ with learning_rate = {shown} the loss after {epochs} epochs is {losses[-1]:.2g},"
            f" not below {GOAL_LOSS}. Hint: {hint}"
        )

    def judged(self, exercise: str, entries: dict) -> list[tuple[str, str, str]]:
        """Each answer of one exercise, judged: (name, status, feedback line)."""
        return [(name, *self.judge(name, entries[name])) for name in TASKS[exercise].names]

    def described(self, name: str, value) -> dict:
        """An answer as plain data, as the sandbox describes it: a value, or a function called on its inputs."""
        task = TASKS[EXERCISE[name]]
        if task.kind == "code":
            return called(value, self.functions[name].inputs, len(task.returns), SECONDS)
        return answer(value)

    def verdict(self, exercise: str, **answers) -> Verdict:
        """One exercise judged: wrong if any answer is wrong, else unanswered if any is missing, else ok."""
        judged = self.judged(exercise, {name: self.described(name, value) for name, value in answers.items()})
        return Verdict(overall(status for _, status, _ in judged), "\n".join(line for _, _, line in judged))

    def check_n_and_o(self, n, o) -> None:
        """Exercise (a): the forward pass of epoch 1."""
        print(self.verdict("a", n=n, o=o).feedback)

    def check_dL_db(self, dL_db) -> None:
        """Exercise (b): the gradient of the loss with respect to b in epoch 1."""
        print(self.verdict("b", dL_db=dL_db).feedback)

    def check_loss(self, loss) -> None:
        """Exercise (c): the loss after epoch 1's update."""
        print(self.verdict("c", loss=loss).feedback)

    def check_w1(self, w1) -> None:
        """Exercise (d): w1 after epoch 2's update."""
        print(self.verdict("d", w1=w1).feedback)

    def check_learning_rate(self, learning_rate) -> None:
        """Exercise (e): a learning rate that brings the loss below GOAL_LOSS within the network's epochs."""
        print(self.verdict("e", learning_rate=learning_rate).feedback)

    def check_delta_h1(self, delta_h1) -> None:
        """Exercise (f): h1's delta in epoch 1 of the hidden-layer network with this network's inputs."""
        print(self.verdict("f", delta_h1=delta_h1).feedback)

    def check_softsign_slope(self, softsign_slope) -> None:
        """Exercise (g): softsign's derivative, as a function."""
        print(self.verdict("g", softsign_slope=softsign_slope).feedback)

    def check_momentum(self, momentum) -> None:
        """Exercise (h): one step of gradient descent with momentum, as a function."""
        print(self.verdict("h", momentum=momentum).feedback)

    def check_binary_cross_entropy(self, binary_cross_entropy) -> None:
        """Exercise (i): the binary cross-entropy loss, as a function."""
        print(self.verdict("i", binary_cross_entropy=binary_cross_entropy).feedback)


def _float64(x: float) -> torch.Tensor:
    return torch.tensor(x, dtype=torch.float64)


def _softsign_slope(n: float) -> float:
    """softsign's slope at n, by torch's autograd through torch's own softsign."""
    n = _float64(n).requires_grad_()
    torch.nn.functional.softsign(n).backward()
    return n.grad.item()


def _momentum(w: float, dL_dw: float, v: float, learning_rate: float, beta: float) -> tuple[float, float]:
    """One step of torch's SGD with momentum (no dampening, no Nesterov), its velocity buffer starting at v."""
    parameter = torch.nn.Parameter(_float64(w))
    parameter.grad = _float64(dL_dw)
    optimizer = torch.optim.SGD([parameter], lr=learning_rate, momentum=beta)
    optimizer.state[parameter]["momentum_buffer"] = _float64(v)
    optimizer.step()
    return parameter.item(), optimizer.state[parameter]["momentum_buffer"].item()


def _cross_entropy(o: float, target: float) -> float:
    """torch's binary cross-entropy of o for the target (natural logarithm)."""
    return torch.nn.functional.binary_cross_entropy(_float64(o), _float64(target)).item()


def made_by(mistake: Callable, inputs) -> list[tuple[float, ...]] | None:
    """What a mistaken function returns on each input, each as a tuple; None where it cannot be worked out."""
    made = []
    for arguments in inputs:
        try:
            value = mistake(*arguments)
        except (ArithmeticError, ValueError):  # log of a number ≤ 0, a division by 0
            return None
        made.append(value if isinstance(value, tuple) else (value,))
    return made


def returning(results) -> dict:
    """A function that returned these results, one tuple per input, as capture.called() describes it."""
    return {"calls": [{"returned": [answer(x) for x in result]} for result in results]}


def _matches(returned, expected) -> bool:
    """Whether every call returned what was expected, to the rounding of float arithmetic done in another order."""
    return expected is not None and all(
        math.isclose(g, w, rel_tol=1e-9, abs_tol=1e-12) for got, want in zip(returned, expected) for g, w in zip(got, want))


def _not_a_number(name: str, entry: dict) -> tuple[str, str] | None:
    """The status and feedback of an answer that is no number: never set, still `...`, or of another type."""
    if "unset" in entry:
        return "unanswered", f"✗ {name} is not set: its answer cell must assign it"
    if "placeholder" in entry:
        return "unanswered", f"Not answered yet: replace the ... of {name} with your answer, then run that cell and this one"
    if "number" not in entry:
        return "wrong", f"✗ {name} should be a finite number, got {entry['shown']}"
    return None


def overall(statuses) -> str:
    """An exercise's status from its answers': wrong if any is, else unanswered if any is, else ok."""
    statuses = set(statuses)
    return next(s for s in ("wrong", "unanswered", "ok") if s in statuses)
