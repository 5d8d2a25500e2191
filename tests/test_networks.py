"""Networks as code: networks written in the tests (tests/networks.py) train as their hand-written replays in plain
floats say (tests/plain.py), every named value and gradient of every epoch at 1e-12; Mazur's published numbers; a
wrong local derivative and a student's slips are one line each; and the seed neuron, written the same way, gives
what it gave before it was (tests/reference/before, taken from the code before the change), byte for byte."""
import json
import math
import re
from pathlib import Path

import nbformat
import pytest
import torch

import hnn
from hnn.views import diagram, frames, log, narrative
from hnn.views.diagram import Display
from tests import plain
from tests.networks import two_two_one, two_two_two
from tests.test_worksheet import six

BEFORE = Path(__file__).parent / "reference" / "before"
SEED_RUNS = {  # the runs whose log and JSON were taken before the change, by their file names
    "default": {},
    "learning_rate-0.5_epochs-30": dict(learning_rate=0.5, epochs=30),
    "sigmoid_x2-0.5_target-0.3_epochs-3": dict(activation="sigmoid", x2=0.5, target=0.3, epochs=3),
    "relu_w1--5_target-0.5_epochs-2": dict(activation="relu", w1=-5, target=0.5, epochs=2),
    "epochs-0": dict(epochs=0),
    "relu_x2-1.0_epochs-4": dict(x2=1.0, epochs=4, activation="relu"),
}
HIDDEN = {  # the 2-2-2 network's runs, each with its replay
    "Mazur's": (dict(learning_rate=0.5, epochs=4), {}),
    "tanh": (dict(learning_rate=0.3, epochs=4, activation="tanh"), dict(activation="tanh")),
    "trained biases": (dict(learning_rate=0.5, epochs=4, train_biases=True), dict(train_biases=True)),
    "asymmetric start": (dict(learning_rate=0.8, epochs=3, w1=-0.4, w4=0.9, w6=-0.3, x2=-0.7),
                         dict(w1=-0.4, w4=0.9, w6=-0.3, x2=-0.7)),
}


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)


def assert_replayed(trace, replay: list[dict]) -> None:
    """Every named value, autograd's and the hand backpropagation's gradient of each, every local derivative and path
    shown on its own, and every parameter after the update, epoch by epoch, equal the replay's."""
    assert len(trace.epochs) == len(replay)
    for e, r in zip(trace.epochs, replay):
        for name in trace.graph.values:
            assert close(e.values[name], r[name]), (e.epoch, name)
        for name in trace.graph.graded:
            assert close(e.grad[name], r[f"dL/d{name}"]) and close(e.hand[name], r[f"dL/d{name}"]), (e.epoch, name)
            assert math.isclose(e.fd[name], r[f"dL/d{name}"], rel_tol=1e-6, abs_tol=1e-9), (e.epoch, name)
        for name in (*e.local, *e.terms):
            assert close({**e.local, **e.terms}[name], r[name]), (e.epoch, name)
        for name in trace.graph.parameters:
            assert close(e.updated[name], r[f"new {name}"]), (e.epoch, name)


def assert_stepped_as_replayed(shown: list[dict], replay: list[dict], trained: dict) -> set[str]:
    """Every frame of a 2-2-2 stepper, as hnn made it or as a browser drew it (its epoch, step, lines and the text of each
    slot, by the name of the value it shows), says the replay's numbers: each slot the value of its epoch (the trained
    network's, after the last), and each line that computes a value its result. The names computed, as a set."""
    said = set()
    for frame in shown:
        numbers = replay[frame["epoch"] - 1] if frame["epoch"] else trained
        for name, text in frame["slots"].items():
            assert text in ("", six(numbers[name])), (frame["epoch"], frame["step"], name, text)
        if frame["epoch"] and frame["step"] != frames.STEP0:
            result = re.fullmatch(r"(.+?) = .* = (−?[\d.]+)", frame["lines"][-1])
            assert result and result.group(2) == six(numbers[result.group(1)]), (frame["epoch"], frame["lines"][-1])
            said.add(result.group(1))
    return said


@pytest.mark.parametrize("case", HIDDEN)
def test_a_two_two_two_network_trains_as_its_replay_at_every_epoch(case):
    settings, replayed = HIDDEN[case]
    trace = hnn.train(hnn.Config(two_two_two, **settings))
    assert_replayed(trace, plain.replay_hidden_layer(settings["epochs"], settings["learning_rate"], **replayed))
    assert set(trace.epochs[0].terms) >= {"dL/dh1 via no1", "dL/dh1 via no2", "dL/dh2 via no1", "dL/dh2 via no2"}


