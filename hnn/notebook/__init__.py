"""What the walkthrough notebook calls: parameter checks, which epochs to show, and stable rich displays."""
from __future__ import annotations

import ast
import base64
import dataclasses
import difflib
import functools
import html
import sys
import warnings

from hnn import training
from hnn.config import DEFAULTS, Config, UnreachableTargetWarning, configs
from hnn.graph import Network
from hnn.lessons import LESSONS, neuron
from hnn.notebook.outputs import fit_width, image_html
from hnn.ops import NetworkError
from hnn.rules import Rule, gradient_descent
from hnn.trace import Trace
from hnn.training import train_many
from hnn.views import diagram, frames, narrative, plots
from hnn.views.diagnose import diagnose
from hnn.views.diagram import Display
from hnn.views.log import epoch_text, final_text
from hnn.views.render import RenderError, render

DISPLAY_FIELDS = tuple(field.name for field in dataclasses.fields(Display))
# What a Parameters cell's values are made of: numbers, strings, lists, and arithmetic on them.
PLAIN = (ast.Constant, ast.UnaryOp, ast.BinOp, ast.List, ast.Tuple, ast.Dict, ast.Set, ast.Load, ast.operator,
         ast.unaryop)


def parameters(network: Network, update: Rule = gradient_descent) -> tuple[str, ...]:
    """The names of a notebook's parameters cell for this network, in its order: its leaves, the hyperparameters (the
    update rule's too, momentum's beta), its options, then how it is shown."""
    return (*network.kinds, *DEFAULTS, *update.settings, *network.options, *DISPLAY_FIELDS)


def lesson_of(names) -> Network:
    """The lesson network whose notebook's parameters cell holds these names (in any order); ValueError otherwise."""
    found = [network for network in LESSONS.values() if set(parameters(network)) == set(names)]
    if not found:
        raise ValueError(f"a parameters cell must hold the parameters of one lesson ({', '.join(LESSONS)}), got"
                         f" {', '.join(names)}")
    return found[0]


class ParameterError(ValueError):
    """A notebook parameter is wrong; shown as one line instead of a traceback."""

    def _render_traceback_(self):  # IPython prints these lines in place of the traceback
        return [f"ParameterError: {self}"]


# The last hn.setup's error, or None: while the parameters are wrong, every later cell says so instead of showing
# the previous run's numbers (JupyterLab does not always stop Run All at the failed cell).
rejected: str | None = None
FIX = "Fix the Parameters cell first: {}. Nothing below is shown until hn.setup accepts the values."


def setup(network: Network = neuron, /, update: Rule = gradient_descent, **values) -> tuple[Config, Display]:
    """The validated Config and Display of a network (the walkthrough's neuron unless given) and its update rule: in a
    notebook, from the Parameters cell (the last cell of assignments the kernel ran before this one, and papermill's
    below it), then any values passed by name."""
    global rejected
    accepted, cell, injected = parameters(network, update), parameters_cell(), papermill_injected_names()
    try:
        for name in [*cell, *values]:
            if name not in accepted:
                where = (" (papermill's -p, -y or -f)" if name in injected else " in the Parameters cell" if name in cell
                         else "")
                close = difflib.get_close_matches(name, accepted, n=1)
                raise ValueError(f"unknown parameter {name!r}{where}" + (f" (did you mean {close[0]}?)" if close else "")
                                 + f"; accepted: {', '.join(accepted)}")
        values = {**cell, **values}
        config = Config(network, update=update, **{name: value for name, value in values.items()
                                                     if name not in DISPLAY_FIELDS})
        display = Display(**{name: value for name, value in values.items() if name in DISPLAY_FIELDS})
    except NetworkError:  # the network's code, not its parameters: said as it is
        raise
    except ValueError as error:
        rejected = str(error)
        _explain_missing_names()
        raise ParameterError(rejected) from None
    rejected = None
    _explain_missing_names()
    if injected:
        _say(f"papermill set {', '.join(injected)} in the cell it injected below the Parameters cell, which overrides"
             " that cell: edit the values there.")
    return config, display


def parameters_cell() -> dict:
    """The values the Parameters cell assigned, by name, as the kernel holds them now: the last cell the kernel ran
    that is nothing but names given values (`x1: float = 2.0`), with papermill's own "# Parameters" cell after it;
    {} outside a kernel, or before such a cell ran."""
    from IPython import get_ipython

    shell = get_ipython()
    names = []
    for source in reversed(_plain_cells if shell is not None else []):
        names += _assigned(source)
        if not source.startswith("# Parameters\n"):  # papermill's cell follows the notebook's own: read both
            return {name: shell.user_ns[name] for name in dict.fromkeys(names) if name in shell.user_ns}
    return {}


