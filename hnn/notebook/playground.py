"""The playground: every hyperparameter on a slider and in an exact text field; each change retrains at once and
redraws the stepper, the loss curve, the descent path and the final numbers in place."""
from __future__ import annotations

import asyncio
import base64
import hashlib
import html
import io
import itertools
import re
import warnings

import anywidget
import ipywidgets
import matplotlib
import numpy as np
import traitlets
from matplotlib.colors import BoundaryNorm
from matplotlib.ticker import LogLocator, MaxNLocator
from PIL import Image

from hnn.config import Config, whole
from hnn.formula import num
from hnn.notebook.outputs import image_html
from hnn.notebook.stepper import Stepper
from hnn.ops import ACTIVATIONS, Op
from hnn.trace import Trace
from hnn.training import train_many
from hnn.views import frames, plots
from hnn.views.diagram import Display

BOUNDS = (1.5, 5, 10, 20, 50, 100, 1000)  # a slider runs from −bound to bound, the first that leaves room around its start
LEARNING_RATES = (-3, 1)  # the log slider's exponents: 0.001 to 10
PAUSE = 0.2  # seconds without a new value before the stepper's frames are made: one value typed after another waits for
# none of them (at 1000 epochs they take 50 ms), and those of a run already replaced are never made
MAX_EPOCHS = 1000  # a retrain this long still answers within about a second
WIDTH, HEIGHT = 450, 280  # each chart's size in pixels: two side by side in a notebook column on a laptop
PAD = {"left": 64, "right": 12, "top": 30, "bottom": 44}  # room for tick labels and axis names
BLUE, GREY, VERMILLION, ORANGE = plots.BLUE, "#999999", plots.VERMILLION, plots.ORANGE
HOW_TO_PLAY = ("To play, run this cell in JupyterLab (or trust the notebook): here are the playground's numbers and"
               " pictures as they were saved, without its sliders and fields.")
# A field the Config rejects is outlined in red; the views of the last good run are faded and say so, in words that
# stay in sight as the student scrolls down to the stepper.
CSS = """.hnn-playground .hnn-bad input { border: 2px solid #b00020; background: #fff0f0; }
.hnn-playground .hnn-stale > * { opacity: 0.45; }
.hnn-playground .hnn-stale::before { content: "Last good run, not the fields above"; position: sticky; z-index: 1;
  top: 0; align-self: flex-end; padding: 1px 6px; background: #b00020; color: #fff; font-weight: bold; }"""
ALT = re.compile(r'aria-label="([^"]*)"')  # a chart's description, which its picture takes as alt text
_ids = itertools.count()  # widgets made in this kernel: each model id comes from this count


def _model_id() -> str:
    """A model id that is the same in every run of the notebook: nbclient then stores byte-identical widget state,
    from which JupyterLab draws the playground with no kernel running."""
    return hashlib.sha256(f"hnn.playground {next(_ids)}".encode()).hexdigest()[:32]


def _widget(cls, layout: dict | None = None, **traits):
    """An ipywidget with a fixed model id, and fixed ids for its layout and style models too."""
    style = cls.class_traits().get("style")
    if style is not None:
        traits["style"] = style.klass(model_id=_model_id(), **traits.pop("style", {}))
    return cls(model_id=_model_id(), layout=ipywidgets.Layout(model_id=_model_id(), **(layout or {})), **traits)


class _Region(anywidget.AnyWidget):
    """Names the box it sits in as a region: ipywidgets' boxes take no ARIA attributes of their own."""

    _esm = """export default { render({ model, el }) {
      el.innerHTML = `<style>${model.get("css")}</style>`;
      let tries = 0;
      const name = () => {  // the box is in the page once the views around this one are attached
        const box = el.closest(".hnn-playground");
        if (box) { box.setAttribute("role", "region"); box.setAttribute("aria-label", model.get("label")); }
        else if (tries++ < 600) requestAnimationFrame(name);
      };
      name();
    } };"""
    label = traitlets.Unicode("Playground").tag(sync=True)
    css = traitlets.Unicode(CSS).tag(sync=True)  # ipywidgets' classes take their looks from here


def _text(value) -> str:
    """A number as a text field shows it: as short as it reads back exactly."""
    return repr(value) if isinstance(value, float) else str(value)