def test_a_two_two_one_tanh_network_trains_as_its_replay_at_every_epoch():
    trace = hnn.train(hnn.Config(two_two_one, learning_rate=0.2, epochs=5))
    assert_replayed(trace, plain.replay_two_two_one(5, 0.2))
    assert trace.graph.parameters == ("w1", "w2", "w3", "w4", "w5", "w6", "b1", "b2", "b3")


def test_mazurs_published_numbers():
    """A Step by Step Backpropagation Example (Matt Mazur): total error 0.298371109; after the update w5 = 0.35891648,
    w1 = 0.149780716."""
    e = hnn.train(hnn.Config(two_two_two, learning_rate=0.5, epochs=1)).epoch(1)
    assert (round(e.loss, 9), round(e.updated.w5, 8), round(e.updated.w1, 9)) == (0.298371109, 0.35891648, 0.149780716)


@pytest.mark.parametrize("case", ["the lesson's own", *HIDDEN])
def test_hnn_run_lesson_hidden_layer_json_is_the_replay_at_every_epoch(case, hnn_cli):
    """`hnn run --lesson hidden-layer --json`, with the lesson's values (Mazur's, 100 epochs) and with other sets: every
    value, gradient and updated parameter of every epoch, and the trained network, are the replay's."""
    settings, replayed = HIDDEN.get(case, (dict(learning_rate=0.5, epochs=100), {}))
    options = [f"--{name.replace('_', '-')}={value}" for name, value in {**settings, **replayed}.items()]
    result = hnn_cli("run", "--lesson", "hidden-layer", "--json", *(options if case in HIDDEN else []))
    assert result.returncode == 0 and result.stderr == ""
    data = json.loads(result.stdout)
    *replay, trained = plain.replay_hidden_layer(settings["epochs"] + 1, settings["learning_rate"], **replayed)
    parameters = [f"w{k}" for k in range(1, 9)] + (["b1", "b2"] if replayed.get("train_biases") else [])
    assert [e["epoch"] for e in data["epochs"]] == list(range(1, len(replay) + 1))
    for e, r in zip(data["epochs"], replay):
        assert list(e) == ["epoch", *parameters, "nh1", "h1", "nh2", "h2", "no1", "o1", "no2", "o2", "loss", "grad",
                           "updated"]
        assert set(e["grad"]) == {*parameters, "x1", "x2", "nh1", "h1", "nh2", "h2", "no1", "o1", "no2", "o2"}
        assert list(e["updated"]) == parameters
        for name in list(e)[1:-2]:
            assert close(e[name], r["L" if name == "loss" else name]), (e["epoch"], name)
        for name, value in e["grad"].items():
            assert close(value, r[f"dL/d{name}"]), (e["epoch"], name)
        for name, value in e["updated"].items():
            assert close(value, r[f"new {name}"]), (e["epoch"], name)
    for name, value in data["final"].items():
        assert close(value, trained["L" if name == "loss" else name]), name


def test_mazurs_published_numbers_from_the_lesson_and_where_its_notebook_shows_them(hnn_cli):
    """Mazur's total error 0.298371109 and, after the update, w5 = 0.35891648 and w1 = 0.149780716: from `hnn run
    --lesson hidden-layer`, and printed so by the committed notebook below the text that cites them."""
    first = json.loads(hnn_cli("run", "--lesson", "hidden-layer", "--epochs", "1", "--json").stdout)["epochs"][0]
    assert (round(first["loss"], 9), round(first["updated"]["w5"], 8), round(first["updated"]["w1"], 9)) == (
        0.298371109, 0.35891648, 0.149780716)
    cells = nbformat.read(Path(__file__).parents[1] / "notebooks" / "hidden_layer.ipynb", 4).cells
    cited = next(i for i, cell in enumerate(cells) if cell.cell_type == "markdown" and "0.298371109" in cell.source)
    assert "w5 = 0.35891648" in cells[cited].source and "w1 = 0.149780716" in cells[cited].source
    printed = "".join(output.get("text", "") for output in cells[cited + 1].outputs)
    assert "total error:        0.298371109" in printed and "w5 = 0.35891648, w1 = 0.149780716" in printed


