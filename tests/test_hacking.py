"""Hacking in the notebook: the walkthrough's own training loop, hack_it.ipynb's activation, loss and update rules
through every view against replays by hand, and a student's mistakes, each in one line."""
import re

import nbclient
import nbformat
import pytest

import hnn
import hnn.notebook as hn
from hnn.formula import num, short
from hnn.views import diagram, frames, log, narrative, plots, worksheet
from tests import plain
from tests.conftest import ROOT, WALKTHROUGH

HACK_IT = ROOT / "notebooks" / "hack_it.ipynb"
# Each section of hack_it.ipynb that trains, as (activation, loss, update) of the replay by hand.
SECTIONS = {
    "softsign, forward only": ("softsign", "squared", "descent"),
    "softsign, own derivative": ("softsign", "squared", "descent"),
    "absolute error": ("tanh", "absolute", "descent"),
    "momentum": ("tanh", "squared", "momentum"),
    "gradient ascent": ("tanh", "squared", "ascent"),
}


def code_cells(path) -> list[str]:
    return [cell.source for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"]


@pytest.fixture(scope="module")
def hack_it():
    """hack_it.ipynb's code run cell after cell in one namespace, as Run All does, with hn.show_run recording the
    trace each section shows instead of drawing it; and what the cells printed."""
    shown, printed = [], []
    patch = pytest.MonkeyPatch()
    patch.setattr(hn, "show_run", lambda trace, *passages: shown.append((trace, passages)))
    patch.setattr("builtins.print", lambda *args, **kwargs: printed.append(" ".join(map(str, args))))
    try:
        namespace = {}
        for source in code_cells(HACK_IT):
            exec(compile(source, "hack_it", "exec"), namespace)
    finally:
        patch.undo()
    return dict(zip(SECTIONS, shown)), printed


def close(a: float, b: float) -> bool:
    return a == pytest.approx(b, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("section", list(SECTIONS))
def test_each_section_trains_as_its_replay_at_every_epoch(section, hack_it):
    trace, _ = hack_it[0][section]
    epochs, final = plain.replay_hack(*SECTIONS[section])
    assert len(trace.epochs) == 10
    stateful = trace.config.rule.state
    for e, by_hand in zip(trace.epochs, epochs):
        for name in ("w1", "w2", "b", "n", "o", "L"):
            assert close(e.values[name], by_hand[name]), (e.epoch, name)
        for name in ("o", "n", "w1", "w2", "b"):
            assert close(e.grad[name], by_hand[f"dL/d{name}"]), (e.epoch, name)
        for p in ("w1", "w2", "b"):
            assert close(e.updated[p], by_hand[f"new {p}"]), (e.epoch, p)
            if stateful:
                assert close(e.values[f"v_{p}"], by_hand[f"v_{p}"]) and close(e.updated[f"v_{p}"], by_hand[f"new v_{p}"])
    for name in ("w1", "w2", "b", "n", "o"):
        assert close(trace.final[name], final[name])
    assert close(trace.final.loss, final["L"])


def numbers(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"-?\d+\.\d+(?:e-?\d+)?", text.replace("\u2212", "-"))]


@pytest.mark.parametrize("section", list(SECTIONS))
def test_each_section_through_every_view_writes_its_own_formulas_and_numbers(section, hack_it):
    trace, passages = hack_it[0][section]
    activation, loss, update = SECTIONS[section]
    epochs, final = plain.replay_hack(activation, loss, update)
    first, second = epochs[0], epochs[1]

    # The log: the forward pass, the chain rule and the step as this section wrote them, with the numbers that ran.
    text = log.epoch_text(trace, trace.epochs[1])
    written = {"softsign": "abs(" if section.endswith("only") else "softsign(", "tanh": "tanh("}[activation]
    line = next(line.strip() for line in text.splitlines() if line.strip().startswith("o = "))
    assert line.startswith(f"o = {second['o']:.6f} (o = ") and written in line
    found = numbers(line.split(" (o = ")[1])
    assert found == pytest.approx([second["n"]] * len(found), rel=1e-12) and found
    loss_line = next(line.strip() for line in text.splitlines() if line.strip().startswith("loss = "))
    assert loss_line.startswith(f"loss = {second['L']:.6f} (Loss = " + ("abs(" if loss == "absolute" else "0.5 * ("))
    slope = {"softsign": "(1 / (1 + abs(n)) - n / (1 + abs(n))^2 * sign(n))" if section.endswith("only")
             else "(1 / (1 + abs(n))^2)", "tanh": "(1 - o^2)"}[activation]
    error = "sign(o - target)" if loss == "absolute" else "(o - target)"
    assert f"w1.grad = {second['dL/dw1']:.6f} (gradient of loss w.r.t w1: dL/dw1 = x1 * {error} * {slope})" in text
    for p in ("w1", "w2", "b"):
        grad = f"{p}.grad"
        if update == "momentum":
            written = [f"updated v_{p} = {second[f'new v_{p}']:.6f} (v_{p} = beta * v_{p} + {grad} = ",
                       f"updated {p} = {second[f'new {p}']:.6f} ({p} = {p} - lr * v_{p} = "]
            expected = [[0.9, second[f"v_{p}"], second[f"dL/d{p}"]], [second[p], 0.01, second[f"new v_{p}"]]]
        else:
            sign = "+" if update == "ascent" else "-"
            written = [f"updated {p} = {second[f'new {p}']:.6f} ({p} = {p} {sign} lr * {grad} = "]
            expected = [[second[p], 0.01, second[f"dL/d{p}"]]]
        for start, values in zip(written, expected):
            line = next(line.strip() for line in text.splitlines() if line.strip().startswith(start))
            assert numbers(line[len(start):]) == pytest.approx(values, rel=1e-12)
    heading = {"descent": "GRADIENT DESCENT", "momentum": "MOMENTUM", "ascent": "GRADIENT ASCENT"}[update]
    assert f"STEP 3: OPTIMIZATION / {heading}\n" in text

    # The diagram before epoch 2: each parameter's gradient, the velocity with its arithmetic, the step and the result.
    source = diagram.network(trace, 1).source
    for p in ("w1", "b"):
        assert f">{num(second[f'dL/d{p}'])}<" in source
        if update == "momentum":
            assert f">{num(0.9)} × {num(second[f'v_{p}'])} + {num(second[f'dL/d{p}'])} = {num(second[f'new v_{p}'])}<" in source
            assert f">−{num(0.01)} × {num(second[f'new v_{p}'])}<" in source
        else:
            assert f">{'+' if update == 'ascent' else '−'}{num(0.01)} × {num(second[f'dL/d{p}'])}<" in source
        assert f">{num(second[f'new {p}'])}<" in source

    # The stepper: the update's frames, each formula = numbers = result, and the velocity in the parameter's box.
    steps = frames.frames(trace, diagram.Display())
    lines = [line for frame in steps for line in frame["lines"]]
    if update == "momentum":
        assert (f"new v_w1 = beta · v_w1 + dL/dw1 = 0.9 × {num(first['v_w1'])} + {num(first['dL/dw1'])} ="
                f" {num(first['new v_w1'])}") in lines
        assert (f"new w1 = w1 − learning_rate · new v_w1 = {num(first['w1'])} − 0.01 × {num(first['new v_w1'])} ="
                f" {num(first['new w1'])}") in lines
        assert ("v", "new v_w1") in diagram.stepper_rows(trace)["w1"]
        assert 'data-slot="new v_w1"' in frames.template(trace, steps)
    else:
        sign = "+" if update == "ascent" else "−"
        assert (f"new w1 = w1 {sign} learning_rate · dL/dw1 = {num(first['w1'])} {sign} 0.01 × {num(first['dL/dw1'])} ="
                f" {num(first['new w1'])}") in lines
    assert any(line.startswith("L = ") and line.endswith(f" = {num(first['L'])}") for line in lines)

    # The narrative: the passages the section shows, with the numbers of epoch 1.
    said = {passage: narrative.PASSAGES[passage](trace) for passage in passages}
    if "backward" in said:
        assert f"= {short(first['do/dn'])}$" in said["backward"]
        assert f"\\frac{{\\partial L}}{{\\partial w_1}} = {short(first['dL/dn'])} \\cdot 2 = {short(first['dL/dw1'])}$" \
            in said["backward"]
    if "step" in said:
        if update == "momentum":
            assert f"v_{{w1}} &\\leftarrow 0.9 \\cdot 0 + {short(first['dL/dw1'])} = {short(first['new v_w1'])}" in said["step"]
        assert f"w_1 &\\leftarrow -3 {'+' if update == 'ascent' else '-'} 0.01 \\cdot" in said["step"]

    # The loss per epoch, as plotted; the worksheet's formulas.
    figure = plots.loss_curve(trace)
    plotted = [y for line in figure.axes[0].lines for y in line.get_ydata()]
    assert plotted[:10] == pytest.approx([e["L"] for e in epochs], rel=1e-12)
    formulas = "".join(page.source for page in worksheet.page(trace, 1))
    if update == "momentum":
        assert "new v_w1 = beta · v_w1 + dL/dw1" in formulas and "new w1 = w1 − learning_rate · new v_w1" in formulas
        assert "Momentum   (learning_rate = 0.010000, beta = 0.900000)" in formulas


def test_the_committed_sections_show_their_replays_final_losses():
    nb = nbformat.read(HACK_IT, as_version=4)
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    for activation, loss, update in SECTIONS.values():
        epochs, final = plain.replay_hack(activation, loss, update)
        assert f"The loss: {epochs[0]['L']:.6f} before training, {final['L']:.6f} after 10 epochs" in text
    assert "(up)." in text  # gradient ascent climbs
    assert "Note: epoch 1's step raised the loss" in text and "the update rule gradient_ascent stepped uphill" in text


def test_a_wrong_derivative_is_one_line_with_the_epoch_both_numbers_and_the_derivative_to_blame(hack_it):
    _, printed = hack_it
    n = plain.replay_hack("softsign")[0][0]["n"]
    o = plain.softsign(n)
    mine, autograds = 1 / (1 + n), 1 / (1 + n) ** 2
    assert (f"epoch 1: dL/dn is {o * autograds!r} by autograd but {o * mine!r} by backpropagation by hand: softsign's"
            f" local derivative with respect to n gives {mine!r} by hand but {autograds!r} by autograd, so its derivative"
            " (not its forward pass) is wrong") in printed


def test_a_derivative_wrong_only_for_negative_n_is_caught_at_the_first_epoch_n_is_negative():
    """softsign's derivative with |n| forgotten: right while n > 0, so the message names the first epoch with n < 0."""
    forgot_abs = hnn.Op("softsign", lambda n: n / (1 + abs(n)), lambda n, o: 1 / (1 + n) ** 2, activation=True)
    config = hnn.Config(activation=forgot_abs, target=-0.9, learning_rate=1.0, epochs=10)
    x1, w1, b, rate, t = 2.0, -3.0, 6.8814, 1.0, -0.9
    n = x1 * w1 + b
    epoch = 1
    while n >= 0 and epoch <= 10:  # gradient descent with the right derivative, until n turns negative
        epoch += 1
        dL_dn = (plain.softsign(n) - t) / (1 + abs(n)) ** 2
        w1, b = w1 - rate * x1 * dL_dn, b - rate * dL_dn
        n = x1 * w1 + b
    assert 1 < epoch <= 10
    with pytest.raises(hnn.GradientMismatch, match=rf"^epoch {epoch}: dL/dn is .* softsign's local derivative with"
                                                   r" respect to n gives .* by hand but .* by autograd, so its derivative"):
        hnn.train(config)


def walkthrough_namespace(parameters: dict | None = None) -> dict:
    """The walkthrough's cells up to its training loop, run as a kernel would, but the Parameters cell's values passed
    to Config by name: outside a kernel hn.setup has no cell history to read."""
    cells = code_cells(WALKTHROUGH)
    loop = next(i for i, source in enumerate(cells) if "record = hn.Record(config)" in source)
    namespace = {}
    for source in cells[:loop]:
        if "hn.setup(" in source:
            values = {name: namespace[name] for name in hn.parameters(namespace["neuron"]) if name in namespace}
            namespace["config"], namespace["display"] = hn.setup(namespace["neuron"], update=namespace["gradient_descent"],
                                                                 **(values | (parameters or {})))
        else:
            exec(compile(source, "walkthrough", "exec"), namespace)
    namespace["loop"] = cells[loop]
    return namespace


def test_the_walkthroughs_loop_trains_the_seed_as_the_original_notebook_printed_it():
    namespace = walkthrough_namespace()
    exec(namespace["loop"], namespace)
    trace = namespace["trace"]
    assert hnn.walkthrough(trace) == (ROOT / "tests" / "reference" / "before" / "default.log").read_text()
    assert trace.to_json() == hnn.train(hnn.Config()).to_json()


def test_the_walkthroughs_loop_runs_a_rule_with_state_and_refuses_a_step_the_rule_does_not_take():
    namespace = walkthrough_namespace()
    exec("@hnn.update(state={'v': 0.0})\ndef momentum(w, dL_dw, v, learning_rate, beta=0.9):\n"
         "    v = beta * v + dL_dw\n    return w - learning_rate * v, v\n"
         "config = config.replace(update=momentum)", namespace)
    exec(namespace["loop"], namespace)
    epochs, _ = plain.replay_hack(update="momentum")
    assert [e.updated["v_b"] for e in namespace["trace"].epochs] == pytest.approx([e["new v_b"] for e in epochs], rel=1e-12)

    edited = namespace["loop"].replace("config.learning_rate, config", "2 * config.learning_rate, config")
    assert edited != namespace["loop"]
    namespace["config"] = namespace["config"].replace(update=hnn.gradient_descent)
    with pytest.raises(hnn.NetworkError) as raised:
        exec(edited, namespace)
    gradient = 0.7070935742030305  # the seed's dL/dw1 in epoch 1, from its log
    assert str(raised.value) == (f"epoch 1: the loop made w1 {-3.0 - 0.02 * gradient!r}, but the update rule"
                                 f" gradient_descent gives {-3.0 - 0.01 * gradient!r}; the views write out the"
                                 " rule, so change the rule (Config(update=…)) rather than the loop's step")


# A student's slips, each run in a kernel as JupyterLab runs a cell: the output is one line, never a traceback.
IMPORTS, PARAMETERS = code_cells(WALKTHROUGH)[:2]
assert PARAMETERS.startswith("x1: float = 2.0")
SLIPS = {
    "misspelt parameter": PARAMETERS + "\nlearing_rate = 0.1\n",
    "renamed parameter, fresh kernel": PARAMETERS.replace("learning_rate: float = 0.01", "learing_rate: float = 0.01"),
}
NETWORK_SLIPS = {  # what the student changed in the network cell, and the start of the one line that says so
    "math.tanh": ("o = activation(n)", "import math; o = math.tanh(n)", r"line \d+ of neuron, `import math; o = math\.tanh"
                  r"\(n\)`: a value of the network is not a number: math's functions, float\(\) and numpy cannot take it"),
    "numpy": ("o = activation(n)", "import numpy; o = numpy.tanh(n)", r"line \d+ of neuron, `import numpy; o = numpy\.tanh"
              r"\(n\)`: a value of the network is not a number"),
    "if on a value": ("o = activation(n)", "o = n if n > 0 else 0 * n", r"line \d+ of neuron, `o = n if n > 0 else 0 \* n`:"
                      r" an `if`, `and`, `or` or comparison cannot depend on a value of the network"),
    "no loss": ("    return L", "", r"network neuron returns nothing: end it with `return L`, L its loss$"),
    "a parameter that does not reach the loss": ("n = x1*w1 + x2*w2 + b", "n = x1*w1 + x2*w2",
                                                 r"parameter b of neuron does not reach the loss L: its gradient would"
                                                 r" always be 0"),
}


def run_in_kernel(cells: list[str]) -> list:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in cells])
    nbclient.NotebookClient(nb, timeout=120, allow_errors=True).execute()
    return nb.cells


