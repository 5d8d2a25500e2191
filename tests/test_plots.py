"""The figures draw the trace's own numbers, the landscape is the loss the maths gives, and png() is reproducible."""
import functools
import math
import random
import struct

import numpy as np
import pytest

import hnn
from hnn.views import plots
from tests import plain

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
RUNS = {  # shared by several tests, each trained once (a Config is hashable)
    "sigmoid": hnn.Config(activation="sigmoid", target=0.2, learning_rate=1, epochs=20),
    "relu": hnn.Config(activation="relu", x2=-0.5, learning_rate=0.1, epochs=5),
    "0-epochs": hnn.Config(epochs=0),
    "2000-epochs": hnn.Config(epochs=2000, learning_rate=0.05),
}
trained = functools.cache(hnn.train)


@pytest.fixture(scope="module")
def default():
    return trained(hnn.Config())


@pytest.fixture(scope="module")
def oscillating():
    return trained(hnn.Config(learning_rate=0.5, epochs=30))


def ydata(line):
    return list(line.get_ydata())


def test_loss_curve_plots_each_epochs_loss_then_the_trained_loss(default):
    ax = plots.loss_curve(default).axes[0]
    x, y = ax.lines[0].get_data()
    assert list(x) == list(range(1, 12))
    assert list(y) == [e.loss for e in default.epochs] + [default.final.loss]
    assert list(y) == pytest.approx([s.loss for s in plain.replay()[0]] + [plain.replay()[1].loss], rel=1e-12)
    assert ax.lines[1].get_data() == ([11], [default.final.loss])  # the "trained" star
    assert ax.get_yscale() == "linear"  # 0.25 to 0.18 is far less than two decades


def test_loss_curve_turns_logarithmic_when_the_loss_spans_more_than_two_decades(oscillating):
    losses = oscillating.losses()
    assert max(losses) / min(losses) > 100
    assert plots.loss_curve(oscillating).axes[0].get_yscale() == "log"


def test_trajectories_plot_the_output_against_its_target_and_each_parameters_change(oscillating):
    left, right = plots.trajectories(oscillating).axes
    c = oscillating.config
    assert ydata(left.lines[0]) == [e.o for e in oscillating.epochs] + [oscillating.final.o]
    assert ydata(left.lines[0])[0] == pytest.approx(math.tanh(c.x1 * c.w1 + c.x2 * c.w2 + c.b), rel=1e-12)
    assert ydata(left.lines[2]) == [c.target, c.target]  # the dashed target line
    for line, name in zip(right.lines[::2], ("w1", "w2", "b")):  # each parameter's line is followed by its star
        start = getattr(c, name)
        moved = [getattr(e, name) - start for e in oscillating.epochs] + [getattr(oscillating.final, name) - start]
        assert ydata(line) == moved


def panels(fig):
    return [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]


@pytest.fixture(scope="module")
def default_landscape(default):
    return plots.landscape(default)


@pytest.mark.parametrize("config", [hnn.Config(), *RUNS.values()], ids=["tanh", *RUNS])
def test_landscape_colours_are_the_loss_and_its_path_is_the_traces_states(config):
    trace = trained(config)
    for ax in panels(plots.landscape(trace)):
        image = ax.images[0]
        L = image.get_array()
        left, right, bottom, top = image.get_extent()
        rows, columns = L.shape
        for i, j in [(0, 0), (0, columns - 1), (rows - 1, 0), (rows - 1, columns - 1), (100, 100), (37, 151)]:
            w1 = left + (j + 0.5) * (right - left) / columns  # the centre of pixel (i, j); row 0 is the bottom
            b = bottom + (i + 0.5) * (top - bottom) / rows
            want = plain.loss(config.x1, config.x2, w1, config.w2, b, config.target, config.activation)
            assert L[i, j] == pytest.approx(want, rel=1e-12, abs=1e-15)
        path_w1, path_b = ax.lines[0].get_data()
        assert list(path_w1) == trace.series("w1") and list(path_b) == trace.series("b")
        (left, right), (bottom, top) = ax.get_xlim(), ax.get_ylim()
        assert left < min(path_w1) <= max(path_w1) < right and bottom < min(path_b) <= max(path_b) < top


def test_the_default_run_shows_the_whole_valley_and_a_close_up_of_its_short_path(default, default_landscape):
    valley, close_up = panels(default_landscape)
    assert np.ptp(valley.get_xlim()) >= 2 and np.ptp(valley.get_ylim()) >= 2
    assert valley.images[0].get_array().min() < 1e-4  # it reaches the valley floor, where n = 2*w1 + b = 0
    path_w1 = default.series("w1")
    assert np.ptp(close_up.get_xlim()) < 3 * (max(path_w1) - min(path_w1))  # the path fills the close-up


