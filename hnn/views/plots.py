"""Matplotlib figures of a trained Trace: loss curve, trajectories, loss landscape, learning-rate explorer."""
from __future__ import annotations

import io
import math
import textwrap
from array import array
from collections.abc import Sequence

import matplotlib
import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import BoundaryNorm
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullFormatter

from hnn.config import Config
from hnn.neuron import forward, loss
from hnn.trace import Run, Trace
from hnn.training import one_thread
from hnn.views.diagram import MINUS

FIGURE_INCHES = (8, 4.5)  # 16:9, the shape of a projector and of a notebook column
DPI = 100  # 800 × 450 pixels
# Okabe & Ito's palette: told apart by readers with every common form of colour blindness.
BLUE, ORANGE, GREEN, VERMILLION, PURPLE, BLACK = "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#000000"
STYLE = {
    "font.family": "DejaVu Sans",  # ships with matplotlib, so every machine draws the same glyphs
    "mathtext.fontset": "dejavusans",
    "font.size": 14,  # legible from the back of a classroom
    "axes.titlesize": 15,
    "axes.labelsize": 14,
    "xtick.labelsize": 12,
    "ytick.labelsize": 12,
    "legend.fontsize": 12,
    "lines.linewidth": 2.5,
    "lines.markersize": 6,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "image.cmap": "viridis",  # perceptually uniform and colour-blind safe
}
MARKERS_UP_TO = 50  # points per line; beyond this, markers merge into a smear (200 learning rates, 2000 epochs)
CURVE_POINTS = 2000  # a longer summary curve is drawn through its envelope, still more points than the 800 pixels across
LOG_ABOVE = 100  # a loss that spans more than two decades gets a log axis
MIN_SPAN = 2.0  # smallest landscape side, in parameter units: enough to show the valley around a tiny path
MARGIN = 0.3  # room around the path, as a fraction of its extent
CLOSE_UP_BELOW = 0.2  # a path smaller than this fraction of MIN_SPAN gets a close-up panel beside the valley
MIN_ZOOM = 1e-3  # smallest close-up side: keeps the axis limits well clear of float64 rounding
WIDE = 1.8  # width / height of a lone landscape panel, in parameter units: it fills a 16:9 figure
GRID = 301  # landscape samples per side: about one per pixel of a panel
BANDS = 10  # colour bands of the loss, at most
LINE_STYLES = ("-", "--", ":", "-.")  # when the colours run out, the next curves take the next line style
SKY, YELLOW = "#56B4E9", "#F0E442"
CYCLE = tuple(zip((BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY, BLACK, YELLOW), "os^Dv<>P"))  # colour and marker
LEGEND_BELOW = 12  # runs whose legend goes below the summary plot; more get a table beside it, the figure widened
WIDEST_INCHES = 32  # the summary's widest, 3200 pixels: a table of more runs makes it taller instead
LABEL_CHARACTERS = 40  # a longer label breaks at its commas, so that a legend of one column always fits


SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def subscripted(name: str) -> str:
    """w1 as w₁: Unicode subscripts (DejaVu Sans has them) set as plain text, where mathtext's $w_1$ costs
    milliseconds to parse at every draw."""
    return name.translate(SUBSCRIPTS)  # hnn's names carry digits only at their end


def _figure(**subplots) -> tuple[Figure, np.ndarray]:
    """A Figure not known to pyplot, so nothing leaks into a notebook's global state."""
    fig = Figure(figsize=FIGURE_INCHES, dpi=DPI, layout="constrained")
    return fig, fig.subplots(**subplots, squeeze=False).ravel()


def _marker(points: int, shape: str = "o") -> str:
    """A marker per point while the points are few enough to tell apart."""
    return shape if points <= MARKERS_UP_TO else ""


def _loss_axis(ax, losses) -> None:
    """Log scale when the loss spans more than two decades; linear if a loss is exactly 0 (log would hide it)."""
    losses = np.asarray(losses)
    if losses.min() > 0 and losses.max() / losses.min() > LOG_ABOVE:
        ax.set_yscale("log")
        _plain_labels(ax.yaxis)
    ax.set_ylabel("loss L")


def _plain_labels(axis) -> None:
    """A log axis labelled 0.001, 0.01, … in plain text: its own labels, 10⁻³, are mathtext, which takes longer to
    parse than the rest of the figure takes to draw."""
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}".replace("-", MINUS)))
    axis.set_minor_formatter(NullFormatter())  # a log axis here spans more than two decades: the powers of 10 suffice


