"""What `make run` and `make test` install on a fresh clone: running needs pip alone, the tests add Chromium."""
import shlex
import shutil
import subprocess

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def dry_run(*args: str) -> list[list[str]]:
    """The commands make would run for args on a fresh clone (-B: every target out of date), each split as sh does."""
    done = subprocess.run(["make", "-n", "-B", "--no-print-directory", *args], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return [shlex.split(line) for line in done.stdout.splitlines() if line.strip()]


def installs(commands: list[list[str]]) -> list[str]:
    """What pip installs and which other installers run."""
    found = []
    for command in commands:
        if command[0].endswith("/pip") and command[1] == "install":
            found += [word for word in command[2:] if not word.startswith("-") or word == "-e"]
        found += [word for word in command if word.endswith(("install-system-deps", "apt-get"))]
    return found


def test_make_run_installs_torch_and_hnn_with_pip_and_nothing_else():
    assert installs(dry_run("run")) == ["torch==2.13.0", "-e", "."]


def test_make_test_adds_the_test_extra_and_the_system_programs():
    assert installs(dry_run("test")) == ["torch==2.13.0", "-e", ".", "-e", ".[test]", "scripts/install-system-deps"]


def test_the_system_programs_are_for_the_tests_only():
    """No Graphviz: the diagrams need none. Chromium drives the browser tests, pdftotext reads the worksheets, bwrap is the
    sandbox the grading tests grade a class in."""
    import re

    script = (ROOT / "scripts" / "install-system-deps").read_text()
    assert re.findall(r'missing="\$missing (\S+)"', script) == ["chromium", "poppler-utils", "bubblewrap"]
    assert "graphviz" not in script and "dot" not in script.split()


def test_make_run_params_may_hold_a_space():
    def runs(*args):  # the commands that execute the walkthrough
        return [c for c in dry_run("run", *args) if any(word.endswith("scripts/run-notebook") for word in c)]

    (command,) = runs("PARAMS=my params.yml")
    assert command[-1] == "my params.yml"  # one argument, space and all
    assert runs()[0][-1] == "out/hacking_neural_networks.ipynb"  # no PARAMS, no file
