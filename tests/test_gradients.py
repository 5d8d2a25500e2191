"""Autograd, the hand-derived chain rule and finite differences agree, for every activation, and equal a plain-float
replay written from the maths (tests/plain.py)."""
import json

import pytest
import torch

import hnn
from hnn.training import CHUNK
from tests import plain

CASES = [
    hnn.Config(),
    hnn.Config(x1=-1.5, x2=0.7, w1=0.3, w2=-0.8, b=0.2, target=0.4, learning_rate=0.3, epochs=6),
    hnn.Config(x1=0.5, x2=2.0, w1=1.0, w2=0.25, b=-0.1, target=-0.5, learning_rate=1.0, epochs=6),
]
LEAF_NAMES = ("w1", "w2", "b", "x1", "x2")
GRADED = ("w1", "w2", "b", "x1", "x2", "o", "n")  # every value with a gradient, as the JSON lists them


@pytest.mark.parametrize("activation", list(plain.ACTIVATION))
@pytest.mark.parametrize("case", range(len(CASES)))
def test_autograd_hand_and_finite_differences_agree(activation, case):
    config = CASES[case].replace(activation=activation, target=abs(CASES[case].target) or 0.25)
    trace = hnn.train(config)
    steps, _ = plain.replay(config)
    for e, step in zip(trace.epochs, steps, strict=True):
        leaves = dict(x1=config.x1, x2=config.x2, w1=e.w1, w2=e.w2, b=e.b)
        independent = plain.central_difference(leaves, config.target, activation)
        independent |= {"o": step.dL_do, "n": step.dL_dn}  # the intermediate values, by the chain rule in floats
        assert tuple(e.grad) == GRADED
        for name in GRADED:
            autograd, hand, fd = e.grad[name], e.hand[name], e.fd[name]
            assert hand == pytest.approx(autograd, rel=1e-12, abs=1e-12)
            assert autograd == pytest.approx(independent[name], rel=1e-6, abs=1e-8)
            assert fd == pytest.approx(independent[name], rel=1e-6, abs=1e-8)
        assert e.local["do/dn"] == pytest.approx(step.do_dn, rel=1e-12, abs=1e-15)


def activation_with(slope) -> hnn.Op:
    """tanh, with this local derivative in place of its own."""
    return hnn.Op("tanh", torch.tanh, slope, activation=True, reaches=lambda t: -1 < t < 1, range_text="-1 < {0} < 1")


def test_a_wrong_hand_derivation_fails_training_loudly():
    with pytest.raises(hnn.GradientMismatch, match=r"^epoch 1: dL/dn is 0.3535467871015152\d by autograd but 0.2071"):
        hnn.train(hnn.Config(activation=activation_with(lambda n, o: 1 - o)))  # a classic slip: o, not o²


def test_w2_gets_no_gradient_when_x2_is_zero():
    assert all(e.grad.w2 == 0.0 and e.updated.w2 == 1.0 for e in hnn.train().epochs)


def assert_matches_replay(trace, config):
    steps, final = plain.replay(config)
    for e, s in zip(trace.epochs, steps, strict=True):
        assert (e.w1, e.w2, e.b, e.n, e.o, e.loss, e.local["do/dn"]) == pytest.approx(s[:7], rel=1e-12, abs=1e-15)
        grads = (e.grad.o, e.grad.n, e.grad.w1, e.grad.w2, e.grad.b, e.grad.x1, e.grad.x2)
        assert grads == pytest.approx((s.dL_do, s.dL_dn, s.dL_dw1, s.dL_dw2, s.dL_db, s.dL_dx1, s.dL_dx2), rel=1e-12, abs=1e-15)
        assert tuple(e.updated.values()) == pytest.approx((s.new_w1, s.new_w2, s.new_b), rel=1e-12)
    f = trace.final
    assert (f.w1, f.w2, f.b, f.n, f.o, f.loss) == pytest.approx(tuple(final), rel=1e-12)


@pytest.mark.parametrize("activation", list(plain.ACTIVATION))
def test_twenty_five_epochs_match_a_plain_float_replay(activation):
    config = hnn.Config(learning_rate=0.5, epochs=25, x2=0.5, activation=activation, target=0.25)
    assert_matches_replay(hnn.train(config), config)


def test_json_carries_dL_do_and_dL_dn_equal_to_a_plain_float_replay(hnn_cli):
    result = hnn_cli("run", "--json", "--x2", "1.5", "--learning-rate", "0.3", "--epochs", "12", "--activation", "sigmoid",
                     "--target", "0.6")
    data = json.loads(result.stdout)
    steps, _ = plain.replay(x2=1.5, learning_rate=0.3, epochs=12, activation="sigmoid", target=0.6)
    for epoch, step in zip(data["epochs"], steps, strict=True):
        assert (epoch["grad"]["o"], epoch["grad"]["n"]) == pytest.approx((step.dL_do, step.dL_dn), rel=1e-12)
        assert [epoch["grad"][name] for name in LEAF_NAMES] == pytest.approx(
            [step.dL_dw1, step.dL_dw2, step.dL_db, step.dL_dx1, step.dL_dx2], rel=1e-12)


