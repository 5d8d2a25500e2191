"""Shared helpers for the tests: an independent pure-Python model of the neuron (math module, no torch), and a
guard that no test changes the committed notebooks and diagrams."""
import hashlib
import math
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "tests" / "reference" / "seed_walkthrough.txt"
COMMITTED = ("notebooks", "diagrams")  # what users open and nbval checks: tests read them, never write them


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
def hnn_cli(capsys):
    return lambda *args: run_cli(capsys, *args)


# Each activation and its range, written again here without hnn, so the tests check hnn against
# something it did not compute itself.
ACTIVATION = {
    "tanh": math.tanh,
    "sigmoid": lambda n: 1 / (1 + math.exp(-n)),
    "relu": lambda n: max(n, 0.0),
}


def reference_loss(x1, x2, w1, w2, b, target, activation):
    o = ACTIVATION[activation](x1 * w1 + x2 * w2 + b)
    return 0.5 * (o - target) ** 2


def central_difference(leaves: dict, target, activation, h=1e-6):
    """dL/dleaf for each leaf by (L(v+h) - L(v-h)) / 2h, in plain floats."""
    out = {}
    for name, value in leaves.items():
        up = reference_loss(**{**leaves, name: value + h}, target=target, activation=activation)
        down = reference_loss(**{**leaves, name: value - h}, target=target, activation=activation)
        out[name] = (up - down) / (2 * h)
    return out


@pytest.fixture
def reference_lines():
    return REFERENCE.read_text().splitlines()
