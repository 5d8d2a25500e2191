"""Shared helpers for the tests, and a guard that no test changes the committed notebooks and diagrams. The
independent model of the neuron the tests compare hnn with is tests/plain.py."""
import hashlib
import os
import re
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


def processes() -> list[str]:
    """The command line of every process on the machine but pytest's own: what a test looks for a survivor in."""
    lines = [command_line(int(pid)) for pid in filter(str.isdigit, os.listdir("/proc"))]
    return [line for line in lines if line and "pytest" not in line]


def command_line(pid: int) -> str:
    """A process's command line, "" once it has gone (or is a zombie)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def descendants(pid: int) -> dict[int, str]:
    """The command line of every process started, directly or not, by process pid: a test's own, where other tests
    running beside it start the same programs."""
    parents = {}
    for child in filter(str.isdigit, os.listdir("/proc")):
        try:  # the parent is the second field after the command's name in parentheses, which may hold spaces
            parents[int(child)] = int(Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):  # gone meanwhile
            pass
    found, frontier = {}, [pid]
    while frontier:
        parent = frontier.pop()
        for child in (c for c, p in parents.items() if p == parent):
            found[child] = command_line(child)
            frontier.append(child)
    return found


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
    from hnn.views import render

    monkeypatch.setitem(sys.modules, "pygraphviz", None)  # None in sys.modules makes an import raise ImportError
    render._pygraphviz.cache_clear()
    yield
    render._pygraphviz.cache_clear()  # the next render imports the real one again


@pytest.fixture
def hnn_cli(capsys):
    return lambda *args: run_cli(capsys, *args)


@pytest.fixture
def reference_lines():
    return REFERENCE.read_text().splitlines()


def papermill_all(root: Path, runs: dict) -> dict:
    """papermill on the walkthrough once per run, all at once, each started in its own folder and writing out.ipynb
    there; runs maps a name to (arguments, files to put in the folder first, environment). Each run's exit status,
    stderr and folder."""
    processes = {}
    for name, (args, files, env) in runs.items():
        folder = root / re.sub(r"\W+", "-", name)
        folder.mkdir()
        for file, text in files.items():
            (folder / file).write_text(text)
        with open(f"{folder}.stderr", "wb") as stderr:  # beside the folder, which must hold nothing but the run's own
            command = [sys.executable, "-m", "papermill", str(WALKTHROUGH), "out.ipynb", "--no-progress-bar", *args]
            processes[name] = (folder, subprocess.Popen(command, cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=stderr))
    return {
        name: (process.wait(timeout=600), Path(f"{folder}.stderr").read_text(), folder)
        for name, (folder, process) in processes.items()
    }