def test_the_batched_engine_runs_the_same_graph():
    configs = hnn.configs(hnn.Config(two_two_two, epochs=3), learning_rate=[0.1, 0.5, 2.0])
    for batched, config in zip(hnn.train_many(configs), configs):
        single = hnn.train(config)
        for a, b in zip(batched.epochs, single.epochs):
            for group in ("values", "grad", "hand", "local", "terms", "updated"):
                assert dict(getattr(a, group)) == pytest.approx(dict(getattr(b, group)), rel=1e-12, abs=1e-15)
            assert dict(a.fd) == pytest.approx(dict(b.fd), rel=1e-6, abs=1e-9)  # a finite difference's own error


def test_the_seeds_log_and_json_are_byte_for_byte_what_they_were():
    for name, settings in SEED_RUNS.items():
        trace = hnn.train(hnn.Config(**settings))
        assert log.walkthrough(trace) == (BEFORE / f"{name}.log").read_text(), name
        assert trace.to_json() + "\n" == (BEFORE / f"{name}.json").read_text(), name


def test_the_seeds_diagrams_stepper_and_narrative_are_what_they_were():
    trace = hnn.train()
    for k in range(11):
        assert diagram.network(trace, k).source == (Path(__file__).parents[1] / "diagrams" / f"ae{k}.gv").read_text()
    steps = frames.frames(trace, Display())
    first = diagram.stepper(trace, frames._blank_slots(trace) | steps[0]["slots"], caption=frames.HOW_TO_STEP)
    assert first.source == (BEFORE / "stepper_first_frame.gv").read_text()
    before = json.loads((BEFORE / "stepper_epoch1.json").read_text())
    assert [(f["epoch"], f["step"], f["lines"][-1], f["slots"]) for f in steps[:15]] == [
        (f["epoch"], f["step"], f["line"], f["slots"]) for f in before]
    written = {passage: write(trace) for passage, write in narrative.PASSAGES.items()}
    written |= {"alt ae0": narrative.diagram_alt(trace, 0, "network"), "alt ae10": narrative.diagram_alt(trace, 10, "network")}
    assert written == json.loads((BEFORE / "narrative.json").read_text())


def wrong_tanh():
    """tanh with a classic slip in its derivative: 1 − o, not 1 − o²."""
    return hnn.Op("tanh", torch.tanh, lambda n, o: 1 - o, activation=True, reaches=lambda t: -1 < t < 1,
                  range_text="-1 < {0} < 1")


def test_a_wrong_local_derivative_is_one_line_that_names_it():
    with pytest.raises(hnn.GradientMismatch) as raised:
        hnn.train(hnn.Config(activation=wrong_tanh()))
    message = str(raised.value)
    assert "\n" not in message
    # The first value whose gradient disagrees, below o: n; autograd's number, then the hand one, each in full.
    autograd = 0.7071199874301227 * (1 - 0.7071199874301227**2)
    by_hand = 0.7071199874301227 * (1 - 0.7071199874301227)
    assert message == (f"epoch 1: dL/dn is {autograd!r} by autograd but {by_hand!r} by backpropagation by hand: tanh's local"
                       f" derivative with respect to n gives {1 - 0.7071199874301227!r} by hand but"
                       f" {1 - 0.7071199874301227**2!r} by autograd, so its derivative (not its forward pass) is wrong")


def test_a_wrong_local_derivative_in_a_hidden_layer_names_the_hidden_value():
    with pytest.raises(hnn.GradientMismatch, match=r"^epoch 1: dL/dno1 is .* by autograd but .*: tanh's local derivative"
                                                   r" with respect to no1 gives .* by hand but .* by autograd, so its"):
        hnn.train(hnn.Config(two_two_two, activation=wrong_tanh(), epochs=1))


@pytest.mark.parametrize(("line", "said"), [
    ("o = math.tanh(n)", "a value of the network is not a number: math's functions, float() and numpy cannot take it"),
    ("o = np.tanh(n)", "a value of the network is not a number: math's functions, float() and numpy cannot take it"),
    ("o = n if n > 0 else 0", "an `if`, `and`, `or` or comparison cannot depend on a value of the network"),
    ("o = tahn(n)", "NameError: name 'tahn' is not defined"),
])
def test_a_slip_in_a_networks_code_is_one_line_with_its_line(line, said, tmp_path, monkeypatch):
    module = f"cell_{abs(hash(line))}"  # a module of its own for each slip
    (tmp_path / f"{module}.py").write_text(f'''import math

import numpy as np

import hnn


@hnn.network(inputs="x", parameters="w", constants="t")
def broken(x=1.0, w=0.5, t=0.0):
    n = x*w
    {line}
    return 0.5 * (o - t)**2
''')
    monkeypatch.syspath_prepend(tmp_path)
    with pytest.raises(hnn.NetworkError) as raised:  # where the network is written, not where it is first trained
        __import__(module)
    assert str(raised.value).startswith(f"line 11 of broken, `{line}`: {said}")
    assert "\n" not in str(raised.value)


