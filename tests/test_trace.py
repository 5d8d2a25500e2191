"""A Trace keeps its run's epochs as columns of numbers and builds an Epoch when one is read: however they are read, the
epochs are the plain-float replay's (tests/plain.py), and a longer run holds more numbers, not more Python objects."""
import gc
import sys
import types

import pytest

import hnn
from tests import plain

CONFIG = hnn.Config(x1=1.5, x2=-0.5, w1=0.8, w2=-0.6, b=-0.25, target=0.25, learning_rate=0.3, epochs=7)
# An epoch's numbers: w1, w2, b, n, o, L; autograd's seven gradients and the finite differences'; by hand, those seven
# and the five values the network did not name (x1·w1 …), and those values themselves; do/dn; the updated parameters.
NUMBERS = 6 + 2 * 7 + (7 + 5) + 5 + 1 + 3


def replayed(step: plain.Step) -> tuple:
    return (step.w1, step.w2, step.b, step.n, step.o, step.loss, step.do_dn, step.dL_dw1, step.dL_do, step.new_b)


def built(e) -> tuple:
    return (e.w1, e.w2, e.b, e.n, e.o, e.loss, e.local["do/dn"], e.grad.w1, e.grad.o, e.updated.b)


def test_an_epoch_read_from_either_end_is_the_replays():
    trace, (steps, _) = hnn.train(CONFIG), plain.replay(CONFIG)
    assert len(trace.epochs) == len(steps) == 7
    for k in range(-7, 7):
        assert trace.epochs[k].epoch == k % 7 + 1
        assert built(trace.epochs[k]) == pytest.approx(replayed(steps[k]), rel=1e-12, abs=1e-15)
    for beyond in (7, -8):
        with pytest.raises(IndexError):
            trace.epochs[beyond]


def test_slices_and_iteration_give_the_replays_epochs_in_order():
    trace, (steps, final) = hnn.train(CONFIG), plain.replay(CONFIG)
    assert [e.epoch for e in trace.epochs] == [1, 2, 3, 4, 5, 6, 7]
    assert [e.epoch for e in trace.epochs[::-3]] == [7, 4, 1]
    assert [e.epoch for e in trace.epochs[5:]] == [6, 7] and trace.epochs[7:] == ()
    every_other = [v for e in trace.epochs[1:6:2] for v in built(e)]
    assert every_other == pytest.approx([v for s in steps[1:6:2] for v in replayed(s)], rel=1e-12, abs=1e-15)
    assert tuple(trace.epochs[-1].updated.values()) == pytest.approx((final.w1, final.w2, final.b), rel=1e-12)
    assert list(reversed(trace.epochs)) == list(trace.epochs)[::-1]


def test_traces_are_equal_when_every_number_is():
    assert hnn.train(CONFIG) == hnn.train(CONFIG) and hnn.train(CONFIG).epochs == hnn.train(CONFIG).epochs
    other = CONFIG.replace(learning_rate=0.30000000000000004)  # one ulp: every later number moves
    assert hnn.train(other).epochs != hnn.train(CONFIG).epochs
    assert hnn.train(CONFIG.replace(epochs=6)).epochs != hnn.train(CONFIG).epochs
    assert hnn.train(hnn.Config(epochs=0)).epochs == hnn.train(hnn.Config(epochs=0)).epochs


def held(root) -> list:
    """Every object root holds, itself included, each once; classes, modules, functions and the network (which every
    run of it shares) are not followed: they hold the whole program."""
    seen, todo = {}, [root]
    while todo:
        thing = todo.pop()
        if id(thing) not in seen and not isinstance(thing, (type, types.ModuleType, types.FunctionType, hnn.graph.Network)):
            seen[id(thing)] = thing
            todo.extend(gc.get_referents(thing))
    return list(seen.values())


@pytest.mark.parametrize("train", [hnn.train, lambda config: hnn.train_many([config])[0]], ids=["train", "train_many"])
def test_a_thousand_epochs_hold_as_many_objects_as_ten_and_8_bytes_a_number(train):
    short, long = (held(train(hnn.Config(epochs=epochs))) for epochs in (10, 1000))
    assert len(long) == len(short)
    size = lambda objects: sum(map(sys.getsizeof, objects))  # noqa: E731
    assert size(long) - size(short) <= 990 * NUMBERS * 8
