"""The notebook without `dot` and without pygraphviz: every number still shows, the hint once."""
import os
from pathlib import Path

import nbformat
import pytest

import hnn
import hnn.notebook as hn
from hnn.views.diagram import Display
from hnn.views.log import epoch_text, final_text
from tests.conftest import papermill_all

# 5. Without a `dot` program the notebook draws every diagram, with nothing on stderr; without pygraphviz, which
# draws them, it says how to install it, once, and shows every number.

HIDDEN = "pygraphviz is hidden for this test"
NO_PYGRAPHVIZ = "No diagrams: the diagrams need pygraphviz, which does not import here"


@pytest.fixture(scope="module")
def notebooks_without_graphviz(tmp_path_factory):
    root = tmp_path_factory.mktemp("no-graphviz")
    (root / "bin").mkdir()  # a PATH without dot, which the kernel inherits; python is started by its full path
    (root / "hide" / "pygraphviz").mkdir(parents=True)  # first on the kernel's sys.path: `import pygraphviz` fails
    (root / "hide" / "pygraphviz" / "__init__.py").write_text(f"raise ImportError({HIDDEN!r})\n")
    runs = {
        "no dot": ([], {}, {**os.environ, "PATH": str(root / "bin")}),
        "no pygraphviz": (["-p", "learning_rate", "5"], {}, {**os.environ, "PYTHONPATH": str(root / "hide")}),
    }
    return papermill_all(root, runs)


def notebook_outputs(folder: Path) -> list:
    nb = nbformat.read(folder / "out.ipynb", as_version=4)
    return [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]


def test_the_notebook_without_dot_draws_every_diagram_with_nothing_on_stderr(notebooks_without_graphviz):
    status, stderr, folder = notebooks_without_graphviz["no dot"]
    assert status == 0, stderr
    outputs = notebook_outputs(folder)
    assert not [o for o in outputs if o.output_type == "error" or o.get("name") == "stderr"]  # no Fontconfig warning
    diagrams = [o for o in outputs if "image/svg+xml" in o.get("data", {}) and "ae" in o.data["text/plain"]]
    assert len(diagrams) == 10 + 1  # every epoch (10 is within max_diagrams) and the trained network
    assert all(o.data["text/html"].startswith('<img src="data:image/svg+xml;base64,') for o in diagrams)
    assert "Fontconfig" not in stderr


def test_the_notebook_without_pygraphviz_gives_the_hint_once_and_every_number(notebooks_without_graphviz):
    status, stderr, folder = notebooks_without_graphviz["no pygraphviz"]
    assert status == 0, stderr
    outputs = notebook_outputs(folder)
    assert not [o for o in outputs if o.output_type == "error" or o.get("name") == "stderr"]
    text = "".join(o.text for o in outputs if o.get("name") == "stdout")
    hint = f"{NO_PYGRAPHVIZ} ({HIDDEN}); install it with 'pip install pygraphviz' or 'conda install -c conda-forge pygraphviz'."
    assert text.count(hint) == 1 and text.count("No diagrams") == 1
    trace = hnn.train(hnn.Config(learning_rate=5))
    assert all(epoch_text(trace, e) in text for e in trace.epochs) and final_text(trace, note=False) in text
    assert "Note: epoch 1's step raised the loss from 0.250009 to 0.500000" in text and "tanh is saturated" in text
    assert not [o for o in outputs if "image/svg+xml" in o.get("data", {})]
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 4  # the matplotlib figures need no Graphviz


def test_without_pygraphviz_show_epochs_and_show_final_print_the_hint_once(capsys, hidden_pygraphviz, monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda bundle, raw: shown.append(bundle))
    trace = hnn.train(hnn.Config(epochs=2))
    hn.show_epochs(trace, Display())
    hn.show_final(trace, Display())
    out = capsys.readouterr().out
    assert out.count(NO_PYGRAPHVIZ) == 1 and shown == []
    assert out.count("EPOCH ") == 2 and "Final Loss" in out
