"""The default walkthrough equals the original notebook's printed log, except for the two corrections."""
import math
import re

import hnn


def test_every_line_matches_the_seed_log_except_the_two_corrections(reference_lines):
    ours = hnn.walkthrough(hnn.train()).splitlines()
    final = reference_lines.index("Final Output:")
    pre_update = {}  # full-precision parameters before the update, read off the seed's own "n = x1*w1 + ..." line
    for i, ref in enumerate(reference_lines[:final]):
        n_line = re.fullmatch(r"    n = \S+ \(n = \S+\*(\S+) \+ \S+\*(\S+) \+ (\S+)\)", ref)
        if n_line:
            pre_update = dict(zip(("w1", "w2", "b"), n_line.groups()))
        step3 = re.fullmatch(r"(    updated (\w+) = \S+ \(\w+ = \w+ - lr \* \w+\.grad = )(\S+)( - .*)", ref)
        if step3:
            head, name, _updated_value, tail = step3.groups()
            assert ours[i] == head + pre_update[name] + tail  # correction 1: the value before the update
        else:
            assert ours[i] == ref, f"line {i + 1}"


def test_final_output_is_the_forward_pass_of_the_trained_parameters(reference_lines):
    # The seed's last STEP 3 line printed the trained values at full precision (that was its quirk).
    w1 = float(re.search(r"= (\S+) - 0.01", reference_lines[224]).group(1))
    b = float(re.search(r"= (\S+) - 0.01", reference_lines[226]).group(1))
    n = 2.0 * w1 + 0.0 * 1.0 + b
    o = math.tanh(n)
    loss = 0.5 * (o - 0.0) ** 2
    assert (round(n, 6), round(o, 6), round(loss, 6)) == (0.696448, 0.602108, 0.181267)

    text = hnn.walkthrough(hnn.train())
    block = text[text.index("Final Output:") :].splitlines()
    assert block[1] == f"  Final n = {n:.6f}"
    assert block[2] == f"  Final o = {o:.6f} (o = tanh({n}))"
    assert block[3] == f"  Final Loss = {loss:.6f}"
    assert "epoch 10's loss, before its update, was 0.188596" in block[4]  # the seed's number, named for what it is
    assert block[5:7] == reference_lines[-2:]  # Final Parameters are unchanged
    assert "two corrections" in text


def test_log_for_other_activations_names_their_derivative():
    text = hnn.walkthrough(hnn.train(hnn.Config(activation="sigmoid", target=0.5, epochs=1)))
    assert "dL/dw1 = x1 * (o - target) * o * (1 - o)" in text
    assert "(o = sigmoid(" in text


def test_zero_epochs_gives_only_the_final_record():
    text = hnn.walkthrough(hnn.train(hnn.Config(epochs=0)))
    assert "EPOCH" not in text
    assert "  Final n = 0.881400" in text