def slider_range(kind: str, start: float) -> tuple[float, float, float]:
    """A leaf's slider, (low, high, step): ±1.5 for a constant such as a target, else ±5 or wider, with room on both
    sides of where it starts; an arrow key moves it by a hundredth (past ±100, by a tenth)."""
    smallest = 1.5 if kind == "constant" else 5
    bound = next((b for b in BOUNDS if b >= max(smallest, 1.4 * abs(start))), BOUNDS[-1])
    return -bound, bound, 0.01 if bound <= 100 else 0.1


class Playground:
    """The controls, the one-line message, the stepper, the charts and the final numbers, in one region: a slider and
    an exact field for each input, parameter and constant of the network and each hyperparameter, a choice for each
    of its options."""

    def __init__(self, config: Config | None = None):
        self.network = config.network if config else Config().network
        self.defaults = Config(self.network)  # what Reset returns to: the network's own starting values
        start = config or self.defaults
        self.fields, self.sliders, self.choices = {}, {}, {}
        rows = []
        for name, kind in self.network.kinds.items():
            low, high, step = slider_range(kind, start.leaves[name])
            rows.append(self._pair(name, ipywidgets.FloatSlider, start.leaves[name], min=low, max=high, step=step))
        rows.append(self._pair("learning_rate", ipywidgets.FloatLogSlider, start.learning_rate, base=10,
                               min=LEARNING_RATES[0], max=LEARNING_RATES[1], step=0.01))
        rows.append(self._pair("epochs", ipywidgets.IntSlider, start.epochs, min=0, max=MAX_EPOCHS, step=1))
        style, layout = {"description_width": "7.5em"}, {"width": "16em"}
        for name, default in self.network.options.items():
            if isinstance(default, Op):  # an activation: one of those hnn knows
                choice = _widget(ipywidgets.Dropdown, options=list(ACTIVATIONS), value=getattr(start, name),
                                 description=name, style=style, layout=layout)
            else:  # a switch, as wide as its name: beside an activation, Reset still fits the row
                choice = _widget(ipywidgets.Checkbox, value=getattr(start, name), description=name, indent=False,
                                 layout={"width": "auto"})
            choice.observe(lambda change: self.update(), "value")
            self.choices[name] = choice
        self.reset = _widget(ipywidgets.Button, description="Reset", tooltip="Back to the network's starting values")
        self.reset.on_click(lambda button: self.restore(self.defaults))
        rows.append(_widget(ipywidgets.HBox, children=[*self.choices.values(), self.reset]))
        self.message = _widget(ipywidgets.HTML, layout={"min_height": "1.5em"})  # one line: what is wrong, or nothing
        first = train_many([start])[0]
        steps = frames.frames(first, Display())
        self.stepper = Stepper(frames.template(first, steps), steps)
        self.charts = _widget(ipywidgets.HTML, layout={"width": "100%"})  # an HTML widget is 300 px wide by default
        self.numbers = _widget(ipywidgets.HTML, layout={"width": "100%"})
        # The views of the run on screen, in one box, marked as one when the fields above no longer make that run.
        self.results = _widget(ipywidgets.VBox, children=[self.numbers, self.charts, self.stepper])
        self.previous = None  # the last good run's losses, drawn faintly under the next one
        self.trace = None
        self._holding = False
        self.root = _widget(ipywidgets.VBox, children=[
            _Region(model_id=_model_id(), layout=ipywidgets.Layout(model_id=_model_id())),
            _widget(ipywidgets.GridBox, children=rows,
                    layout={"grid_template_columns": "repeat(auto-fill, minmax(28em, 1fr))", "grid_gap": "2px 16px"}),
            self.message, self.results])
        self.root.add_class("hnn-playground")
        self.update()

    def _pair(self, name: str, slider_class, value, **range_) -> ipywidgets.HBox:
        """A slider and an exact text field for one hyperparameter; the text field's value is what trains."""
        field = _widget(ipywidgets.Text, value=_text(value), description=name, continuous_update=False,
                        layout={"width": "16em"}, style={"description_width": "7.5em"})  # room for "learning_rate"
        slider = _widget(slider_class, readout=False, continuous_update=False,  # the rest of the row; keys step exactly
                         layout={"flex": "1 1 auto", "width": "auto", "min_width": "10em"}, **range_)
        slider.value = value  # after the range: a log slider made with value= first clamps it to its default range
        self.fields[name], self.sliders[name] = field, slider

        def slid(change):
            if not self._holding:  # a value typed in the field moves the slider without retyping the field
                field.value = _text(round(change.new, 4) if isinstance(change.new, float) else change.new)

        def typed(change):
            self._holding, held = True, self._holding
            try:
                slider.value = float(change.new)  # out of its range the slider stops at its end; the field keeps the value
            except (ValueError, OverflowError, traitlets.TraitError):
                pass  # the Config says what is wrong with it, in update()
            finally:
                self._holding = held
            if not held:
                self.update()

        slider.observe(slid, "value")
        field.observe(typed, "value")
        return _widget(ipywidgets.HBox, children=[field, slider], layout={"align_items": "center"})

    def restore(self, config: Config) -> None:
        """Every field and slider to the config's values, then one retrain."""
        self._holding = True
        try:
            for name, field in self.fields.items():
                field.value = _text(getattr(config, name))
            for name, choice in self.choices.items():
                choice.value = getattr(config, name)
        finally:
            self._holding = False
        self.update()

    def values(self) -> dict:
        """The hyperparameters as typed: the Config reads numbers from text."""
        return {**{name: field.value.strip() for name, field in self.fields.items()},
                **{name: choice.value for name, choice in self.choices.items()}}

    def update(self) -> None:
        """Retrain and redraw; values the Config rejects are each named, and the last good run stays on screen, marked
        as such."""
        if self._holding:
            return
        values = self.values()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                config, errors = self.config(values), {}
            except ValueError as error:
                config, errors = None, self.errors(values, str(error))
        for name, field in self.fields.items():
            (field.add_class if name in errors else field.remove_class)("hnn-bad")
        if errors:
            self.results.add_class("hnn-stale")
            lines = [f"<div>{html.escape(error)}</div>" for error in errors.values()]
            self.message.value = f'<div role="alert" style="color: #b00020">{"".join(lines)}</div>'
            return
        self.message.value = "".join(f"<div>{html.escape(str(w.message))}</div>" for w in caught)  # unreachable target
        if self.trace is None or config != self.trace.config:  # back to the run on screen: nothing to retrain
            self.show(train_many([config])[0])
        self.results.remove_class("hnn-stale")

    def errors(self, values: dict, together: str) -> dict[str, str]:
        """What is wrong with each field, by name: each value is checked on its own against the last good run, so that
        two bad fields are both named; `together`, the Config's message, if each is good alone."""
        good = (self.trace.config if self.trace else self.defaults).to_dict()
        errors = {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # update() shows the warnings of the run it trains
            for name in self.fields:
                try:
                    self.config({**good, name: values[name]})
                except ValueError as error:
                    errors[name] = str(error)
        return errors or {"": together}

    def config(self, values: dict) -> Config:
        """The run these values make, at most MAX_EPOCHS long; ValueError says what is wrong. The epochs are checked
        first, so that any bad number of them is told the playground's range, not the longer one a Config allows."""
        whole("epochs", values["epochs"], 0, MAX_EPOCHS)
        return Config(self.network, **values)

    def show(self, trace: Trace) -> None:
        """The run on every view; its loss curve becomes the faint one under the next run's. The numbers and charts go
        first; in a kernel the stepper follows once the typing pauses (its frames take longest to make), and only for the
        run still on screen."""
        self.svgs = (loss_svg(trace, self.previous), landscape_svg(trace))
        self.charts.value = (f'<div style="display: grid; grid-template-columns: repeat(2, minmax(0, {WIDTH}px));'
                             f' gap: 8px; width: 100%">{"".join(self.svgs)}</div>')
        f, graph = trace.final, trace.graph
        parameters = ", ".join(f"{p} = {num(f[p])}" for p in graph.parameters)
        computed = "".join(f"{name} = {num(f[name])}, " for name in graph.named if name != graph.loss.name)
        loss = f'<b>{graph.loss.name} = <span class="hnn-loss">{num(f.loss)}</span></b>'
        self.numbers.value = (f"<p>After {len(trace.epochs)} epochs: {parameters}; {computed}{loss}"
                              f" (before training {num(trace.losses()[0])})</p>")
        self.trace, self.previous = trace, trace.losses()
        try:
            asyncio.get_running_loop().call_later(PAUSE, self.step, trace)  # the kernel's loop, once typing pauses
        except RuntimeError:  # no loop running (plain Python, the first run): at once
            self.step(trace)

    def step(self, trace: Trace) -> None:
        """The stepper's frames for the run, unless a newer run has replaced it (its own frames are on their way)."""
        if trace is not self.trace:
            return
        steps = frames.frames(trace, Display())
        with self.stepper.hold_sync():  # one message to the browser, not one for each
            self.stepper.index = 0  # first: the new run may have fewer frames
            self.stepper.svg, self.stepper.frames = frames.template(trace, steps), steps

    def _repr_mimebundle_(self, **kwargs):
        data = self.root._repr_mimebundle_(**kwargs)
        data["text/plain"] = repr(self)  # nbval compares this text: the same in every run
        data["text/html"] = self.picture()  # where no widget runs: an untrusted notebook, GitHub, nbviewer
        return data

    def picture(self) -> str:
        """The playground as it stands, without controls: its numbers, its charts and the stepper's first frame as
        images with alt text, and how to play."""
        charts = [image_html("image/svg+xml", svg.encode(), html.unescape(ALT.search(svg).group(1))) for svg in self.svgs]
        first = image_html("image/svg+xml", frames.picture(self.trace, self.stepper.frames[0]).encode(), repr(self.stepper))
        return f"{self.numbers.value}<p>{HOW_TO_PLAY}</p>{''.join(charts)}{first}"

    def __repr__(self) -> str:
        c, f = self.trace.config, self.trace.final
        chosen = ", ".join(str(getattr(c, name)) if isinstance(default, Op) else f"{name} {getattr(c, name)}"  # a switch
                           for name, default in c.network.options.items())  # by its name: train_biases False
        return (f"Playground: {c.epochs} epochs at learning_rate {c.learning_rate} ({chosen}) take the loss from"
                f" {self.trace.losses()[0]:.6f} to {f.loss:.6f}. Change a value to retrain; run the cell to play.")


def _scale(values, low: float, high: float, start: float, end: float, log: bool = False) -> np.ndarray:
    """Data values to pixel positions: low → start, high → end."""
    values, low, high = (np.log10(v) if log else np.asarray(v, dtype=float) for v in (values, low, high))
    return start + (values - low) / ((high - low) or 1) * (end - start)


def _points(xs, ys) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys))


