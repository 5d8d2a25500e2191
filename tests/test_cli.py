"""`hnn run` and `python -m hnn`: the log, the JSON shape, and a one-line warning (bad input: test_reliability.py)."""
import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import REFERENCE


def test_run_prints_the_walkthrough(hnn_cli):
    result = hnn_cli("run")
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.splitlines()[:17] == REFERENCE.read_text().splitlines()[:17]


def test_json_has_the_documented_shape_and_full_precision(hnn_cli):
    result = hnn_cli("run", "--json", "--learning-rate", "0.5", "--epochs", "25")
    assert result.returncode == 0
    data = json.loads(result.stdout)
    assert list(data) == ["config", "epochs", "final"]
    assert data["config"] == {
        "x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8814,
        "target": 0.0, "learning_rate": 0.5, "epochs": 25, "activation": "tanh",
    }
    assert [e["epoch"] for e in data["epochs"]] == list(range(1, 26))
    first = data["epochs"][0]
    assert list(first) == ["epoch", "w1", "w2", "b", "n", "o", "loss", "grad", "updated"]
    assert list(first["grad"]) == ["w1", "w2", "b", "x1", "x2", "o", "n"]  # dL/do and dL/dn after the leaves
    assert list(first["updated"]) == ["w1", "w2", "b"]
    assert list(data["final"]) == ["w1", "w2", "b", "n", "o", "loss"]
    # Epoch 1 by hand: n = 2*-3 + 0*1 + 6.8814, o = tanh(n); the log's full-precision values.
    assert first["n"] == 0.8814000000000002 and first["o"] == 0.7071199874301227
    assert first["grad"]["w1"] == 0.7070935742030305
    assert first["updated"]["w1"] == -3.0 - 0.5 * 0.7070935742030305
    # The trained parameters feed the final forward pass.
    last = data["epochs"][-1]
    assert [data["final"][k] for k in ("w1", "w2", "b")] == [last["updated"][k] for k in ("w1", "w2", "b")]


def test_console_script_is_installed():
    script = Path(sys.executable).parent / "hnn"  # beside the interpreter, as pip installs it in a venv
    result = subprocess.run([str(script), "run", "--epochs", "0"], capture_output=True, text=True)
    assert result.returncode == 0 and "Final Output:" in result.stdout


def test_unreachable_target_warns_in_one_line_and_still_runs(hnn_cli):
    result = hnn_cli("run", "--target", "1.5", "--epochs", "1")
    assert result.returncode == 0
    assert result.stderr == (
        "hnn: warning: target=1.5 is outside what tanh can output (-1 < o < 1);"
        " the loss will approach but never reach 0\n"
    )


def test_hnns_programs_validate_notebooks_without_building_rfc3987_grammars():
    """hnn.programs keeps rfc3987-syntax out of hnn's processes; nbformat's checks of a notebook stay as strict."""
    code = """
import hnn.cli, nbformat, sys
from tests.conftest import WALKTHROUGH
nb = nbformat.read(WALKTHROUGH, as_version=4)
nbformat.validate(nb)
nb.cells[0]["cell_type"] = "not a cell type"
try:
    nbformat.validate(nb)
except nbformat.ValidationError:
    print("rejected", sys.modules["rfc3987_syntax"])
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(__file__).parent.parent)
    assert done.stdout == "rejected None\n", done.stderr


# A command under way receives a signal; a second arrives while hnn writes the line that says so, as when GNU timeout
# sends SIGTERM to the command and again to its process group. Both signals, one after the other, in one process.
TWICE = """
import os, signal, sys, time
import hnn.cli

class Stderr:  # sends the second signal as the line is written
    signum = None

    def write(self, text):
        os.kill(os.getpid(), self.signum)
        return sys.__stderr__.write(text)

    def flush(self):
        sys.__stderr__.flush()

def run(args):  # stands in for a long `hnn run`: stopped by the first signal
    os.kill(os.getpid(), sys.stderr.signum)
    time.sleep(60)

hnn.cli.run = run
sys.stderr = Stderr()
for signum in (signal.SIGINT, signal.SIGTERM):
    sys.stderr.signum = signum
    print(hnn.cli.main(["run"]))
"""


def test_a_second_signal_while_hnn_says_it_stopped_is_ignored():
    done = subprocess.run([sys.executable, "-c", TWICE], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout) == (0, "130\n143\n"), done.stderr
    assert done.stderr == "hnn run: stopped by SIGINT\nhnn run: stopped by SIGTERM\n"
