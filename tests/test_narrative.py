"""The walkthrough for parameter sets far from the defaults: it runs to the end, and its prose has the run's numbers."""
import math
import re
from concurrent.futures import ThreadPoolExecutor

import nbclient
import nbformat
import pytest

import hnn
from hnn.views import narrative
from tests.conftest import WALKTHROUGH
from tests.plain import replay

# Each activation, epochs 0 and 1, x2 ≠ 0 (and x2 = 1), a saturated tanh, relu's dead zone, a step that overshoots.
SETS = {
    "untrained": dict(epochs=0),
    "one-epoch-sigmoid": dict(epochs=1, activation="sigmoid", target=0.5, x2=1.0),
    "dead-relu": dict(activation="relu", w1=-5.0, target=0.5, epochs=3),
    "saturated": dict(b=10.0, epochs=3),
    "overshoot": dict(learning_rate=1.0, x2=-0.5, epochs=4, view="graph"),
}
NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


@pytest.fixture(scope="module")
def executed(tmp_path_factory) -> dict:
    """Each set run as `hnn sweep` runs it (its values written into the parameters cell), two at a time."""
    import threading

    from hnn.classroom import sweep

    folder = tmp_path_factory.mktemp("narrative")

    def run(name):
        staged = folder / "staged" / f"{name}.ipynb"  # where papermill writes as it goes
        staged.parent.mkdir(exist_ok=True)
        return sweep.execute(WALKTHROUGH, staged, folder / f"{name}.ipynb", SETS[name], threading.Event())

    with ThreadPoolExecutor(2) as pool:
        errors = dict(zip(SETS, pool.map(run, SETS)))
    return {name: (errors[name], nbformat.read(folder / f"{name}.ipynb", as_version=4)) for name in SETS}


def expected_numbers(parameters: dict) -> list[float]:
    """Every value the narrative may state: the run's hyperparameters, and each number of its plain-float replay."""
    config = hnn.Config(**{k: v for k, v in parameters.items() if k != "view"})
    steps, final = replay(config)
    values = [v for v in config.to_dict().values() if not isinstance(v, str)]
    values += [x for step in steps for x in step] + list(final)
    return values + [-1.0, 0.0, 1.0, 2.0]  # the formulas' own: ranges, ½, squares, subscripts, epoch 1


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-5, abs_tol=1e-6)  # six significant digits


@pytest.mark.parametrize("name", list(SETS))
def test_every_parameter_set_runs_to_the_end_with_its_own_numbers_in_the_prose(name, executed):
    error, nb = executed[name]
    parameters = SETS[name]
    assert error is None, error
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error" or o.get("name") == "stderr"]
    assert not [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    for key, value in parameters.items():
        literal = f'"{value}"' if isinstance(value, str) else repr(value)
        assert re.search(rf"^{key}: \w+ = {re.escape(literal)}  # ", cell.source, re.M), (key, cell.source)
    passages = {c.source.split('"')[1]: c.outputs[0].data for c in nb.cells if c.source.startswith("hn.show_narrative(")}
    assert set(passages) == set(narrative.PASSAGES)
    allowed = expected_numbers(parameters)
    steps, final = replay(hnn.Config(**{k: v for k, v in parameters.items() if k != "view"}))
    for passage, data in passages.items():
        assert data["text/markdown"] == data["text/plain"]
        numbers = [float(x) for x in NUMBER.findall(data["text/markdown"].replace("STEP 3", "STEP"))]  # the log's label
        stray = [x for x in numbers if not any(close(x, a) for a in allowed)]
        assert not stray, f"{passage}: {stray} are none of the run's numbers:\n{data['text/plain']}"
    text = "\n".join(data["text/plain"] for data in passages.values())
    start = steps[0] if steps else final
    for value in (start.n, start.o, start.loss):  # the worked forward pass
        assert any(close(value, x) for x in map(float, NUMBER.findall(passages["forward"]["text/plain"]))), value
    if steps:
        s = steps[0]
        backward = [float(x) for x in NUMBER.findall(passages["backward"]["text/plain"])]
        for value in (s.dL_do, s.do_dn, s.dL_dn, s.dL_dw1, s.dL_db):
            assert any(close(value, x) for x in backward), value
        step = [float(x) for x in NUMBER.findall(passages["step"]["text/plain"])]
        assert all(any(close(value, x) for x in step) for value in (s.new_w1, s.new_w2, s.new_b))
        corrections = [float(x) for x in NUMBER.findall(passages["corrections"]["text/plain"])]
        assert any(close(steps[-1].loss, x) for x in corrections) and any(close(final.loss, x) for x in corrections)
    assert ("Why $w_2$ never moves" in text) == (steps != [] and parameters.get("x2", 0.0) == 0)
    if steps and parameters.get("x2", 0.0) != 0:  # w2 learns: its gradient is worked out with the others
        assert any(close(steps[0].dL_dw2, x) for x in map(float, NUMBER.findall(passages["backward"]["text/plain"])))
    activation = parameters.get("activation", "tanh")
    assert activation in passages["forward"]["text/plain"]
    assert ("1 - o^2" in text) == (activation == "tanh") and ("o (1 - o)" in text) == (activation == "sigmoid")


def test_a_rejected_parameter_leaves_no_earlier_number_or_picture_below_it():
    """Run all, then learning_rate = -1 and run all again in the same kernel, errors allowed (as a kernel that goes
    on with the queued cells would): each later cell says what to fix. Then again as in a fresh kernel, where the
    names the setup cell assigns do not exist."""
    nb = nbformat.read(WALKTHROUGH, as_version=4)
    parameters = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    parameters.source = parameters.source.replace("epochs: int = 10", "epochs: int = 2")
    client = nbclient.NotebookClient(nb, allow_errors=True, timeout=300,
                                     resources={"metadata": {"path": str(WALKTHROUGH.parent)}})
    code = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    setup = next(n for n, (_, c) in enumerate(code) if "hn.setup(" in c.source)
    with client.setup_kernel():
        for i, cell in code:
            client.execute_cell(cell, i)
        first = hnn.train(hnn.Config(epochs=2))
        earlier = {f"{x:.6f}" for x in (first.final.loss, first.final.o, first.epochs[0].loss, first.epochs[1].w1)}
        assert all(any(number in str(o) for c in nb.cells for o in c.get("outputs", [])) for number in earlier)

        parameters.source = parameters.source.replace("learning_rate: float = 0.01", "learning_rate: float = -1")
        for fresh in (False, True):
            if fresh:
                client.execute_cell(nbformat.v4.new_code_cell("del config, display, trace"), 0)
            for i, cell in code:
                client.execute_cell(cell, i)
            error = [o for o in code[setup][1].outputs if o.output_type == "error"]
            assert error and "learning_rate must be a number greater than 0" in "".join(error[0].traceback)
            for _, cell in code[setup + 1:]:
                shown = "\n".join(str(o) for o in cell.outputs)
                assert "Fix the Parameters cell first: learning_rate must be" in shown, (fresh, cell.source, shown)
                assert not [o for o in cell.outputs if {"image/png", "text/html"} & set(o.get("data", {}))], cell.source
                assert not [number for number in earlier if number in shown], (fresh, cell.source)
                assert all(len(o.get("traceback", [])) <= 1 for o in cell.outputs), "a traceback, not one line"