def test_landscape_says_when_w2_moves_off_the_drawn_slice(default_landscape):
    assert "training moves it to" in plots.landscape(hnn.train(hnn.Config(x2=1.5, epochs=3))).get_suptitle()
    assert "moves" not in default_landscape.get_suptitle()


@pytest.fixture(scope="module")
def sweep():
    rates = list(np.geomspace(1e-3, 10, 60))
    traces = hnn.train_many(hnn.configs(learning_rate=rates, epochs=10))
    return rates, traces


def test_learning_rate_explorer_plots_the_final_loss_of_each_rate_in_order(sweep):
    rates, traces = sweep
    shuffled = random.Random(0).sample(traces, len(traces))
    ax = plots.learning_rate_explorer(shuffled).axes[0]
    x, y = ax.lines[0].get_data()
    assert list(x) == rates
    assert list(y) == [t.final.loss for t in traces]
    assert ax.get_xscale() == "log"
    star = ax.lines[1].get_data()
    lowest = min(range(len(traces)), key=lambda k: traces[k].final.loss)
    assert (list(star[0]), list(star[1])) == ([rates[lowest]], [traces[lowest].final.loss])
    assert list(ax.lines[2].get_xdata()) == [0.01, 0.01]  # the notebook's default rate


def test_best_learning_rate_is_the_rate_with_the_lowest_final_loss(sweep):
    rates, traces = sweep
    losses = dict(zip(rates, (plain.replay(t.config)[1].loss for t in traces)))  # retrained in plain floats
    rate, lowest = plots.best_learning_rate(traces)
    # Near 1e-30 the two float orders of operations differ in the last bits, so compare at that scale.
    assert lowest == pytest.approx(min(losses.values()), abs=1e-20)
    assert losses[rate] == pytest.approx(min(losses.values()), abs=1e-20)


def test_learning_rate_explorer_refuses_runs_that_differ_in_more_than_the_rate():
    traces = hnn.train_many(hnn.configs(learning_rate=[0.1, 0.2], epochs=[5, 6]))
    with pytest.raises(ValueError, match="differ only in learning_rate"):
        plots.learning_rate_explorer(traces)


def test_png_is_the_same_bytes_every_time_at_800_by_450(default_landscape):
    data = plots.png(default_landscape)
    assert data.startswith(PNG_SIGNATURE)
    assert struct.unpack(">II", data[16:24]) == (800, 450)  # IHDR width and height
    assert plots.png(default_landscape) == data
    assert plots.png(plots.landscape(hnn.train())) == data  # a fresh figure of a fresh run, too
    assert b"Software" not in data and b"atplotlib" not in data  # no version string to differ between machines


@pytest.mark.parametrize("config", RUNS.values(), ids=RUNS)
def test_loss_curve_and_trajectories_draw_for_other_activations_and_extreme_epochs(config):
    trace = trained(config)  # the landscape's own test covers these runs
    for figure in (plots.loss_curve, plots.trajectories):
        fig = figure(trace)  # each figure is laid out, so drawn once, before it is returned
        assert fig.canvas.manager is None  # not registered with pyplot: nothing leaks into a notebook
        assert len(ydata(fig.axes[0].lines[0])) == len(trace.epochs) + 1


def test_explorer_draws_no_best_star_when_every_rate_gives_the_same_loss():
    start = plain.replay(epochs=0)[1].loss  # epochs = 0: every rate leaves the starting loss
    runs = hnn.train_many(hnn.configs(hnn.Config(epochs=0), learning_rate=[0.01, 0.1, 1.0]), record=False)
    fig = plots.learning_rate_explorer(runs)
    assert not [line for line in fig.axes[0].lines if line.get_marker() == "*"]
    assert [t.get_text() for t in fig.legends[0].get_texts()][1] == f"every rate gives L = {start:.4g}"


def test_w2_is_dashed_and_labelled_when_it_takes_the_same_steps_as_b():
    steps, final = plain.replay(x2=1.0)  # with x2 = 1, dL/dw2 = x2 · dL/dn = dL/db in every epoch
    assert all(math.isclose(s.dL_dw2, s.dL_db, rel_tol=1e-15) for s in steps)
    fig = plots.trajectories(trained(hnn.Config(x2=1.0)))
    w2 = next(line for line in fig.axes[1].lines if line.get_label().startswith("w₂"))
    assert w2.get_linestyle() == "--" and w2.get_markerfacecolor() == "none"
    assert w2.get_label().endswith("= b's")
    assert not any(line.get_label().endswith("= b's") for line in trajectories_lines(trained(hnn.Config())))


