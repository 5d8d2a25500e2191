"""The stepper's frames: every sub-step's worked arithmetic equals a plain-float replay, values appear only once
computed, and the diagram template has one tagged text for every value."""
import html
import math
import re

import pytest

import hnn
from hnn.views import frames
from hnn.views.diagram import Display
from tests import plain

CONFIG = hnn.Config(x1=-1.5, x2=0.5, w1=0.25, w2=-2.0, b=0.1, target=0.3, learning_rate=0.5, epochs=3, activation="sigmoid")
PER_EPOCH = 15  # STEP 0, then n, o, L, then dL/do, do/dn, dL/dn and five leaf gradients, then three updates


def six(x: float) -> str:
    return f"{x:.6f}".replace("-", "\u2212")


def factor(x: float | str) -> str:
    """A number as a factor, negative ones in parentheses; a number already written, as it is written."""
    text = x if isinstance(x, str) else six(x)
    return f"({text})" if text.startswith("\u2212") else text


def given(x: float) -> str:
    return repr(x).replace("-", "\u2212")


def expected_lines(c, s) -> list[str]:
    """Each sub-step's line for one replayed epoch, written out here from the maths' names and the replay's numbers."""
    slope = f"do/dn = o · (1 − o) = {six(s.o)} × (1 − {six(s.o)}) = {six(s.do_dn)}"
    return [
        f"x1 = {given(c.x1)}, x2 = {given(c.x2)}, target = {given(c.target)}, learning_rate = {given(c.learning_rate)};"
        f" w1 = {six(s.w1)}, w2 = {six(s.w2)}, b = {six(s.b)}",
        f"n = x1·w1 + x2·w2 + b = {factor(given(c.x1))} × {factor(s.w1)} + {factor(given(c.x2))} × {factor(s.w2)}"
        f" + {factor(s.b)} = {six(s.n)}",
        f"o = sigmoid(n) = sigmoid({six(s.n)}) = {six(s.o)}",
        f"L = ½(o − target)² = ½ × ({six(s.o)} − {given(c.target)})² = {six(s.loss)}",
        f"dL/do = o − target = {six(s.o)} − {given(c.target)} = {six(s.dL_do)}",
        slope,
        f"dL/dn = dL/do · do/dn = {factor(s.dL_do)} × {factor(s.do_dn)} = {six(s.dL_dn)}",
        f"dL/dw1 = x1 · dL/dn = {factor(given(c.x1))} × {factor(s.dL_dn)} = {six(s.dL_dw1)}",
        f"dL/dw2 = x2 · dL/dn = {factor(given(c.x2))} × {factor(s.dL_dn)} = {six(s.dL_dw2)}",
        f"dL/db = 1 · dL/dn = 1 × {factor(s.dL_dn)} = {six(s.dL_db)}",
        f"dL/dx1 = w1 · dL/dn = {factor(s.w1)} × {factor(s.dL_dn)} = {six(s.dL_dx1)}",
        f"dL/dx2 = w2 · dL/dn = {factor(s.w2)} × {factor(s.dL_dn)} = {six(s.dL_dx2)}",
        f"new w1 = w1 − learning_rate · dL/dw1 = {six(s.w1)} − {given(c.learning_rate)} × {factor(s.dL_dw1)} = {six(s.new_w1)}",
        f"new w2 = w2 − learning_rate · dL/dw2 = {six(s.w2)} − {given(c.learning_rate)} × {factor(s.dL_dw2)} = {six(s.new_w2)}",
        f"new b = b − learning_rate · dL/db = {six(s.b)} − {given(c.learning_rate)} × {factor(s.dL_db)} = {six(s.new_b)}",
    ]


@pytest.fixture(scope="module")
def stepped():
    return frames.frames(hnn.train(CONFIG), Display())


