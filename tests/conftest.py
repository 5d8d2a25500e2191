"""Shared helpers for the tests, and a guard that no test changes the committed notebooks and diagrams. The
independent model of the neuron the tests compare hnn with is tests/plain.py."""
import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "tests" / "reference" / "seed_walkthrough.txt"
COMMITTED = ("notebooks", "diagrams")  # what users open and nbval checks: tests read them, never write them
WALKTHROUGH = ROOT / "notebooks" / "hacking_neural_networks.ipynb"
HYPERPARAMETERS = ("x1", "x2", "w1", "w2", "b", "target", "learning_rate", "epochs", "activation")  # the documented names


def digests() -> dict:
    """Every file under COMMITTED, by path, with a hash of its bytes."""
    files = [path for folder in COMMITTED for path in sorted((ROOT / folder).rglob("*")) if path.is_file()]
    return {path.relative_to(ROOT).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest() for path in files}


@pytest.fixture(scope="session", autouse=True)
def committed_files_stay_untouched():
    """Fails the session if any test added, changed or removed a file in notebooks/ or diagrams/."""
    before = digests()
    yield
    after = digests()
    changed = sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
    if changed:
        pytest.fail(f"the tests changed committed files: {', '.join(changed)}", pytrace=False)


def run_cli(capsys, *args: str) -> subprocess.CompletedProcess:
    """`hnn ARGS…` in this process, as a CompletedProcess: starting Python and torch again for each call would cost
    seconds. The installed command and `python -m hnn` get their own processes in test_cli.py and test_reliability.py."""
    from hnn.cli import main  # here, not at the top: a pytest run of tests that never call it need not import torch

    try:
        status = main(list(args))
    except SystemExit as exit:  # argparse's own errors end the process this way
        status = exit.code
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(["hnn", *args], status, out, err)


@pytest.fixture
def hidden_pygraphviz(monkeypatch):
    """`import pygraphviz` fails in this process, as where it is not installed, and hnn tries it afresh."""
    from hnn import diagram

    monkeypatch.setitem(sys.modules, "pygraphviz", None)  # None in sys.modules makes an import raise ImportError
    diagram._pygraphviz.cache_clear()
    yield
    diagram._pygraphviz.cache_clear()  # the next render imports the real one again


@pytest.fixture
def hnn_cli(capsys):
    return lambda *args: run_cli(capsys, *args)


@pytest.fixture
def reference_lines():
    return REFERENCE.read_text().splitlines()
