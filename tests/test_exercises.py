"""The exercise checks accept the right answer, reject a wrong one with a hint, and never print the answer."""
import math
import re

import pytest

from hnn import exercises as ex

# The default network's epoch 1, worked out again with the math module, independently of hnn.
N = 2.0 * -3.0 + 0.0 * 1.0 + 6.8814
O = math.tanh(N)
DL_DB = (O - 0.0) * (1 - O**2)  # dL/do * do/dn * dn/db
W1 = -3.0 - 0.01 * 2.0 * DL_DB  # w1 - learning_rate * x1 * dL/dn
W2 = 1.0  # x2 = 0: w2 never receives a gradient


def final_loss(learning_rate, epochs=10):
    """The default network trained with plain floats and the hand-derived gradients."""
    w1, w2, b = -3.0, 1.0, 6.8814
    for _ in range(epochs):
        o = math.tanh(2.0 * w1 + 0.0 * w2 + b)
        dL_dn = (o - 0.0) * (1 - o**2)
        w1, w2, b = w1 - learning_rate * 2.0 * dL_dn, w2 - learning_rate * 0.0 * dL_dn, b - learning_rate * dL_dn
    return 0.5 * math.tanh(2.0 * w1 + 0.0 * w2 + b) ** 2


NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:e-?\d+)?(?![\w%]|\.\d)")  # not in a name like w2, nor a percentage


def numbers_near(text: str, value: float) -> list[str]:
    """The numbers in text that are the value at any rounding down to two significant figures."""
    return [t for t in NUMBER.findall(text) if math.isclose(float(t), value, rel_tol=0.01)]


RIGHT = [
    (lambda: ex.check_n_and_o(N, O), ["✓ n is right", "✓ o is right"]),
    (lambda: ex.check_dL_db(DL_DB), ["✓ dL/db is right"]),
    (lambda: ex.check_w1(W1), ["✓ w1 is right"]),
    (lambda: ex.check_w2(W2), ["✓ w2 is right"]),
]


@pytest.mark.parametrize("check, lines", RIGHT)
def test_the_right_answer_gets_a_tick(capsys, check, lines):
    check()
    assert capsys.readouterr().out.splitlines() == lines


def test_an_answer_worked_out_to_five_significant_figures_is_right(capsys):
    ex.check_n_and_o(0.8814, 0.70712)
    ex.check_dL_db(0.35355)
    ex.check_w1(-3.0071)
    assert capsys.readouterr().out.count("✓") == 4


WRONG = [  # common mistakes, and what the message must then say
    (lambda: ex.check_n_and_o(2.0 * 3.0 + 6.8814, O), "n", N, "too high", "x1*w1 + x2*w2 + b"),
    (lambda: ex.check_n_and_o(N, math.sinh(N)), "o", O, "too high", "tanh"),
    (lambda: ex.check_dL_db(O * (1 - O)), "dL/db", DL_DB, "too low", "1 - o**2"),  # sigmoid's derivative
    (lambda: ex.check_w1(-3.0 + 0.01 * 2.0 * DL_DB), "w1", W1, "too high", "w1 - learning_rate * dL/dw1"),
    (lambda: ex.check_w1(-3.0), "w1", W1, "too high", "x1 * dL/db"),  # no step taken
    (lambda: ex.check_w2(1.0 - 10 * 0.01 * DL_DB), "w2", W2, "too low", "x2 = 0"),  # as if x2 were 1
]


@pytest.mark.parametrize("check, name, expected, direction, hint", WRONG)
def test_a_wrong_answer_gets_how_far_off_and_a_hint_but_not_the_answer(capsys, check, name, expected, direction, hint):
    check()
    out = capsys.readouterr().out
    wrong = next(line for line in out.splitlines() if line.startswith(f"✗ {name} "))
    verdict, hint_text = wrong.split(" Hint: ")
    assert verdict.startswith(f"✗ {name} is {direction}, off by ")
    assert hint in hint_text
    assert numbers_near(verdict, expected) == []
    assert numbers_near(hint_text, expected) == [] or name == "w2"  # w2's hint has the 1 of 1 - o**2, fixed text


def test_the_hint_is_fixed_text_whatever_the_answer(capsys):
    ex.check_w2(0.5)
    ex.check_w2(7.0)
    first, second = (line.split(" Hint: ")[1] for line in capsys.readouterr().out.splitlines())
    assert first == second


def test_an_answer_with_the_wrong_sign_says_so(capsys):
    ex.check_n_and_o(-N, O)
    assert capsys.readouterr().out.splitlines()[0].startswith("✗ n has the wrong sign. Hint: ")


def test_how_far_off_is_relative_and_rounded(capsys):
    ex.check_n_and_o(N * 1.5, O)
    ex.check_n_and_o(N * 1.005, O)
    first, _, second, _ = capsys.readouterr().out.splitlines()
    assert "off by about 50%." in first
    assert "off by less than 1%." in second


@pytest.mark.parametrize("answer", ["0.88", None, True, math.nan, math.inf])
def test_an_answer_that_is_not_a_finite_number_is_named(capsys, answer):
    ex.check_w2(answer)
    assert capsys.readouterr().out == f"✗ w2 should be a finite number, got {answer!r}\n"


def test_the_placeholder_asks_for_an_answer(capsys):
    ex.check_n_and_o(..., ...)
    ex.check_learning_rate(...)
    assert capsys.readouterr().out.splitlines() == [
        "… n: replace the ... with your answer, then run the cell again",
        "… o: replace the ... with your answer, then run the cell again",
        "… learning_rate: replace the ... with your answer, then run the cell again",
    ]


def test_a_learning_rate_that_reaches_the_goal_is_right(capsys):
    assert final_loss(0.1) < 0.01
    ex.check_learning_rate(0.1)
    out = capsys.readouterr().out
    assert out == f"✓ right: with learning_rate = 0.1 the loss after 10 epochs is {final_loss(0.1):.2g}\n"


def test_a_learning_rate_too_small_is_told_to_grow(capsys):
    assert final_loss(0.01) >= 0.01
    ex.check_learning_rate(0.01)
    out = capsys.readouterr().out
    assert out.startswith(f"✗ with learning_rate = 0.01 the loss after 10 epochs is {final_loss(0.01):.2g},")
    assert "try a larger learning rate" in out


def test_a_learning_rate_too_large_is_told_to_shrink(capsys):
    assert final_loss(5.0) >= 0.01
    ex.check_learning_rate(5.0)
    assert "the steps overshoot: try a smaller learning rate" in capsys.readouterr().out


def test_an_invalid_learning_rate_gets_the_configs_message(capsys):
    ex.check_learning_rate(-1)
    assert capsys.readouterr().out.startswith("✗ learning_rate must be a number greater than 0")