# The last few cells of plain values the kernel ran since hnn.notebook was imported, newest last: where hn.setup finds
# the Parameters cell. A hook keeps them, because IPython's own history is not kept when nbval runs a notebook.
_plain_cells: list[str] = []


def _remember(info) -> None:
    if _assigned(info.raw_cell) is not None:
        _plain_cells[:] = [*_plain_cells[-2:], info.raw_cell]


def _listen() -> None:
    try:
        from IPython import get_ipython
    except ImportError:  # hnn runs without Jupyter too
        return
    shell = get_ipython()
    if shell is not None:
        shell.events.register("pre_run_cell", _remember)
        warnings.showwarning = _one_line(warnings.showwarning)


def _say(text: str, stream=None) -> None:
    """A line of text in one write. print writes the text, then its newline: a kernel that sends what was written so
    far between the two makes two outputs of one line, and two runs of a notebook would then differ."""
    (stream or sys.stdout).write(f"{text}\n")


def _one_line(show):
    """warnings.showwarning, but hnn's own warning in a notebook is one line, its name and message: Python's format
    would start it with the kernel's temporary file for the cell (/tmp/ipykernel_…/….py:1) and repeat the cell's line."""
    def shown(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, UnreachableTargetWarning):
            _say(f"{category.__name__}: {message}", sys.stderr if file is None else file)
        else:
            show(message, category, filename, lineno, file, line)

    return shown


_listen()  # from the import on: a notebook imports hnn.notebook before its Parameters cell


def _assigned(source: str) -> list[str] | None:
    """The names a cell assigns, if it is nothing but names given plain values (`x1: float = 2.0`, `lr = 1 / 10`): a
    Parameters cell; None for any other cell (`trace = hnn.train(config)` calls something, so it is not one)."""
    try:
        body = ast.parse(source).body
    except SyntaxError:
        return None
    names = []
    for node in body:
        target = (node.target if isinstance(node, ast.AnnAssign) else
                  node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None)
        if not isinstance(target, ast.Name) or node.value is None or not all(
                isinstance(part, PLAIN) for part in ast.walk(node.value)):
            return None
        names.append(target.id)
    return names or None


def _explain_missing_names() -> None:
    """While the parameters are rejected, a later cell's NameError (a first run: `config` was never assigned) reads
    as the one line that says what to fix, not as a traceback; once they are accepted, errors are IPython's own."""
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        return
    if rejected is None:
        if shell.custom_exceptions == (NameError,):  # only the handler set below, never one of the reader's own
            shell.set_custom_exc((), None)
    else:
        shell.set_custom_exc((NameError,), lambda shell, *error, **options: _say(FIX.format(rejected)))  # IPython shows
        # nothing of a custom handler's own, but still marks the cell failed, so that queued cells are cancelled


class Record(training.Record):
    """hnn.Record, for a notebook's own training loop: refused in one line while hn.setup rejects the Parameters cell,
    so that the loop does not train the previous run again."""

    def __init__(self, configs, keep: bool = True):
        if rejected is not None:
            raise ParameterError(FIX.format(rejected))
        super().__init__(configs, keep)


def after_setup(show):
    """A cell's function that prints the line to fix the parameters, and nothing else, while they are rejected."""
    @functools.wraps(show)
    def checked(*args, **kwargs):
        if rejected is not None:
            _say(FIX.format(rejected))
            return None
        return show(*args, **kwargs)

    return checked


def papermill_injected_names() -> list[str]:
    """The names papermill assigned in this kernel, read from its "# Parameters" cell, the last such cell it ran.

    papermill only warns about a name the parameters cell lacks (`-p lr 0.1`), and the run would then quietly use
    the default: so the notebook looks for itself.
    """
    injected = [source for source in _plain_cells if source.startswith("# Parameters\n")]
    return (_assigned(injected[-1]) or []) if injected else []


def _show(bundle: dict) -> None:
    """One output in the notebook, its mime types as given."""
    from IPython.display import display  # here: importing hnn.notebook needs no IPython

    display(bundle, raw=True)