def test_every_sub_step_of_every_epoch_is_the_replays_arithmetic(stepped):
    steps, final = plain.replay(CONFIG)
    assert len(stepped) == PER_EPOCH * CONFIG.epochs + 1
    for k, s in enumerate(steps):
        epoch = stepped[k * PER_EPOCH:(k + 1) * PER_EPOCH]
        assert [f["epoch"] for f in epoch] == [k + 1] * PER_EPOCH
        assert [f["lines"][-1] for f in epoch] == expected_lines(CONFIG, s)
    trained = stepped[-1]
    assert trained["epoch"] == 0 and trained["slots"]["L"] == six(final.loss) and trained["slots"]["w1"] == six(final.w1)


def test_values_appear_only_once_computed_left_to_right_then_right_to_left(stepped):
    order = ["n", "o", "L", "dL/do", "do/dn", "dL/dn", "dL/dw1", "dL/dw2", "dL/db", "dL/dx1", "dL/dx2",
             "new w1", "new w2", "new b"]
    given_slots = {"x1", "x2", "w1", "w2", "b", "target"}
    for k in range(CONFIG.epochs):
        epoch = stepped[k * PER_EPOCH:(k + 1) * PER_EPOCH]
        for i, f in enumerate(epoch):
            assert set(f["slots"]) == given_slots | set(order[:i]), (k, i)  # nothing from the future, nothing forgotten


def test_each_sub_step_reads_what_its_formula_uses_and_writes_its_result(stepped):
    first = stepped[:PER_EPOCH]
    assert first[1]["write"] == ["n"] and set(first[1]["read"]) >= {"x1", "w1", "x2", "w2", "b"}
    assert first[3]["write"] == ["L"] and {"o", "target"} <= set(first[3]["read"])
    assert first[7]["write"] == ["w1"] and {"x1", "n"} <= set(first[7]["read"])  # dL/dw1 = x1 · dL/dn
    assert first[12]["write"] == ["w1"]  # the update


def test_where_two_paths_meet_the_sum_reads_every_term_it_adds():
    """dL/dh1 = w5 · dL/dno1 + w7 · dL/dno2: its frame outlines both weights, both output neurons and both edges."""
    from hnn.lessons import hidden_layer

    stepped = frames.frames(hnn.train(hnn.Config(hidden_layer, epochs=1)), Display())
    total = next(f for f in stepped if f["lines"][-1].startswith("dL/dh1 = w5 · dL/dno1 + w7 · dL/dno2 = "))
    assert total["write"] == ["h1"]
    assert sorted(total["read"]) == ["h1-o1", "h1-o2", "o1", "o2", "w5", "w7"]


def test_the_template_has_one_tagged_text_per_value_and_every_node_and_edge(stepped):
    svg = frames.template(hnn.train(CONFIG), stepped)
    slots = re.findall(r'<text data-slot="([^"]+)"', svg)
    computed = ["n", "dL/dn", "o", "dL/do", "L", "do/dn", *(f"new {p}" for p in ("w1", "w2", "b"))]
    leaves = [name for name in ("x1", "x2", "w1", "w2", "b") for name in (name, f"dL/d{name}")] + ["target"]
    assert sorted(slots) == sorted(computed + leaves)
    assert sorted(re.findall(r'data-node="([^"]+)"', svg)) == sorted(["x1", "x2", "w1", "w2", "b", "target", "n", "o", "L"])
    edges = ["x1-n", "w1-n", "x2-n", "w2-n", "b-n", "n-o", "o-L", "target-L"]
    assert sorted(re.findall(r'data-edge="([^"]+)"', svg)) == sorted(edges)


