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

from hnn.config import DEFAULTS, Config
from hnn.graph import Graph
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
PARAMETER_CYCLE = tuple(zip((ORANGE, GREEN, PURPLE, SKY, VERMILLION, BLUE, BLACK, YELLOW), "os^Dv<>P"))  # w1, w2, b: as before
LEGEND_BELOW = 12  # runs whose legend goes below the summary plot; more get a table beside it, the figure widened
WIDEST_INCHES = 32  # the summary's widest, 3200 pixels: a table of more runs makes it taller instead
LABEL_CHARACTERS = 40  # a longer label breaks at its commas, so that a legend of one column always fits
TITLE_CHARACTERS = 64  # of a figure's title, across its 800 pixels


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
    chosen = "".join(f", {value}" for value in c.to_dict().values() if isinstance(value, str))  # the activation
    ax.set_title(f"Loss {losses[0]:.4g} → {losses[-1]:.4g} in {len(trace.epochs)} epochs"
                 f" (learning rate {c.learning_rate:g}{chosen})")
    return fig


def outputs(graph: Graph) -> list[tuple[str, str]]:
    """What the loss compares, (output, target): the values it subtracts a constant from, o − target."""
    pairs = [(a.name, b.name) for node in graph.nodes if node.op is not None and node.op.name == "−"
             for a, b in (node.operands, node.operands[::-1]) if b.kind == "constant" and a.name and a.op is not None]
    return list(dict.fromkeys(pairs))


@matplotlib.rc_context(STYLE)
def trajectories(trace: Trace) -> Figure:
    """Each output against its target, and how far each parameter has moved, per epoch."""
    fig, (left, right) = _figure(ncols=2)
    c, graph = trace.config, trace.graph
    for i, (output, target) in enumerate(outputs(graph)):
        colour, shape = CYCLE[i % len(CYCLE)]
        _per_epoch(left, trace, trace.series(output), f"output {output}", colour, shape)
        left.axhline(c.leaves[target], linestyle="--", color=colour if i else BLACK, linewidth=2,
                     label=f"{target} {c.leaves[target]:g}")
    left.set_ylabel(", ".join(output for output, _ in outputs(graph)))
    left.set_title("Output")
    # The parameters start far apart (-3, 1, 6.88 by default) but move by hundredths: their change is what shows.
    changes = {p: [v - c.leaves[p] for v in trace.series(p)] for p in graph.parameters}
    for i, p in enumerate(graph.parameters):
        colour, shape = PARAMETER_CYCLE[i % len(PARAMETER_CYCLE)]
        # x2 = 1: w2 and b take the same steps, so one line would hide the other (up to rounding of their starts).
        twin = next((q for q in graph.parameters[i + 1:] if np.allclose(changes[p], changes[q], rtol=1e-9, atol=1e-12)), None)
        start = f"{c.leaves[p]:g}".replace("-", MINUS)
        label = f"{subscripted(p)} (from {start})" + (f" = {subscripted(twin)}'s" if twin else "")
        _per_epoch(right, trace, changes[p], label, colour, shape, dashed=twin is not None)
    right.set_ylabel("change since start")
    right.set_title("Parameters")
    entries = len(right.get_lines()) // 2 + 2 * len(outputs(graph))  # each parameter's line, each output and target
    # Five entries fit one row; a hidden layer's fourteen need rows of four to stay inside the figure.
    fig.legend(loc="outside lower center", ncols=5 if entries <= 5 else 4, columnspacing=1.2, handlelength=1.5)
    return fig


def landscape_parameters(trace: Trace) -> tuple[str, str]:
    """The two parameters the loss landscape is drawn over: the first and the last (w1 and b), the others held."""
    parameters = trace.graph.parameters
    return parameters[0], parameters[-1]