def diagram_bundles(trace: Trace, states: list[int], view: str) -> dict[int, dict]:
    """Display bundles for the given states (k of ae{k}, 0-based), each one SVG: about 5 ms to render where a PNG
    takes 0.1 s to rasterise, sharp at any size, and its numbers are text that nbval compares."""
    sources = [diagram.VIEWS[view](trace, k).source for k in states]
    bundles = {}
    for k, svg in zip(states, render(sources, "svg")):
        alt = narrative.diagram_alt(trace, k, view)
        bundles[k] = {
            "text/html": image_html("image/svg+xml", svg, alt),  # what JupyterLab shows, also untrusted, and reads aloud
            "image/svg+xml": fit_width(svg.decode()),  # for viewers that show no HTML
            "text/plain": alt,
        }
    return bundles


@after_setup
def show_stepper(trace: Trace, display: Display) -> None:
    """Step through training: every sub-step of the shown epochs, stepped in the browser, with the first frame as a
    picture beside it for where no widget runs."""
    from IPython.display import display as show_widget

    from hnn.notebook.stepper import Stepper  # anywidget: imported by the notebooks that step, not by every user of hnn

    steps = frames.frames(trace, display)
    try:
        stepper = Stepper(frames.template(trace, steps), steps, picture=frames.picture(trace, steps[0]))
    except RenderError as error:  # no Graphviz, or one that fails: the log below still shows every number
        _say(f"No stepper: {error}.")
        return
    show_widget(stepper)


@after_setup
def show_epochs(trace: Trace, display: Display) -> None:
    """For each epoch the display shows: its diagram (the state before it), then its STEP 0-3 log."""
    total = len(trace.epochs)
    epochs = display.shown(total)
    if not total:
        _say("No epochs to show: with epochs = 0 nothing is trained, so the network below is the one training starts from.\n")
    elif len(epochs) == total:
        _say(f"Showing all {total} epochs.\n")
    else:
        _say(f"Showing {len(epochs)} of {total} epochs: the first, the last, and evenly spaced ones between.\n")
    notes = diagnose(trace)
    if notes:
        _say("\n".join(notes) + "\n")
    try:
        bundles = diagram_bundles(trace, [epoch - 1 for epoch in epochs], display.view)  # epoch k starts from ae{k-1}
    except RenderError as error:  # no Graphviz, or one that fails: the logs still show every number
        _say(f"No diagrams: {error}.\n")
        bundles = {}
    for epoch in epochs:
        if epoch - 1 in bundles:
            _show(bundles[epoch - 1])
        _say(epoch_text(trace, trace.epoch(epoch)))


@after_setup
def show_final(trace: Trace, display: Display) -> None:
    """The trained network: its forward pass and parameters, then its diagram."""
    _say(final_text(trace, note=False))  # the corrections passage above says where the log differs, with numbers
    trained = len(trace.epochs)  # the last state, ae{epochs}
    try:
        _show(diagram_bundles(trace, [trained], display.view)[trained])
    except RenderError:  # show_epochs has said so, once
        pass


def show_figure(figure, description: str) -> None:
    """A matplotlib figure as a PNG, with a one-line text that says what it shows: its alt text, compared by nbval."""
    png = plots.png(figure)
    _show({"text/html": image_html("image/png", png, description), "image/png": base64.b64encode(png).decode(),
           "text/plain": description})


@after_setup
def show_narrative(trace: Trace, passage: str) -> None:
    """A worked example of the walkthrough written with this run's numbers: forward, backward, step or corrections."""
    text = narrative.PASSAGES[passage](trace)
    _show({"text/markdown": text, "text/plain": text})


def show_loss_curve(trace: Trace) -> None:
    """The loss per epoch."""
    show_figure(plots.loss_curve(trace), f"Line chart of the loss per epoch over {len(trace.epochs)} epochs:"
                                         f" {trace.state(0).loss:.6f} before training, {trace.final.loss:.6f} after.")