def test_an_if_on_a_value_a_parameter_that_never_reaches_the_loss_and_no_loss_are_each_one_line():
    with pytest.raises(hnn.NetworkError, match=r"^line \d+ of branching, `if n > 0:`: an `if`, `and`, `or` or comparison"):
        @hnn.network(inputs="x", parameters="w", constants="t")
        def branching(x=1.0, w=0.5, t=0.0):
            n = x * w
            if n > 0:
                n = n + 1
            return 0.5 * (n - t)**2

    with pytest.raises(hnn.NetworkError, match=r"^parameter v of unused does not reach the loss L: its gradient would"):
        @hnn.network(inputs="x", parameters="w v", constants="t")
        def unused(x=1.0, w=0.5, v=2.0, t=0.0):
            return 0.5 * (x * w - t)**2

    with pytest.raises(hnn.NetworkError, match=r"^network lossless returns nothing: end it with `return L`, L its loss$"):
        @hnn.network(inputs="x", parameters="w", constants="t")
        def lossless(x=1.0, w=0.5, t=0.0):
            L = 0.5 * (x * w - t)**2  # noqa: F841  the slip: no return

    with pytest.raises(hnn.NetworkError, match=r"^network leafy must return its loss, computed from its values; it returned w$"):
        @hnn.network(inputs="x", parameters="w", constants="t")
        def leafy(x=1.0, w=0.5, t=0.0):
            return w


def test_every_view_draws_the_two_two_two_network():
    """The log, the JSON, both diagrams, the stepper's frames against the replay, the narrative, a worksheet and the
    plots, all from the graph: hnn/ has no code of this network."""
    from hnn.views import plots, worksheet
    from hnn.views.render import render

    trace = hnn.train(hnn.Config(two_two_two, learning_rate=0.5, epochs=2))
    replay = plain.replay_hidden_layer(2, 0.5)
    text = log.walkthrough(trace)
    assert "dL/dh1 = w5 * -(target1 - o1) * o1 * (1 - o1) + w7 * -(target2 - o2) * o2 * (1 - o2)" in text
    w5 = re.search(r"updated w5 = (\S+) \(w5 = w5 - lr \* w5.grad = 0.4 - 0.5 \* (\S+)\)", text)
    assert (float(w5.group(1)), float(w5.group(2))) == pytest.approx((replay[0]["new w5"], replay[0]["dL/dw5"]), abs=5e-7)
    data = json.loads(trace.to_json())
    assert set(data["epochs"][0]) == {"epoch", "w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8", "nh1", "h1", "nh2", "h2",
                                      "no1", "o1", "no2", "o2", "loss", "grad", "updated"}
    assert data["epochs"][1]["grad"]["h2"] == pytest.approx(replay[1]["dL/dh2"], rel=1e-12)
    for k in range(3):
        for view in (diagram.network, diagram.computation_graph):
            svg = render([view(trace, k).source])[0].decode()
            assert f">{diagram.num(trace.state(k)['o2'])}<" in svg.replace("−", "−")
    assert "h1 = sigmoid(nh1)" in diagram.network(trace, 0).source
    said = assert_stepped_as_replayed(frames.frames(trace, Display()), replay, plain.replay_hidden_layer(3, 0.5)[-1])
    assert {"dL/dh1 via no1", "dL/dh1 via no2", "dL/dh1", "do1/dno1", "dL/dx2"} <= said
    for passage in narrative.PASSAGES.values():
        assert passage(trace)
    assert "h_1" in narrative.forward(trace) and "0.298371" in narrative.forward(trace)
    sheet = "".join(page.source for page in worksheet.page(trace, 1))
    assert "dL/dh1 = w5 · dL/dno1 + w7 · dL/dno2" in sheet and "h1 = sigmoid(nh1) = 1 / (1 + exp(−nh1))" in sheet
    for figure in (plots.loss_curve, plots.trajectories, plots.landscape):
        assert plots.png(figure(trace)).startswith(b"\x89PNG")
    assert plots.outputs(trace.graph) == [("o1", "target1"), ("o2", "target2")]


def test_hnn_knows_no_network_of_the_tests():
    source = "".join(path.read_text() for path in (Path(__file__).parents[1] / "hnn").rglob("*.py"))
    assert "two_two_two" not in source and "two_two_one" not in source
