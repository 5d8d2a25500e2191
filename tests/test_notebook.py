"""The walkthrough notebook: a clean committed run, papermill variants, and proof that nbval checks every number."""
import ast
import json
import re
import subprocess
import sys
import warnings
import xml.etree.ElementTree as ElementTree

import nbformat
import papermill
import pytest

import hnn
from hnn.views.diagram import Display
from hnn.views.log import epoch_text, final_text
from tests.conftest import HYPERPARAMETERS, ROOT, WALKTHROUGH

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SANITIZE = ROOT / "notebooks" / "sanitize.cfg"


def outputs_text(nb) -> str:
    """Every text a reader sees in the outputs: streams, text/plain, text/html and SVG."""
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts.append(out.get("text", ""))
            parts += [v for k, v in out.get("data", {}).items() if k in ("text/plain", "text/html", "image/svg+xml")]
    return "\n".join(parts)


def stdout(nb) -> str:
    return "".join(o["text"] for c in nb.cells for o in c.get("outputs", []) if o.get("name") == "stdout")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_committed_notebook_is_one_clean_top_to_bottom_run(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), "run `make notebooks`"
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not [o for c in code for o in c.outputs if o.get("name") == "stderr"], "no warnings in outputs"
    widgets = nb.metadata.pop("widgets", None)  # the stepper's saved state, if the notebook shows one
    assert widgets is None or "state" in widgets["application/vnd.jupyter.widget-state+json"]  # GitHub needs it
    assert nb.metadata == {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
        **({} if path.name == "exercises.ipynb" else {  # an assignment is handed out, not presented
            "rise": {"center": False, "scroll": True, "slideNumber": "c/t", "theme": "white", "transition": "none"}}),
    }
    # nbgrader: the exercises' cell marks; slideshow: each cell's slide, for RISE
    assert all(set(c.metadata) <= {"tags", "nbgrader", "slideshow"} for c in nb.cells)
    assert all("injected-parameters" not in c.metadata.get("tags", []) for c in nb.cells)
    text = re.sub(r"data:image/[^\"]*", "", outputs_text(nb))  # an image's base64 may spell anything, 39ms/ too
    assert not re.search(r"0x[0-9a-f]{6,}", text), "a memory address in an output"
    assert not re.search(r"/tmp/|/home/|/root/|\d+(\.\d+)? ?(ms|µs|seconds)\b", text), "a path or timing in an output"


def test_parameters_cell_is_what_papermill_lists():
    parameters = papermill.inspect_notebook(str(WALKTHROUGH))
    assert list(parameters) == [*HYPERPARAMETERS, "view", "max_diagrams"]
    defaults = hnn.Config()
    for name in HYPERPARAMETERS:
        assert ast.literal_eval(parameters[name]["default"]) == getattr(defaults, name)  # one literal each: the seed's
        assert parameters[name]["help"], f"{name} has no comment"
    assert parameters["epochs"]["inferred_type_name"] == "int"
    assert parameters["learning_rate"]["inferred_type_name"] == "float"


def test_committed_walkthrough_shows_every_epoch_and_the_seed_corrections():
    nb = nbformat.read(WALKTHROUGH, as_version=4)
    text = stdout(nb)
    trace = hnn.train()
    assert "STEP 3: OPTIMIZATION / GRADIENT DESCENT\n    updated w1 = -3.007071 (w1 = w1 - lr * w1.grad = -3.0 - 0.01" in text
    assert "  Final Loss = 0.181267\n" in text
    outputs = [o.get("data", {}) for c in nb.cells for o in c.get("outputs", [])]
    svgs = [data for data in outputs if "image/svg+xml" in data]
    assert len(svgs) == len(trace.epochs) + 1 + 1  # ae0 … ae10, and the stepper's first frame
    assert sum("image/png" in data for data in outputs) == 4  # the four matplotlib figures
    # untrusted too: the picture first (the stepper's in the box its script steps, which an untrusted notebook drops)
    assert all(re.match(r'(<div id="hnn-stepper-\w+">)?<img src="data:image/svg\+xml;base64,', data["text/html"])
               for data in svgs)


VARIANTS = {
    # papermill -p passes ints; YAML and papermill's Python API pass "1e-3" as a string: hnn.Config coerces both.
    "fast": dict(learning_rate=0.5, epochs=30),
    "sigmoid-graph": dict(activation="sigmoid", target=0.5, x2=1.0, learning_rate=1, view="graph"),
    "long": dict(epochs=10000, learning_rate="1e-3"),
}
AGAIN = "fast, another hash seed"