def _per_epoch(ax, trace: Trace, values, label: str | None, color: str, shape: str = "o", dashed: bool = False) -> None:
    """Epochs 1..N (each with the parameters it started from), then the trained network at N+1; dashed with hollow,
    larger markers, a line stays visible on top of a solid one that has the same values."""
    epochs = len(trace.epochs)
    hollow = {"linestyle": "--", "markerfacecolor": "none", "markersize": 10, "markeredgewidth": 2} if dashed else {}
    ax.plot(range(1, epochs + 2), values, marker=_marker(epochs + 1, shape), label=label, color=color, **hollow,
            zorder=3 if dashed else 2)
    ax.plot(epochs + 1, values[-1], "*", markersize=16, color=color, markeredgecolor=BLACK)
    ax.set_xlabel("epoch  (★ = trained)")
    ax.xaxis.get_major_locator().set_params(integer=True)


@matplotlib.rc_context(STYLE)
def loss_curve(trace: Trace) -> Figure:
    """Loss per epoch, and the trained network's loss at N+1."""
    fig, (ax,) = _figure()
    losses = trace.losses()
    _per_epoch(ax, trace, losses, None, BLUE)
    _loss_axis(ax, losses)
    c = trace.config
    ax.set_title(f"Loss {losses[0]:.4g} → {losses[-1]:.4g} in {len(trace.epochs)} epochs"
                 f" (learning rate {c.learning_rate:g}, {c.activation})")
    return fig


@matplotlib.rc_context(STYLE)
def trajectories(trace: Trace) -> Figure:
    """The output o against its target, and how far w1, w2 and b have moved, per epoch."""
    fig, (left, right) = _figure(ncols=2)
    c = trace.config
    _per_epoch(left, trace, [e.o for e in trace.epochs] + [trace.final.o], "output o", BLUE)
    left.axhline(c.target, linestyle="--", color=BLACK, linewidth=2, label=f"target {c.target:g}")
    left.set_ylabel("o")
    left.set_title("Output")
    # The parameters start far apart (-3, 1, 6.88 by default) but move by hundredths: their change is what shows.
    changes = {name: [getattr(e, name) - getattr(c, name) for e in trace.epochs] + [getattr(trace.final, name) - getattr(c, name)]
               for name in ("w1", "w2", "b")}
    for name, color, shape in (("w1", ORANGE, "o"), ("w2", GREEN, "s"), ("b", PURPLE, "^")):  # shapes too, not colour alone
        # x2 = 1: w2 and b take the same steps, so one line would hide the other (up to rounding of their starts).
        same = " = b's" if name == "w2" and np.allclose(changes["w2"], changes["b"], rtol=1e-9, atol=1e-12) else ""
        start = f"{getattr(c, name):g}".replace("-", MINUS)
        _per_epoch(right, trace, changes[name], f"{subscripted(name)} (from {start}){same}", color, shape, dashed=name == "w2")
    right.set_ylabel("change since start")
    right.set_title("Parameters")
    fig.legend(loc="outside lower center", ncols=5, columnspacing=1.2, handlelength=1.5)
    return fig


def loss_grid(c: Config, w1: np.ndarray, b: np.ndarray) -> np.ndarray:
    """L at every (w1, b) pair with the other values from the config, as one batched tensor computation."""
    W1, B = torch.meshgrid(torch.from_numpy(w1), torch.from_numpy(b), indexing="xy")  # rows follow b, columns w1
    with one_thread():  # 90 000 losses: more threads only wait for a busy core
        _, o = forward(c.x1, c.x2, W1, c.w2, B, c.activation)
        return loss(o, c.target).numpy()


def window(w1: np.ndarray, b: np.ndarray, min_span: float, aspect: float) -> tuple[np.ndarray, np.ndarray]:
    """A (w1, b) grid around the path with a margin, `aspect` times wider than tall in parameter units."""
    height = max(min_span, (1 + 2 * MARGIN) * max(np.ptp(w1) / aspect, np.ptp(b)))
    return _around(w1, aspect * height), _around(b, height)


def _around(values: np.ndarray, span: float) -> np.ndarray:
    """GRID points over `span`, centred on the values' middle."""
    both = values.min() + values.max()
    return np.linspace((both - span) / 2, (both + span) / 2, GRID)