def _frame(title: str, xlabel: str, ylabel: str, xticks, yticks, body: str, label: str) -> str:
    """An SVG chart: the plot area's box, tick labels, axis names, title; `body` drawn inside."""
    left, right, top, bottom = PAD["left"], WIDTH - PAD["right"], PAD["top"], HEIGHT - PAD["bottom"]
    ticks = "".join(f'<text x="{x:.1f}" y="{bottom + 16}" text-anchor="middle">{html.escape(t)}</text>' for x, t in xticks)
    ticks += "".join(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{html.escape(t)}</text>' for y, t in yticks)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}"'
            ' style="width: 100%; height: auto"'
            f' role="img" aria-label="{html.escape(label)}" font-family="DejaVu Sans, sans-serif" font-size="12">'
            f'<text x="{WIDTH / 2}" y="18" text-anchor="middle" font-size="14">{html.escape(title)}</text>'
            f'<svg x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" overflow="hidden">{body}</svg>'
            f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" fill="none" stroke="#444"/>'
            f'{ticks}<text x="{(left + right) / 2}" y="{HEIGHT - 8}" text-anchor="middle">{html.escape(xlabel)}</text>'
            f'<text transform="translate(14 {(top + bottom) / 2}) rotate(-90)" text-anchor="middle">{html.escape(ylabel)}'
            "</text></svg>")