@after_setup
def show_figures(trace: Trace) -> None:
    """Loss per epoch, the outputs and parameters per epoch, and the descent path on the loss landscape."""
    graph, c, final = trace.graph, trace.config, trace.final
    start = trace.state(0)
    show_loss_curve(trace)
    pairs = plots.outputs(graph)
    compared = ", ".join(f"{o} {start[o]:.6f} → {final[o]:.6f} ({target} {c.leaves[target]})" for o, target in pairs)
    moved = ", ".join(f"{p} {start[p]:.6f} → {final[p]:.6f}" for p in graph.parameters)
    show_figure(plots.trajectories(trace),
                f"Line charts per epoch: the output{'s' * (len(pairs) > 1)} {compared}; the change of {moved}.")
    across, up = plots.landscape_parameters(trace)
    held = ", ".join(f"{p} at {c.leaves[p]:g}" for p in graph.parameters if p not in (across, up))
    show_figure(
        plots.landscape(trace),
        f"Contour map of the loss over ({across}, {up}){f', with {held}' if held else ''}: the descent path from"
        f" ({start[across]:.6f}, {start[up]:.6f}), loss {start.loss:.6f}, to ({final[across]:.6f}, {final[up]:.6f}),"
        f" loss {final.loss:.6f}.",
    )


@after_setup
def show_run(trace: Trace, *passages: str) -> None:
    """One run through every view, for a notebook that tries a change (hack_it.ipynb): the worked examples named
    (forward, backward, step), the stepper, the first and the last epoch's diagram and log, the trained network, the
    loss per epoch, and a line with the loss before and after."""
    display = Display(max_diagrams=2)
    for passage in passages:
        show_narrative(trace, passage)
    show_stepper(trace, display)
    show_epochs(trace, display)
    show_final(trace, display)
    show_loss_curve(trace)
    start, final = trace.state(0).loss, trace.final.loss
    _say(f"The loss: {start:.6f} before training, {final:.6f} after {len(trace.epochs)} epochs"
         f" ({'down' if final < start else 'up' if final > start else 'unchanged'}).")


@after_setup
def show_learning_rates(trace: Trace, runs: int = 200) -> None:
    """The loss after the same epochs for many learning rates, all trained as one batched run, beside yours."""
    config = trace.config
    rates = [10 ** (-3 + 4 * i / (runs - 1)) for i in range(runs)]  # 0.001 … 10, evenly spaced on a log scale
    traces = train_many(configs(config, learning_rate=rates), record=False)  # only their final losses are drawn
    best_rate, best_loss = plots.best_learning_rate(traces)
    same = len({t.final.loss for t in traces}) == 1
    best = f"every rate gives {best_loss:.6g}" if same else f"lowest {best_loss:.6g} at learning_rate {best_rate:.4g}"
    show_figure(
        plots.learning_rate_explorer(traces, learning_rate=config.learning_rate),
        f"Line chart of the loss after {config.epochs} epochs for {runs} learning rates from 0.001 to 10: {best};"
        f" yours ({config.learning_rate}) gives {trace.final.loss:.6g}.",
    )


class GradientTable:
    """Autograd, the hand-derived chain rule and finite differences, side by side, for one epoch."""

    def __init__(self, trace: Trace, epoch: int = 1):
        self.rejected = rejected  # as hn.setup left it: a table of an earlier run's numbers would mislead
        self.record = None if self.rejected or not (trace.epochs or epoch != 1) else trace.epoch(epoch)  # epochs = 0
        self.rows = [] if self.record is None else [
            (f"dL/d{name}", self.record.grad[name], self.record.hand[name], self.record.fd[name]) for name in self.record.grad
        ]

    def _repr_html_(self) -> str | None:
        if self.rejected:
            return None  # the one line of __repr__, nothing else
        if self.record is None:
            return f"<p>{html.escape(repr(self))}</p>"
        cells = "".join(
            f"<tr><td>{html.escape(name)}</td><td>{a:.12f}</td><td>{h:.12f}</td><td>{f:.12f}</td><td>{abs(a - f):.1e}</td></tr>"
            for name, a, h, f in self.rows
        )
        return (
            f"<table><caption>Epoch {self.record.epoch}: three ways to the same gradients</caption>"
            "<tr><th>gradient</th><th>autograd</th><th>chain rule by hand</th><th>finite difference</th>"
            f"<th>|autograd − finite difference|</th></tr>{cells}</table>"
        )

    def __repr__(self) -> str:
        if self.rejected:
            return FIX.format(self.rejected)
        if self.record is None:
            return "No gradients to compare: with epochs = 0 no epoch was trained."
        lines = [f"Epoch {self.record.epoch}: gradient, autograd, chain rule by hand, finite difference"]
        lines += [f"{name:7} {a: .12f} {h: .12f} {f: .12f}" for name, a, h, f in self.rows]
        return "\n".join(lines)