@pytest.fixture(scope="module")
def variants(tmp_path_factory) -> dict:
    """Each variant executed by papermill, from a folder unrelated to the notebook and with no --cwd: the notebook must
    not depend on the working directory. "fast" runs twice, its kernels under different hash seeds. papermill runs in
    this process: the command line's own parsing of -p, -y and -f is tested in test_reliability.py."""
    runs = {**{name: (parameters, "1") for name, parameters in VARIANTS.items()}, AGAIN: (VARIANTS["fast"], "2")}
    executed = {}
    for name, (parameters, seed) in runs.items():
        folder = tmp_path_factory.mktemp("variant")
        with pytest.MonkeyPatch.context() as patch:
            patch.chdir(folder)
            patch.setenv("PYTHONHASHSEED", seed)  # the kernel inherits it: set iteration orders differ, outputs must not
            papermill.execute_notebook(str(WALKTHROUGH), "out.ipynb", parameters=parameters, progress_bar=False)
        executed[name] = folder / "out.ipynb"
    return executed


@pytest.mark.parametrize("name", list(VARIANTS))
def test_papermill_variants_print_the_trace_of_their_parameters(name, variants):
    parameters = VARIANTS[name]
    nb = nbformat.read(variants[name], as_version=4)
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    config = hnn.Config(**{k: v for k, v in parameters.items() if k in HYPERPARAMETERS})
    trace = hnn.train(config)
    text = stdout(nb)
    shown = Display().shown(config.epochs)
    for epoch in shown:
        assert epoch_text(trace, trace.epoch(epoch)) in text
    assert final_text(trace, note=False) in text
    assert text.count("EPOCH ") == len(shown)
    # At most 12 diagrams (PNG, SVG and an <img> with alt text each), 4 figures, and the stepper's frames.
    assert variants[name].stat().st_size < 2_500_000
    # papermill's injected cell overrides the parameters cell: the notebook says so near the top, naming its values.
    assert f"papermill set {', '.join(parameters)} in the cell it injected below the Parameters cell" in text


def test_an_unreachable_target_warns_once_at_the_readers_line(monkeypatch):
    """At the line that calls hn.setup (in the notebook, its cell), not inside hnn or the standard library, and not
    again when the learning-rates cell trains 200 variants of the same run."""
    import hnn.notebook as hn

    monkeypatch.setattr(hn, "_show", lambda bundle: None)  # no IPython display to draw on here
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # every warning raised is recorded, not only the first from each line
        line, (config, _) = sys._getframe().f_lineno, hn.setup(activation="sigmoid", target=-0.5, epochs=3)
        hn.show_learning_rates(hnn.train(config))
    assert [(w.category, w.filename, w.lineno) for w in caught] == [(hnn.UnreachableTargetWarning, __file__, line)]


def test_make_run_rejects_a_bad_parameters_file_in_one_line_and_writes_nothing(tmp_path):
    params = tmp_path / "bad.yml"
    params.write_text("learning_rate: -1\n")
    out = tmp_path / "out.ipynb"
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "run-notebook"), str(out), str(params)],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr == "make run: learning_rate must be a number greater than 0 and at most 100, got -1.0\n"
    assert not out.exists()


def test_two_runs_give_the_same_outputs_byte_for_byte(variants):
    first, second = (nbformat.read(variants[name], as_version=4) for name in ("fast", AGAIN))
    assert len(first.cells) == len(second.cells)
    for a, b in zip(first.cells, second.cells):  # papermill's timestamps live in the metadata, which is left out
        assert (a.get("execution_count"), a.get("outputs")) == (b.get("execution_count"), b.get("outputs")), a.source
    svgs = sum("image/svg+xml" in o.get("data", {}) for c in first.cells for o in c.get("outputs", []))
    assert svgs == len(Display().shown(VARIANTS["fast"]["epochs"])) + 1 + 1  # the trained network, the stepper


class Writes:
    """A stdout that keeps each write apart, as a kernel may send them: one stream output each."""

    def __init__(self):
        self.writes = []

    def write(self, text):
        self.writes.append(text)

    def flush(self):
        pass


