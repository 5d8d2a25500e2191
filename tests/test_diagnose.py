"""The maths' edge cases, each against the chain rule in plain floats (tests/plain.py), and the notes hnn.views.diagnose
writes for them."""
import json
import math
import os
import re

import nbformat
import pytest

import hnn
import hnn.notebook as hn
from hnn.views.diagnose import diagnose
from hnn.views.diagram import Display, network, write
from tests.conftest import WALKTHROUGH
from tests.plain import ACTIVATION, SLOPE, replay

# 2. The maths' edge cases, against the chain rule in plain floats.

def plain(**hyperparameters):
    """Every epoch's (n, o, loss, dL/dw1, dL/dw2, dL/db), and the trained (w1, w2, b), from tests/plain.py's replay."""
    steps, final = replay(**hyperparameters)
    return [(s.n, s.o, s.loss, s.dL_dw1, s.dL_dw2, s.dL_db) for s in steps], (final.w1, final.w2, final.b)


def leaf_grads(e) -> tuple:
    return e.grad.w1, e.grad.w2, e.grad.b, e.grad.x1, e.grad.x2


def params(state) -> tuple:
    """The neuron's parameters, in an epoch or the trained network."""
    return state.w1, state.w2, state.b


def assert_matches_plain(trace, rows):
    got = [(e.n, e.o, e.loss, e.grad.w1, e.grad.w2, e.grad.b) for e in trace.epochs]
    assert len(got) == len(rows)
    for k, (ours, theirs) in enumerate(zip(got, rows)):
        assert all(math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-15) for a, b in zip(ours, theirs)), f"epoch {k + 1}"


@pytest.mark.parametrize(
    "parameters,n",
    [(dict(b=10.0), 4.0), (dict(activation="sigmoid", target=0.5, b=12.0), 6.0)],
    ids=["tanh", "sigmoid"],
)
def test_saturation_makes_every_gradient_tiny_and_is_noted(parameters, n):
    rows, _ = plain(**parameters)
    trace = hnn.train(hnn.Config(**parameters))
    assert_matches_plain(trace, rows)
    o = ACTIVATION[trace.config.activation](n)
    slope = SLOPE[trace.config.activation](n, o)
    assert slope < 0.003  # 1 − tanh(4)² ≈ 0.00134; σ(6)(1 − σ(6)) ≈ 0.00247
    assert all(abs(g) < 0.003 for row in rows for g in row[3:])  # |x1| · |o − target| · do/dn, with |x1| = 2
    assert rows[0][2] - trace.final.loss < 1e-5  # ten epochs, and the loss has barely moved
    assert diagnose(trace) == [
        f"Note: at epoch 1, n = {n:.6f}: {trace.config.activation} is saturated there (do/dn = {slope:.1e}),"
        " so every gradient is tiny and the parameters barely move."
    ]


def test_a_large_learning_rate_overshoots_and_swings_about_the_target():
    rows, _ = plain(learning_rate=1.0)
    trace = hnn.train(hnn.Config(learning_rate=1))
    assert_matches_plain(trace, rows)
    assert [row[1] > 0 for row in rows[:8]] == [True, False] * 4  # o jumps past the target (0) at every step
    assert rows[1][2] > rows[0][2]  # and the first step raised the loss
    assert diagnose(trace) == [
        f"Note: epoch 1's step raised the loss from {rows[0][2]:.6f} to {rows[1][2]:.6f}:"
        " the learning rate is so large that the step overshoots; try a smaller one."
    ]


def test_relu_overshooting_further_each_step_until_its_dead_zone():
    # For relu with n > 0, o = n and one step moves n by −lr·(n − target)·(x1² + x2² + 1): with x1 = 2, x2 = 0 and
    # lr = 0.5 the error is multiplied by 1 − 0.5·5 = −1.5 each epoch, so it grows, until n ≤ 0 stops everything.
    target, n0 = 1.0, 2.0 * -3.0 + 6.8814
    errors = [(n0 - target) * (-1.5) ** k for k in range(7)]
    assert [target + e > 0 for e in errors] == [True] * 6 + [False]
    trace = hnn.train(hnn.Config(activation="relu", target=target, learning_rate=0.5))
    assert [math.isclose(e.n, target + err, rel_tol=1e-12) for e, err in zip(trace.epochs, errors)] == [True] * 7
    dead = trace.epochs[6:]
    assert all(leaf_grads(e) == (0.0,) * 5 and params(e) == params(dead[0]) and e.loss == 0.5 for e in dead)  # o = 0, target 1
    assert params(trace.final) == params(dead[0])
    assert diagnose(trace) == [
        f"Note: epoch 1's step raised the loss from {0.5 * errors[0] ** 2:.6f} to {0.5 * errors[1] ** 2:.6f}:"
        " the learning rate is so large that the step overshoots; try a smaller one.",
        f"Note: at epoch 7, n = {target + errors[6]:.6f}: relu's slope there is 0 (the dead zone),"
        " so every gradient is 0 and the parameters never change again.",
    ]