def test_the_picture_shows_a_frames_numbers_blanks_the_rest_and_says_how_to_step(stepped):
    steps, _ = plain.replay(CONFIG)
    svg = frames.picture(hnn.train(CONFIG), stepped[PER_EPOCH + 3])  # epoch 2, its loss just computed
    text = re.compile(r'<text [^>]*y="([-\d.]+)"[^>]*>([^<]*)</text>')
    own, groups = svg.split('<g id="node', 1)  # the graph's own texts come before its nodes' and edges'
    shown = [html.unescape(t) for _, t in text.findall(groups)]
    assert six(steps[1].w1) in shown and six(steps[1].n) in shown and six(steps[1].loss) in shown
    assert six(steps[1].dL_dn) not in shown and six(steps[1].new_w1) not in shown  # not computed yet at this step
    caption = text.findall(own)
    assert " ".join(html.unescape(t) for _, t in caption) == frames.HOW_TO_STEP  # wrapped over lines
    assert min(float(y) for y, _ in caption) > max(float(y) for y, _ in text.findall(groups))  # below the network


def test_a_long_run_steps_through_the_shown_epochs_only():
    trace = hnn.train(hnn.Config(epochs=40))
    stepped = frames.frames(trace, Display(max_diagrams=4))
    assert sorted({f["epoch"] for f in stepped}) == [0, 1, 14, 27, 40]


def test_predict_asks_each_computed_number_with_the_slips_worked_out_from_the_replay(stepped):
    """What Predict asks of epoch 2: each frame's number, and among the slips the ones a student makes most, each
    worked out here from the replay's numbers (sigmoid's run, so tanh's slope is the other activation's)."""
    s = plain.replay(CONFIG)[0][1]
    asks = {f["ask"]["name"]: f["ask"] for f in stepped[PER_EPOCH:2 * PER_EPOCH] if "ask" in f}
    assert list(asks) == ["n", "o", "L", "dL/do", "do/dn", "dL/dn", "dL/dw1", "dL/dw2", "dL/db", "dL/dx1", "dL/dx2",
                          "new w1", "new w2", "new b"]  # every frame but STEP 0 works a number out
    assert "ask" not in stepped[PER_EPOCH] and "ask" not in stepped[-1]
    slips = {name: dict(ask["mistakes"]) for name, ask in asks.items()}
    assert {name: ask["answer"] for name, ask in asks.items()} == {
        "n": six(s.n), "o": six(s.o), "L": six(s.loss), "dL/do": six(s.dL_do), "do/dn": six(s.do_dn),
        "dL/dn": six(s.dL_dn), "dL/dw1": six(s.dL_dw1), "dL/dw2": six(s.dL_dw2), "dL/db": six(s.dL_db),
        "dL/dx1": six(s.dL_dx1), "dL/dx2": six(s.dL_dx2), "new w1": six(s.new_w1), "new w2": six(s.new_w2),
        "new b": six(s.new_b)}
    c = CONFIG
    assert slips["dL/dn"][six(-s.dL_dn)] == "That has the wrong sign."
    assert slips["dL/dn"][six(s.dL_do)] == "That leaves out the factor do/dn."
    assert slips["dL/dn"][six(s.dL_do * (1 - s.o**2))] == "That is tanh's slope, 1 − o², not sigmoid's."
    assert slips["do/dn"][six(1 - s.o**2)] == "That is tanh's slope, 1 − o², not sigmoid's."
    assert slips["o"][six(math.tanh(s.n))] == "That is tanh(n), not sigmoid(n)."
    assert slips["n"][six(s.n - s.b)] == "That leaves out the term b."
    assert slips["L"][six((s.o - c.target) ** 2)] == "That leaves out the factor ½."
    assert slips["dL/dw1"][six(s.dL_dn)] == "That leaves out the factor x1."
    assert slips["new w1"][six(s.w1 + c.learning_rate * s.dL_dw1)] == ("That adds learning_rate · dL/dw1 where the"
                                                                        " formula subtracts it.")
    assert slips["new w1"][six(s.w1 - s.dL_dw1)] == "That leaves out the factor learning_rate."
    for name, ask in asks.items():  # no slip gives the answer, and no two slips the same number
        assert ask["answer"] not in slips[name] and len(slips[name]) == len(ask["mistakes"]), name