def _draw_landscape(ax, trace: Trace, w1: np.ndarray, b: np.ndarray, path_w1, path_b):
    """The loss in colour bands with contour lines, and the descent path from ae0 to aeN on top."""
    L = loss_grid(trace.config, w1, b)
    half_w1, half_b = (w1[1] - w1[0]) / 2, (b[1] - b[0]) / 2  # each grid value at its pixel's centre
    levels = MaxNLocator(BANDS).tick_values(L.min(), L.max())
    # Flat bands read like heights on a map, and compress to a fraction of a smooth gradient's PNG bytes.
    norm = BoundaryNorm(levels, ncolors=256)
    extent = (w1[0] - half_w1, w1[-1] + half_w1, b[0] - half_b, b[-1] + half_b)
    image = ax.imshow(L, origin="lower", extent=extent, norm=norm, interpolation="nearest")
    ax.contour(w1, b, L, levels=levels, colors="white", linewidths=0.8, alpha=0.6)  # a close-up's finer levels show here
    ax.plot(path_w1, path_b, marker=_marker(len(path_w1)), markersize=4, color=VERMILLION, label="descent path")
    last = len(path_w1) - 1
    ax.plot(path_w1[0], path_b[0], "o", markersize=11, color="white", markeredgecolor=BLACK, label=f"{subscripted('ae0')} start")
    ax.plot(path_w1[-1], path_b[-1], "*", markersize=18, color=ORANGE, markeredgecolor=BLACK,
            label=f"{subscripted(f'ae{last}')} trained")
    # Equal units on both axes, so that each step looks perpendicular to the contour it crosses, as the gradient is.
    ax.set(xlim=(w1[0], w1[-1]), ylim=(b[0], b[-1]), aspect="equal", xlabel=subscripted("w1"), ylabel="b")
    ax.locator_params(axis="x", nbins=4)  # few enough that long labels like -3.075 do not collide
    ax.grid(False)  # the contour lines already are the grid
    return image


@matplotlib.rc_context(STYLE)
def landscape(trace: Trace) -> Figure:
    """The loss over (w1, b) with w2 at its initial value, and the path gradient descent took across it."""
    c = trace.config
    states = trace.states()
    path_w1, path_b = np.array([s.w1 for s in states]), np.array([s.b for s in states])
    close_up = 0 < max(np.ptp(path_w1), np.ptp(path_b)) < CLOSE_UP_BELOW * MIN_SPAN  # no close-up of a path that never moved
    w1, b = window(path_w1, path_b, MIN_SPAN, aspect=1 if close_up else WIDE)
    fig, axes = _figure(ncols=2 if close_up else 1)
    image = _draw_landscape(axes[0], trace, w1, b, path_w1, path_b)
    if close_up:
        # The default run moves w1 by only 0.07, a dot on the whole valley: show it again, magnified, in the same colours.
        zoom_w1, zoom_b = window(path_w1, path_b, MIN_ZOOM, aspect=1)
        # Its own bands: in the valley's, a window this small is one flat colour.
        zoom = _draw_landscape(axes[1], trace, zoom_w1, zoom_b, path_w1, path_b)
        fig.colorbar(image, ax=axes[0], label="loss L")
        image = zoom
        axes[0].set_title("The valley")
        steps = f"Δ{subscripted('w1')} {path_w1[-1] - path_w1[0]:.2g}, Δb {path_b[-1] - path_b[0]:.2g}".replace("-", MINUS)
        axes[1].set_title(f"Close-up of the path\n{steps}", fontsize=12)
    fig.colorbar(image, ax=axes[-1], label="loss L")
    fig.legend(*axes[-1].get_legend_handles_labels(), loc="outside lower center", ncols=3, fontsize=11)  # off the path
    # The path moves in w2 too when x2 != 0, so it then runs near this slice rather than on it: say so.
    w2 = subscripted("w2")
    moved = "" if trace.final.w2 == c.w2 else f"\n({w2} held at its start; training moves it to {trace.final.w2:.4g})"
    fig.suptitle(f"Loss landscape: {subscripted('x1')} = {c.x1:g}, {subscripted('x2')} = {c.x2:g}, {w2} = {c.w2:g},"
                 f" target {c.target:g}{moved}")
    return fig


def best_learning_rate(traces: Sequence[Trace | Run]) -> tuple[float, float]:
    """The learning rate with the lowest final loss (the smallest such rate on a tie), and that loss."""
    best = min(traces, key=lambda t: (t.final.loss, t.config.learning_rate))
    return best.config.learning_rate, best.final.loss