@pytest.mark.parametrize("record", [True, False])
def test_a_mismatch_past_the_first_chunk_names_its_own_epoch(record):
    # A run without a record is cross-checked a chunk at a time: an error in a later chunk must name the right epoch.
    config = hnn.Config(learning_rate=0.001, epochs=CHUNK + 600)
    steps, _ = plain.replay(config)
    wrong_from = CHUNK + 300  # the 1-based epoch whose n first falls below the threshold
    threshold = (steps[wrong_from - 2].n + steps[wrong_from - 1].n) / 2  # between that epoch's n and the one before
    assert steps[wrong_from - 2].n > threshold > steps[wrong_from - 1].n  # n falls every epoch on this run
    wrong = config.replace(activation=activation_with(lambda n, o: torch.where(n < threshold, 1 - o, 1 - o**2)))
    with pytest.raises(hnn.GradientMismatch, match=rf"^epoch {wrong_from}: dL/dn is "):
        hnn.train_many([wrong], record=record)
    with pytest.raises(hnn.GradientMismatch, match=rf"^epoch {wrong_from}: dL/dn is "):
        hnn.train(wrong)


def test_runs_without_a_record_keep_the_final_pass_of_a_plain_float_replay():
    # Longer than a chunk, with runs that stop at different epochs: the final pass is all such a run keeps.
    configs = hnn.configs(learning_rate=[0.01, 0.2, 0.05], epochs=[CHUNK + 250, 3, 2 * CHUNK], target=0.3)
    runs = hnn.train_many(configs, record=False)
    for run, config in zip(runs, configs, strict=True):
        assert run.config == config
        f = run.final
        assert (f.w1, f.w2, f.b, f.n, f.o, f.loss) == pytest.approx(tuple(plain.replay(config)[1]), rel=1e-12)
        assert not hasattr(run, "epochs")


def test_runs_of_different_lengths_record_the_replays_steps_and_stop_at_their_own_end():
    configs = hnn.configs(learning_rate=[0.3, 0.1, 0.2], epochs=[7, 2, 0], target=0.2)
    for trace, config in zip(hnn.train_many(configs), configs, strict=True):
        assert len(trace.epochs) == config.epochs
        assert_matches_replay(trace, config)


def test_epochs_are_counted_from_one_and_out_of_range_is_one_line():
    trace = hnn.train(hnn.Config(epochs=3))
    assert [trace.epoch(k).epoch for k in (1, 2, 3)] == [1, 2, 3]
    assert trace.epoch(1) == trace.epochs[0]
    for bad in (0, 4, -1, 1.0, True):
        with pytest.raises(ValueError, match=rf"^epoch must be a whole number from 1 to 3, got {bad!r}$"):
            trace.epoch(bad)
    with pytest.raises(ValueError, match=r"^epoch 1 does not exist: this run trained no epoch \(epochs = 0\)$"):
        hnn.train(hnn.Config(epochs=0)).epoch(1)


def test_losses_are_each_epochs_loss_then_the_trained_networks():
    config = hnn.Config(learning_rate=0.5, epochs=4)
    steps, final = plain.replay(config)
    assert hnn.train(config).losses() == pytest.approx([s.loss for s in steps] + [final.loss], rel=1e-12)
    assert hnn.train(hnn.Config(epochs=0)).losses() == pytest.approx([plain.replay(epochs=0)[1].loss], rel=1e-12)


def test_training_makes_no_reference_cycles_and_gives_the_collector_back():
    # Training pauses Python's cycle collector, which is sound only if the loop leaves nothing that only the collector
    # can free; and the collector must be on again after a run, also one stopped inside the loop by a mismatch.
    import gc

    runs = [hnn.Config(epochs=CHUNK + 10), hnn.Config(learning_rate=0.3, epochs=CHUNK + 10)]
    hnn.train_many(runs, record=False)  # a first run also builds what is made once (the graph, imports' caches)
    gc.collect()
    gc.disable()
    try:
        hnn.train_many(runs, record=False)
        hnn.train(hnn.Config(epochs=2 * CHUNK + 10))
        assert gc.collect() == 0
    finally:
        gc.enable()
    wrong = hnn.Config(epochs=CHUNK + 10, activation=activation_with(lambda n, o: 1 - o))  # wrong from epoch 1
    with pytest.raises(hnn.GradientMismatch, match=r"^epoch 1: dL/dn is "):
        hnn.train_many([wrong], record=False)  # found at the first chunk's check, inside the loop
    assert gc.isenabled()
    gc.disable()
    try:
        hnn.train(hnn.Config(epochs=3))
        assert not gc.isenabled()  # left as it was found
    finally:
        gc.enable()