def test_each_line_a_cell_prints_is_one_write_which_a_kernel_cannot_split(monkeypatch):
    """print writes its text and then its newline; a kernel that flushed between the two made the trained network's
    log two outputs in one papermill run and one in the next (the byte-for-byte test above failed so, now and then)."""
    import hnn.notebook as hn

    monkeypatch.setattr("IPython.display.display", lambda bundle, raw: None)
    trace = hnn.train(hnn.Config(learning_rate=5, epochs=3))  # notes above the epochs too
    stdout = Writes()
    monkeypatch.setattr(sys, "stdout", stdout)
    hn.show_epochs(trace, Display())
    hn.show_final(trace, Display())
    monkeypatch.undo()
    assert stdout.writes[0].startswith("Showing all 3 epochs") and stdout.writes[-1].startswith("Final Output:")
    assert all(text.endswith("\n") and text.strip() for text in stdout.writes), stdout.writes


def mutate_number(text: str, pattern: str) -> str:
    """Change the last digit of the first number matching pattern: the smallest edit a number can get."""
    match = re.search(pattern, text)
    assert match, pattern
    start, end = match.span(1)
    digit = text[end - 1]
    return text[: end - 1] + str((int(digit) + 1) % 10) + text[end:]


def test_nbval_fails_on_any_single_changed_number_and_passes_the_rest(tmp_path):
    nb = nbformat.read(WALKTHROUGH, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    mutated = {}

    def by_source(text):
        return next(i for i, c in enumerate(code) if text in c.source)

    def edit(cell, output_filter, key, pattern):
        out = next(o for o in code[cell].outputs if output_filter(o))
        container, field = (out, "text") if key == "text" else (out["data"], key)
        container[field] = mutate_number(container[field], pattern)
        mutated[cell] = out["name"] if key == "text" else key  # what nbval names in its report: stdout, text/html, …

    edit(by_source("hn.setup("), lambda o: "data" in o, "text/plain", r"b=(6\.8814)")
    edit(by_source("hn.show_epochs("), lambda o: o.get("name") == "stdout" and "EPOCH 4" in o.text, "text",
         r"loss = (0\.230694)")
    edit(by_source("hn.show_final("), lambda o: "image/svg+xml" in o.get("data", {}), "image/svg+xml",
         r">[^<]*?(0\.6964\d\d)")
    edit(by_source("hn.GradientTable("), lambda o: "data" in o, "text/html", r"(0\.70709\d+)")
    edit(by_source("hn.show_figures("), lambda o: "data" in o, "text/plain", r"(0\.250009)")
    copy = tmp_path / "mutated.ipynb"
    nbformat.write(nb, copy)

    report = tmp_path / "report.xml"
    subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=", "--nbval", "--nbval-current-env",
         f"--nbval-sanitize-with={SANITIZE}", f"--junitxml={report}", str(copy)],
        cwd=tmp_path, capture_output=True,
    )
    cases = {int(re.search(r"Cell (\d+)", c.get("name")).group(1)): c for c in ElementTree.parse(report).iter("testcase")}
    assert sorted(cases) == list(range(len(code)))
    failed = {cell: case.find("failure") for cell, case in cases.items() if len(case)}  # a failure, error or skip
    assert set(failed) == set(mutated), json.dumps({"mutated": mutated, "failed": sorted(failed)})
    # Each fails because its output differs where it was changed, not for some other reason: the untouched cells
    # pass in this same run, and the untouched notebook passes in the suite's own nbval run of notebooks/.
    for cell, failure in failed.items():
        assert failure is not None and f"mismatch '{mutated[cell]}'" in failure.text, f"cell {cell}"


@pytest.mark.parametrize("view", ["network", "graph"])
def test_sanitize_rules_let_graphviz_releases_differ_but_no_number(view):
    # tests/reference/ae0-*.graphviz-16.svg were rendered from ae0-*.gv by Graphviz 16.1 (the WebAssembly build
    # in npm's @hpcc-js/wasm-graphviz 1.29.2), a release with other coordinates and attributes than 14.1.5, used here.
    from nbval.plugin import get_sanitize_patterns

    from hnn.notebook.outputs import fit_width
    from hnn.views.render import render

    rules = get_sanitize_patterns(SANITIZE.read_text())
    assert len(rules) == 3, "nbval reads 'replace: ' with its space; an editor may have stripped it"

    def sanitized(svg: str) -> str:
        for regex, replace in rules:
            svg = re.sub(regex, replace, svg)
        return svg

    reference = ROOT / "tests" / "reference"
    local = fit_width(render([(reference / f"ae0-{view}.gv").read_text()], "svg")[0].decode())
    other = fit_width((reference / f"ae0-{view}.graphviz-16.svg").read_text())
    assert local != other
    assert sanitized(local) == sanitized(other)
    assert sanitized(local) != sanitized(mutate_number(other, r">[^<]*?(0\.707120)"))