def loss_grid(c: Config, across: str, up: str, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """L at every (across, up) pair of the two grids, every other leaf at its start, as one batched evaluation of the
    network's graph."""
    X, Y = torch.meshgrid(torch.from_numpy(xs), torch.from_numpy(ys), indexing="xy")  # rows follow up, columns across
    leaves = {name: torch.tensor(value, dtype=torch.float64) for name, value in c.leaves.items()}
    graph = c.graph
    with one_thread():  # 90 000 losses: more threads only wait for a busy core
        return graph.forward({**leaves, across: X, up: Y})[graph.loss].numpy()


def window(xs: np.ndarray, ys: np.ndarray, min_span: float, aspect: float) -> tuple[np.ndarray, np.ndarray]:
    """A grid around the path (xs, ys) with a margin, `aspect` times wider than tall in parameter units."""
    height = max(min_span, (1 + 2 * MARGIN) * max(np.ptp(xs) / aspect, np.ptp(ys)))
    return _around(xs, aspect * height), _around(ys, height)


def _around(values: np.ndarray, span: float) -> np.ndarray:
    """GRID points over `span`, centred on the values' middle."""
    both = values.min() + values.max()
    return np.linspace((both - span) / 2, (both + span) / 2, GRID)


def _draw_landscape(ax, trace: Trace, xs: np.ndarray, ys: np.ndarray, path_x, path_y):
    """The loss in colour bands with contour lines, and the descent path from ae0 to aeN on top."""
    across, up = landscape_parameters(trace)
    L = loss_grid(trace.config, across, up, xs, ys)
    half_x, half_y = (xs[1] - xs[0]) / 2, (ys[1] - ys[0]) / 2  # each grid value at its pixel's centre
    levels = MaxNLocator(BANDS).tick_values(L.min(), L.max())
    # Flat bands read like heights on a map, and compress to a fraction of a smooth gradient's PNG bytes.
    norm = BoundaryNorm(levels, ncolors=256)
    extent = (xs[0] - half_x, xs[-1] + half_x, ys[0] - half_y, ys[-1] + half_y)
    image = ax.imshow(L, origin="lower", extent=extent, norm=norm, interpolation="nearest")
    ax.contour(xs, ys, L, levels=levels, colors="white", linewidths=0.8, alpha=0.6)  # a close-up's finer levels show here
    ax.plot(path_x, path_y, marker=_marker(len(path_x)), markersize=4, color=VERMILLION, label="descent path")
    last = len(path_x) - 1
    ax.plot(path_x[0], path_y[0], "o", markersize=11, color="white", markeredgecolor=BLACK, label=f"{subscripted('ae0')} start")
    ax.plot(path_x[-1], path_y[-1], "*", markersize=18, color=ORANGE, markeredgecolor=BLACK,
            label=f"{subscripted(f'ae{last}')} trained")
    # Equal units on both axes, so that each step looks perpendicular to the contour it crosses, as the gradient is.
    ax.set(xlim=(xs[0], xs[-1]), ylim=(ys[0], ys[-1]), aspect="equal", xlabel=subscripted(across), ylabel=subscripted(up))
    ax.locator_params(axis="x", nbins=4)  # few enough that long labels like -3.075 do not collide
    ax.grid(False)  # the contour lines already are the grid
    return image


@matplotlib.rc_context(STYLE)
def landscape(trace: Trace) -> Figure:
    """The loss over two parameters, every other value at its start, and the path gradient descent took across it."""
    c, graph = trace.config, trace.graph
    across, up = landscape_parameters(trace)
    path_x, path_y = np.array(trace.series(across)), np.array(trace.series(up))
    close_up = 0 < max(np.ptp(path_x), np.ptp(path_y)) < CLOSE_UP_BELOW * MIN_SPAN  # no close-up of a path that never moved
    xs, ys = window(path_x, path_y, MIN_SPAN, aspect=1 if close_up else WIDE)
    fig, axes = _figure(ncols=2 if close_up else 1)
    image = _draw_landscape(axes[0], trace, xs, ys, path_x, path_y)
    if close_up:
        # The default run moves w1 by only 0.07, a dot on the whole valley: show it again, magnified, in the same colours.
        zoom_x, zoom_y = window(path_x, path_y, MIN_ZOOM, aspect=1)
        # Its own bands: in the valley's, a window this small is one flat colour.
        zoom = _draw_landscape(axes[1], trace, zoom_x, zoom_y, path_x, path_y)
        fig.colorbar(image, ax=axes[0], label="loss L")
        image = zoom
        axes[0].set_title("The valley")
        steps = (f"Δ{subscripted(across)} {path_x[-1] - path_x[0]:.2g}, Δ{subscripted(up)} {path_y[-1] - path_y[0]:.2g}"
                 .replace("-", MINUS))
        axes[1].set_title(f"Close-up of the path\n{steps}", fontsize=12)
    fig.colorbar(image, ax=axes[-1], label="loss L")
    fig.legend(*axes[-1].get_legend_handles_labels(), loc="outside lower center", ncols=3, fontsize=11)  # off the path
    held = [name for name in graph.leaves if name not in (across, up) and name in graph.values]
    written = ", ".join(f"{subscripted(name)} {'' if name in graph.constants else '= '}{c.leaves[name]:g}".replace(" ", "\u00a0")
                        for name in held)  # no break inside "w₂ = 1" when a long title wraps
    # The path moves in the other parameters too (w2 when x2 != 0), so it then runs near this slice rather than on it.
    moved = [p for p in graph.parameters if p in held and trace.final[p] != c.leaves[p]]
    lines = [f"{subscripted(p)} held at its start; training moves it to {trace.final[p]:.4g}" for p in moved]
    if len(moved) > 1:  # a hidden layer's six: one line says it of them all
        lines = [f"{', '.join(map(subscripted, moved))} held at their starts; training moves them too"]
    title = textwrap.fill(f"Loss landscape: {written}", TITLE_CHARACTERS)  # a hidden layer holds 12 leaves
    fig.suptitle(title + "".join(f"\n({line})" for line in lines))
    return fig


def best_learning_rate(traces: Sequence[Trace | Run]) -> tuple[float, float]:
    """The learning rate with the lowest final loss (the smallest such rate on a tie), and that loss."""
    best = min(traces, key=lambda t: (t.final.loss, t.config.learning_rate))
    return best.config.learning_rate, best.final.loss


@matplotlib.rc_context(STYLE)
def learning_rate_explorer(traces: Sequence[Trace | Run], learning_rate: float = DEFAULTS["learning_rate"]) -> Figure:
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
