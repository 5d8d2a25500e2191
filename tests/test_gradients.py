"""Autograd, the hand-derived chain rule and finite differences agree, for every activation."""
import dataclasses
import math

import pytest
import torch

import hnn
import hnn.neuron
from hnn.train import CHUNK
from tests.conftest import ACTIVATION, central_difference

CASES = [
    hnn.Config(),
    hnn.Config(x1=-1.5, x2=0.7, w1=0.3, w2=-0.8, b=0.2, target=0.4, learning_rate=0.3, epochs=6),
    hnn.Config(x1=0.5, x2=2.0, w1=1.0, w2=0.25, b=-0.1, target=-0.5, learning_rate=1.0, epochs=6),
]


@pytest.mark.parametrize("activation", list(ACTIVATION))
@pytest.mark.parametrize("case", range(len(CASES)))
def test_autograd_hand_and_finite_differences_agree(activation, case):
    config = dataclasses.replace(CASES[case], activation=activation, target=abs(CASES[case].target) or 0.25)
    trace = hnn.train(config)
    for e in trace.epochs:
        leaves = dict(x1=config.x1, x2=config.x2, w1=e.w1, w2=e.w2, b=e.b)
        independent = central_difference(leaves, config.target, activation)
        for name in ("w1", "w2", "b", "x1", "x2"):
            autograd, hand, fd = getattr(e.grad, name), getattr(e.hand, name), getattr(e.fd, name)
            assert hand == pytest.approx(autograd, rel=1e-12, abs=1e-12)
            assert autograd == pytest.approx(independent[name], rel=1e-6, abs=1e-8)
            assert fd == pytest.approx(independent[name], rel=1e-6, abs=1e-8)


def test_a_wrong_hand_derivation_fails_training_loudly(monkeypatch):
    wrong = hnn.neuron.ACTIVATIONS["tanh"]._replace(derivative=lambda n, o: 1 - o)  # a classic slip: o, not o²
    monkeypatch.setitem(hnn.neuron.ACTIVATIONS, "tanh", wrong)
    with pytest.raises(hnn.GradientMismatch, match=r"epoch 1: autograd dL/dw1 = 0.70709"):
        hnn.train()


def test_w2_gets_no_gradient_when_x2_is_zero():
    assert all(e.grad.w2 == 0.0 and e.updated.w2 == 1.0 for e in hnn.train().epochs)


def replay(config):
    """Plain-float gradient descent written from the maths, to compare hnn's trace with."""
    w1, w2, b = config.w1, config.w2, config.b
    rows = []
    for _ in range(config.epochs):
        n = config.x1 * w1 + config.x2 * w2 + b
        o = math.tanh(n)
        dL_dn = (o - config.target) * (1 - o * o)
        grads = (config.x1 * dL_dn, config.x2 * dL_dn, dL_dn)
        rows.append((w1, w2, b, n, o, 0.5 * (o - config.target) ** 2, grads))
        w1, w2, b = (p - config.learning_rate * g for p, g in zip((w1, w2, b), grads))
    n = config.x1 * w1 + config.x2 * w2 + b
    return rows, (w1, w2, b, n, math.tanh(n), 0.5 * (math.tanh(n) - config.target) ** 2)


def test_twenty_five_epochs_match_a_plain_float_replay():
    config = hnn.Config(learning_rate=0.5, epochs=25)
    trace = hnn.train(config)
    rows, final = replay(config)
    for e, (w1, w2, b, n, o, loss, grads) in zip(trace.epochs, rows, strict=True):
        assert (e.w1, e.w2, e.b, e.n, e.o, e.loss) == pytest.approx((w1, w2, b, n, o, loss), rel=1e-12)
        assert (e.grad.w1, e.grad.w2, e.grad.b) == pytest.approx(grads, rel=1e-12, abs=1e-15)
    f = trace.final
    assert (f.w1, f.w2, f.b, f.n, f.o, f.loss) == pytest.approx(final, rel=1e-12)


@pytest.mark.parametrize("record", [True, False])
def test_a_mismatch_past_the_first_chunk_names_its_own_epoch(monkeypatch, record):
    # Epochs are cross-checked a chunk at a time: an error in a later chunk must still name the right epoch.
    config = hnn.Config(learning_rate=0.001, epochs=CHUNK + 600)
    rows, _ = replay(config)
    wrong_from = CHUNK + 300  # the 1-based epoch whose n first falls below the threshold
    threshold = (rows[wrong_from - 2][3] + rows[wrong_from - 1][3]) / 2  # between that epoch's n and the one before
    assert rows[wrong_from - 2][3] > threshold > rows[wrong_from - 1][3]  # n falls every epoch on this run
    right = hnn.neuron.ACTIVATIONS["tanh"]
    wrong = right._replace(derivative=lambda n, o: torch.where(n < threshold, 1 - o, 1 - o**2))
    monkeypatch.setitem(hnn.neuron.ACTIVATIONS, "tanh", wrong)
    with pytest.raises(hnn.GradientMismatch, match=rf"^epoch {wrong_from}: autograd dL/dw1 = "):
        hnn.train_many([config], record=record)


def test_runs_without_a_record_keep_the_final_pass_of_a_plain_float_replay():
    # Longer than a chunk, with runs that stop at different epochs: the final pass is all such a run keeps.
    chunk = CHUNK
    configs = hnn.configs(learning_rate=[0.01, 0.2, 0.05], epochs=[chunk + 250, 3, 2 * chunk], target=0.3)
    runs = hnn.train_many(configs, record=False)
    for run, config in zip(runs, configs, strict=True):
        assert run.config == config
        f = run.final
        assert (f.w1, f.w2, f.b, f.n, f.o, f.loss) == pytest.approx(replay(config)[1], rel=1e-12)
        assert not hasattr(run, "epochs")


def test_runs_of_different_lengths_record_the_replays_steps_and_stop_at_their_own_end():
    configs = hnn.configs(learning_rate=[0.3, 0.1, 0.2], epochs=[7, 2, 0], target=0.2)
    for trace, config in zip(hnn.train_many(configs), configs, strict=True):
        rows, final = replay(config)
        after = ([row[:3] for row in rows[1:]] + [final[:3]])[: len(rows)]  # what each epoch's update leaves behind
        assert len(trace.epochs) == config.epochs
        for e, (w1, w2, b, *_), updated in zip(trace.epochs, rows, after, strict=True):
            assert (e.w1, e.w2, e.b) == pytest.approx((w1, w2, b), rel=1e-12)
            assert tuple(e.updated) == pytest.approx(updated, rel=1e-12)
        f = trace.final
        assert (f.w1, f.w2, f.b, f.n, f.o, f.loss) == pytest.approx(final, rel=1e-12)