@matplotlib.rc_context(STYLE)
def learning_rate_explorer(traces: Sequence[Trace | Run], learning_rate: float = Config.learning_rate) -> Figure:
    """Final loss against learning rate for runs that differ only in it; marks the best and the one in use."""
    if len({tuple(v for k, v in t.config.to_dict().items() if k != "learning_rate") for t in traces}) > 1:
        raise ValueError("the traces must differ only in learning_rate")
    traces = sorted(traces, key=lambda t: t.config.learning_rate)
    rates = [t.config.learning_rate for t in traces]
    losses = [t.final.loss for t in traces]
    fig, (ax,) = _figure()
    ax.plot(rates, losses, marker=_marker(len(traces)), color=BLUE, label="loss after training")
    ax.set_xscale("log")
    _plain_labels(ax.xaxis)
    _loss_axis(ax, losses)
    best, lowest = best_learning_rate(traces)
    if max(losses) > min(losses):  # with epochs = 0, or a dead relu, every rate gives the same loss: none is best
        ax.plot(best, lowest, "*", markersize=20, color=ORANGE, markeredgecolor=BLACK,
                label=f"best: {best:.3g} (L = {lowest:.2g})")
    else:
        ax.plot([], [], " ", label=f"every rate gives L = {lowest:.4g}")
    ax.axvline(learning_rate, linestyle="--", color=VERMILLION, linewidth=2, label=f"in use: {learning_rate:g}")
    ax.set_xlabel("learning rate η (log scale)")
    ax.set_title(f"Loss after {traces[0].config.epochs} epochs, for {len(traces)} learning rates")
    fig.legend(loc="outside lower center", ncols=3)  # below the axes: inside, it covers the curve somewhere
    return fig


@matplotlib.rc_context(STYLE)
def png(fig: Figure) -> bytes:
    """The figure as PNG bytes, the same bytes every time: fixed size and dpi, and no version string inside."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})  # lays the figure out as it draws
    fig.set_layout_engine("none")  # constrained layout would nudge fixed-aspect panels again on a second draw
    return buffer.getvalue()


def envelope(values: Sequence[float], most: int = CURVE_POINTS) -> tuple[array, array]:
    """A curve's epochs (from 1) and values, at most `most` points: a longer curve keeps its first and last point and,
    of each equal run of epochs between, the lowest and the highest value, in epoch order. Drawn, it covers the pixels
    the whole curve would, with the same least and greatest value, in 16 bytes a point whatever the epochs."""
    if len(values) <= most:
        return array("q", range(1, len(values) + 1)), array("d", values)
    y = np.asarray(values, dtype=np.float64)
    bounds = np.linspace(1, len(y) - 1, (most - 2) // 2 + 1).astype(int)  # the runs between the first and the last
    kept = {0, len(y) - 1}
    for start, stop in zip(bounds, bounds[1:]):
        run = y[start:stop]
        kept.update((start + int(run.argmin()), start + int(run.argmax())))
    points = sorted(kept)
    return array("q", (k + 1 for k in points)), array("d", y[points].tolist())


@matplotlib.rc_context(STYLE)
def loss_curves(curves: Sequence[tuple[str, Sequence[int], Sequence[float]]], title: str) -> Figure:
    """Several runs' losses per epoch on one axis, each labelled: the sweep summary. A curve is its label, its epochs and
    their losses, the last the trained network's (as envelope() keeps Trace.losses())."""
    fig, (ax,) = _figure()
    for i, (label, epochs, losses) in enumerate(curves):
        colour, shape = CYCLE[i % len(CYCLE)]
        linestyle = LINE_STYLES[i // len(CYCLE) % len(LINE_STYLES)]
        ax.plot(epochs, losses, marker=_marker(len(losses), shape), linestyle=linestyle, color=colour,
                label=textwrap.fill(label, LABEL_CHARACTERS))
    ax.set_title(title, wrap=True)
    ax.set_xlabel("epoch  (last point: the trained network)")
    if curves:
        _loss_axis(ax, [loss for _, _, losses in curves for loss in losses])
        _legend(fig, len(curves))
    return fig


def _legend(fig: Figure, runs: int) -> None:
    """A legend of every run that fits, whatever their number, measured as drawn since labels differ in length: below
    the plot, never over a curve, in as many columns as the figure's width takes; past LEGEND_BELOW runs, or when that
    would take a third of the figure's height, a table beside the plot, the figure widened to hold it (up to
    WIDEST_INCHES, then made taller)."""
    renderer = FigureCanvasAgg(fig).get_renderer()

    def legend(where: str, columns: int):
        drawn = fig.legend(loc=f"outside {where}", ncols=columns, fontsize="small")
        return drawn, drawn.get_window_extent(renderer)

    if runs <= LEGEND_BELOW:
        for columns in range(runs, 0, -1):
            below, box = legend("lower center", columns)
            if box.width <= fig.bbox.width and box.height <= fig.bbox.height / 3:
                return
            below.remove()
    one_column, box = legend("right upper", 1)
    one_column.remove()
    widest = max(1, int((WIDEST_INCHES - FIGURE_INCHES[0]) * fig.dpi // box.width))
    _, box = legend("right upper", min(widest, math.ceil(box.height / fig.bbox.height)))
    fig.set_size_inches(FIGURE_INCHES[0] + box.width / fig.dpi, max(FIGURE_INCHES[1], box.height / fig.dpi + 0.2))