def test_relu_dead_zone_from_the_start_never_moves():
    trace = hnn.train(hnn.Config(activation="relu", w1=-5.0, target=0.5))
    n = 2.0 * -5.0 + 0.0 * 1.0 + 6.8814
    assert n < 0
    assert all(e.n == n and e.o == 0.0 and e.loss == 0.125 and leaf_grads(e) == (0.0,) * 5 for e in trace.epochs)
    assert all(e.grad.o == -0.5 and e.local["do/dn"] == 0.0 and e.grad.n == 0.0 for e in trace.epochs)  # relu'(n < 0)
    assert params(trace.final) == (-5.0, 1.0, 6.8814)
    assert diagnose(trace)[0].startswith(f"Note: at epoch 1, n = {n:.6f}: relu's slope there is 0 (the dead zone)")


@pytest.mark.parametrize(
    "parameters",
    [dict(x1=0.0, b=0.0), dict(activation="relu", x1=1.0, w1=0.25, b=0.5, target=0.75)],  # n = 0 and 0.75, exactly
    ids=["tanh(0) = 0", "relu(0.75) = 0.75"],
)
def test_an_output_equal_to_the_target_has_zero_loss_and_zero_gradients(parameters):
    trace = hnn.train(hnn.Config(**parameters))
    start = params(trace.epochs[0])
    assert all(e.loss == 0.0 and tuple(e.grad.values()) == (0.0,) * 7 and params(e) == start for e in trace.epochs)
    assert params(trace.final) == start and trace.final.loss == 0.0
    assert diagnose(trace) == [
        "Note: at epoch 1, the loss is 0 (o = target), so every gradient is 0 and the parameters stop changing."
    ]


def test_zero_epochs_gives_only_ae0_and_the_final_record(tmp_path, capsys, monkeypatch):
    trace = hnn.train(hnn.Config(epochs=0))
    n = 2.0 * -3.0 + 0.0 * 1.0 + 6.8814
    assert len(trace.epochs) == 0 and diagnose(trace) == []
    final = (trace.final.n, trace.final.o, trace.final.loss)
    assert final == pytest.approx((n, math.tanh(n), 0.5 * math.tanh(n) ** 2), rel=1e-12)
    assert write(trace, tmp_path) == 3 and sorted(os.listdir(tmp_path)) == ["ae0.gv", "ae0.png", "ae0.svg"]
    assert "<B>ae0 · untrained (epochs = 0) · loss 0.250009</B>" in network(trace, 0).source
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda bundle, raw: shown.append(bundle["text/plain"]))
    hn.show_epochs(trace, Display())
    hn.show_final(trace, Display())
    out = capsys.readouterr().out
    assert out.startswith("No epochs to show: with epochs = 0 nothing is trained") and "EPOCH" not in out
    assert len(shown) == 1 and shown[0].startswith("Network diagram ae0, the untrained network: ")


def test_a_smooth_run_has_no_notes():
    assert diagnose(hnn.train()) == []
    assert diagnose(hnn.train(hnn.Config(epochs=1000, learning_rate=0.001))) == []


def test_the_notebook_shows_the_notes_above_the_epochs(capsys, monkeypatch):
    monkeypatch.setattr("IPython.display.display", lambda bundle, raw: None)
    trace = hnn.train(hnn.Config(learning_rate=5, epochs=3))
    hn.show_epochs(trace, Display())
    out = capsys.readouterr().out
    assert out.index("Note: epoch 1's step raised the loss") < out.index("tanh is saturated") < out.index("EPOCH 1")


def test_when_training_goes_wrong_says_what_its_parameters_give():
    """Each bullet of the walkthrough's section names parameters that give the note it describes, and quotes numbers
    that the chain rule by hand gives too."""
    nb = nbformat.read(WALKTHROUGH, as_version=4)
    section = next(c.source for c in nb.cells if c.source.startswith("## When training goes wrong"))
    bullets = {re.match(r"- \*\*(.+?):\*\*", b).group(1): b for b in re.findall(r"^- .*(?:\n  .*)*", section, re.MULTILINE)}
    cases = {  # the bullet → its parameters, the note they give, and numbers by hand that it quotes
        "The step overshoots": (dict(learning_rate=1), "raised the loss", lambda rows: [
            f"to ${rows[1][1]:.3f}$", f"(${rows[0][2]:.6f} \\to {rows[1][2]:.6f}$)"]),
        "Saturation": (dict(b=10.0), "is saturated", lambda rows: [
            f"= {rows[0][1]:.6f}$", f"1 - o^2 = {1 - rows[0][1] ** 2:.5f}$", f"from ${rows[0][2]:.6f}$",
            f"to ${0.5 * math.tanh(2 * plain(b=10.0)[1][0] + plain(b=10.0)[1][2]) ** 2:.6f}$"]),
        "Relu's dead zone": (dict(activation="relu", w1=-5.0, target=0.5), "the dead zone", lambda rows: [
            f"$n = {rows[0][0]:.4f} < 0$", f"the loss is ${rows[0][2]:.3f}$"]),
        "Nothing to learn": (dict(x1=0.0, b=0.0), "the loss is 0", lambda rows: ["$n = 0$"]),
        "No training": (dict(epochs=0), None, lambda rows: [f"starting loss, ${plain(epochs=1)[0][0][2]:.6f}$"]),
    }
    assert list(bullets) == list(cases)
    for title, (parameters, note, quoted) in cases.items():
        for name, value in parameters.items():
            assert f"`{name} = {json.dumps(value)}`" in bullets[title], title
        notes = diagnose(hnn.train(hnn.Config(**parameters)))
        assert [note in line for line in notes[:1]] == ([True] if note else []), title
        for text in quoted(plain(**parameters)[0]):
            assert text in bullets[title], (title, text)