def loss_svg(trace: Trace, previous: list[float] | None = None) -> str:
    """Loss per epoch and the trained network's at N+1, over the previous run's curve in grey."""
    losses = trace.losses()
    everything = np.array(losses + (previous or []))
    log = everything.min() > 0 and everything.max() / everything.min() > plots.LOG_ABOVE  # as plots.loss_curve decides
    low, high = (everything.min(), everything.max()) if log else (min(0.0, everything.min()), everything.max())
    locator = LogLocator() if log else MaxNLocator(5)
    ticks = [t for t in locator.tick_values(low, high) if low <= t <= high] or [low]
    if not log and high == low:
        high = low + 1  # a flat curve (epochs = 0, or a dead relu) still needs an axis
    width, height = WIDTH - PAD["left"] - PAD["right"], HEIGHT - PAD["top"] - PAD["bottom"]
    last = max(len(losses), len(previous or []))

    def curve(values, colour, thickness):
        xs = _scale(np.arange(1, len(values) + 1), 1, max(last, 2), 4, width - 4)
        ys = _scale(values, low, high, height - 4, 4, log)
        return f'<polyline points="{_points(xs, ys)}" fill="none" stroke="{colour}" stroke-width="{thickness}"/>', xs, ys

    faint = curve(previous, GREY, 2)[0] if previous else ""
    line, xs, ys = curve(losses, BLUE, 2.5)
    body = f'{faint}{line}<circle cx="{xs[-1]:.1f}" cy="{ys[-1]:.1f}" r="5" fill="{BLUE}" stroke="#000"/>'
    xticks = [(PAD["left"] + x, str(int(k))) for k, x in zip(*_ticks(1, max(last, 2), width))]
    yticks = [(PAD["top"] + y, f"{t:.3g}") for t, y in zip(ticks, _scale(ticks, low, high, height - 4, 4, log))]
    title = f"Loss {losses[0]:.4g} → {losses[-1]:.4g} in {len(trace.epochs)} epochs"
    title += " (grey: the run before)" if previous else ""
    return _frame(title, "epoch (last point: trained)", "loss L" + (" (log scale)" if log else ""), xticks, yticks, body,
                  f"Loss per epoch: {losses[0]:.6f} before training, {losses[-1]:.6f} after.")