@pytest.fixture(scope="module")
def slips():
    """Each slip's notebook in a kernel of its own: the walkthrough's first cells, one of them changed."""
    cells = code_cells(WALKTHROUGH)
    network = next(source for source in cells if "@hnn.network" in source)
    setup = next(source for source in cells if "hn.setup(" in source)
    update = next(source for source in cells if source.startswith("@hnn.update"))
    runs = {name: run_in_kernel([IMPORTS, parameters, network, update, setup, "trace = hnn.train(config)"])
            for name, parameters in SLIPS.items()}
    for name, (old, new, _) in NETWORK_SLIPS.items():
        changed = network.replace(old, new, 1)
        assert changed != network
        runs[name] = run_in_kernel([IMPORTS, PARAMETERS, changed, update, setup])
    return runs


@pytest.mark.parametrize("name", list(SLIPS))
def test_a_misspelt_parameter_is_one_line_with_the_closest_name(name, slips):
    setup = slips[name][4]
    accepted = ", ".join(hn.parameters(hnn.lessons.neuron))
    message = f"unknown parameter 'learing_rate' in the Parameters cell (did you mean learning_rate?); accepted: {accepted}"
    errors = [o for o in setup.outputs if o.output_type == "error"]
    assert [(e.ename, e.evalue, e.traceback) for e in errors] == [("ParameterError", message, [f"ParameterError: {message}"])]
    after = slips[name][5].outputs
    assert [o.get("text") for o in after] == [f"Fix the Parameters cell first: {message}. Nothing below is shown until"
                                              " hn.setup accepts the values.\n"]


@pytest.mark.parametrize("name", list(NETWORK_SLIPS))
def test_a_slip_in_the_network_cell_is_one_line_there(name, slips):
    network = slips[name][2]
    errors = [o for o in network.outputs if o.output_type == "error"]
    assert len(errors) == 1 and errors[0].ename == "NetworkError"
    assert re.match(NETWORK_SLIPS[name][2], errors[0].evalue)
    assert errors[0].traceback == [f"NetworkError: {errors[0].evalue}"]