def trajectories_lines(trace):
    return plots.trajectories(trace).axes[1].lines


def test_summary_curves_take_the_diagrams_colours_and_markers_and_a_legend_inside_the_figure():
    labels = ["learning_rate=0.1", "activation=sigmoid, target=0.5, learning_rate=0.5, epochs=30", "x2=1.0"]
    curves = [(label, *plots.envelope(trained(hnn.Config(epochs=3)).losses())) for label in labels]
    fig = plots.loss_curves(curves, "Loss per epoch")
    plots.png(fig)  # lays the figure out
    lines = fig.axes[0].lines
    assert [(line.get_color(), line.get_marker()) for line in lines] == [("#0072B2", "o"), ("#E69F00", "s"), ("#009E73", "^")]
    box = fig.legends[0].get_window_extent()
    assert 0 <= box.x0 and box.x1 <= fig.bbox.width and 0 <= box.y0, "the legend runs off the figure"


SUMMARY_LABELS = {  # runs → their labels: the first is `hnn sweep --param learning_rate=0.001,0.1,0.199,0.298,0.397,0.496
    # --param epochs=10`, whose legend ran off the figure ("earning_rate=0.001")
    6: [f"learning_rate={rate}" for rate in (0.001, 0.1, 0.199, 0.298, 0.397, 0.496)],
    "5 long": [f"activation=sigmoid, target=0.5, learning_rate={k / 10}, epochs=30, x1=1.5, x2=-0.5" for k in range(1, 6)],
    13: [f"learning_rate={k / 100}" for k in range(1, 14)],
    60: [f"learning_rate={k / 100}, epochs=10" for k in range(1, 61)],  # the plot's area collapsed from about 50
}


@pytest.mark.parametrize("runs", list(SUMMARY_LABELS))
def test_the_summary_legend_fits_whatever_the_runs_below_the_plot_or_past_a_dozen_beside_it(runs):
    labels = SUMMARY_LABELS[runs]
    losses = [0.5 ** (k / 10) for k in range(11)]
    fig = plots.loss_curves([(label, range(1, 12), [loss * (1 + i / 100) for loss in losses]) for i, label in enumerate(labels)],
                            "Loss per epoch")
    plots.png(fig)  # lays the figure out, and fails the test with a warning if the layout collapses
    (legend,) = fig.legends
    texts = [*legend.get_texts(), fig.axes[0].title, fig.axes[0].xaxis.label, fig.axes[0].yaxis.label]
    figure, plot, table = fig.bbox, fig.axes[0].get_window_extent(), legend.get_window_extent()
    boxes = {t.get_text(): t.get_window_extent() for t in texts}
    assert [text for text, box in boxes.items() if not figure.contains(*box.p0) or not figure.contains(*box.p1)] == []
    assert sorted(t.get_text().replace("\n", " ") for t in legend.get_texts()) == sorted(labels)
    assert plot.width >= 5 * fig.dpi and plot.height >= 2.5 * fig.dpi  # the plot keeps its size beside the legend
    if len(labels) <= 12 and runs != "5 long":
        assert table.y1 <= plot.y0, "the legend is below the plot"
    else:  # a table beside the plot
        assert table.x0 >= plot.x1 and table.y1 <= figure.y1


def test_a_summary_curve_of_100_000_epochs_keeps_at_most_2000_of_its_points_and_covers_every_pixel_column():
    rng = random.Random(5)
    values = [math.exp(-k / 20_000) * (1 + 0.5 * math.sin(k / 700)) + rng.random() / 10 for k in range(100_001)]
    epochs, kept = plots.envelope(values)
    assert len(epochs) <= 2000 and list(epochs) == sorted(set(epochs)) and (epochs[0], epochs[-1]) == (1, 100_001)
    assert list(kept) == [values[k - 1] for k in epochs]  # points of the curve, not averages
    column = len(values) // 800  # the figure is 800 pixels across, so no column holds fewer epochs than this
    for start in range(0, len(values), column):
        near = [v for k, v in zip(epochs, kept) if start - column < k <= start + 2 * column]
        assert min(near) <= min(values[start:start + column]) and max(values[start:start + column]) <= max(near)
    short = [0.5 ** k for k in range(2000)]
    assert [list(half) for half in plots.envelope(short)] == [list(range(1, 2001)), short]  # drawn whole, as before
    epochs, kept = plots.envelope(values, 200)  # a sweep of 1000 runs gives each curve 200 points
    assert len(epochs) <= 200 and min(kept) == min(values) and max(kept) == max(values)