def _ticks(first: int, last: int, width: float):
    """Whole-number epoch ticks, and where they fall."""
    ticks = [t for t in MaxNLocator(6, integer=True).tick_values(first, last) if first <= t <= last]
    return ticks, _scale(ticks, first, last, 4, width - 4)


def landscape_svg(trace: Trace) -> str:
    """The loss over two parameters (w1 and b) in colour bands, the others held at their start, and the path gradient
    descent took across it."""
    across, up = plots.landscape_parameters(trace)
    path_x, path_y = np.array(trace.series(across)), np.array(trace.series(up))
    width, height = WIDTH - PAD["left"] - PAD["right"], HEIGHT - PAD["top"] - PAD["bottom"]
    small = max(np.ptp(path_x), np.ptp(path_y)) < plots.CLOSE_UP_BELOW * plots.MIN_SPAN  # the default run moves 0.07
    grid_x, grid_y = plots.window(path_x, path_y, plots.MIN_ZOOM if small else plots.MIN_SPAN, aspect=width / height)
    L = plots.loss_grid(trace.config, across, up, grid_x, grid_y)
    norm = BoundaryNorm(MaxNLocator(plots.BANDS).tick_values(L.min(), L.max()), ncolors=256)
    # One byte a pixel, its band's colour from a palette: encoded 3–4 times faster than the colours themselves.
    picture = Image.fromarray(norm(L[::-1]).astype(np.uint8), "P")  # row 0 is the top: the largest value up
    picture.putpalette(matplotlib.colormaps["viridis"](np.arange(256), bytes=True)[:, :3].tobytes())
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    image = base64.b64encode(buffer.getvalue()).decode()
    xs = _scale(path_x, grid_x[0], grid_x[-1], 0, width)
    ys = _scale(path_y, grid_y[0], grid_y[-1], height, 0)
    body = (f'<image href="data:image/png;base64,{image}" width="{width}" height="{height}" preserveAspectRatio="none"/>'
            f'<polyline points="{_points(xs, ys)}" fill="none" stroke="{VERMILLION}" stroke-width="2.5"/>'
            f'<circle cx="{xs[0]:.1f}" cy="{ys[0]:.1f}" r="6" fill="#fff" stroke="#000"/>'
            f'<circle cx="{xs[-1]:.1f}" cy="{ys[-1]:.1f}" r="6" fill="{ORANGE}" stroke="#000"/>')
    xticks = [(PAD["left"] + x, f"{t:.4g}") for t, x in _axis(grid_x, 0, width)]
    yticks = [(PAD["top"] + y, f"{t:.4g}") for t, y in _axis(grid_y, height, 0)]
    where = "close-up of the path" if small else "the valley"
    return _frame(f"Loss over ({across}, {up}): {where}", f"{across}   (white: start, orange: trained)", up, xticks, yticks,
                  body, f"Loss over ({across}, {up}): the descent path from ({path_x[0]:.6f}, {path_y[0]:.6f})"
                        f" to ({path_x[-1]:.6f}, {path_y[-1]:.6f}).")


def _axis(grid: np.ndarray, start: float, end: float):
    """Round-number ticks inside a grid's range, and where they fall between start and end."""
    ticks = [t for t in MaxNLocator(4).tick_values(grid[0], grid[-1]) if grid[0] <= t <= grid[-1]]
    return zip(ticks, _scale(ticks, grid[0], grid[-1], start, end))

