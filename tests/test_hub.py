"""The hub kit: binder/ is the repo2docker configuration that Binder and a hub image build, with a lock file of exact
versions: those installed in this environment, with the CPU build of torch, and every package they need among them."""
import importlib.metadata
import os
import re
import sys

import pytest
import yaml

from tests.conftest import ROOT

packaging = pytest.importorskip("packaging.requirements", reason="packaging reads the requirements")
from packaging.requirements import Requirement  # noqa: E402
from packaging.utils import canonicalize_name  # noqa: E402

BINDER = ROOT / "binder"
PIN = re.compile(r"([A-Za-z0-9._-]+)==(\S+)")


def pins() -> dict[str, str]:
    lines = [line for line in (BINDER / "requirements.txt").read_text().splitlines() if line and not line.startswith("#")]
    assert lines[0] == "--extra-index-url https://download.pytorch.org/whl/cpu"  # the only place torch's CPU build is
    found = {}
    for line in lines[1:]:
        name, version = PIN.fullmatch(line).groups()
        found[canonicalize_name(name)] = version
    return found


def test_every_version_is_the_one_installed_here():
    for name, version in pins().items():
        assert importlib.metadata.version(name) == version, name


def test_torch_is_its_cpu_build():
    assert pins()["torch"].endswith("+cpu")
    assert not any(name.startswith(("nvidia-", "triton")) for name in pins())  # what a CUDA build would pull in


def test_every_requirement_of_hnn_and_of_what_it_needs_is_pinned_at_a_version_it_accepts():
    locked = pins()
    todo = [("hnn", requirement) for requirement in importlib.metadata.requires("hnn")]
    todo += [(name, requirement) for name in locked for requirement in importlib.metadata.requires(name) or []]
    for owner, line in todo:
        requirement = Requirement(line)
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue  # for an extra, or another platform
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{owner} needs {name}, which is not pinned"
        assert requirement.specifier.contains(locked[name], prereleases=True), f"{owner} needs {line}, pinned {locked[name]}"
    assert not ({"pytest", "nbval", "playwright", "ruff", "nbgrader"} & set(locked))  # the test and course extras stay out


def test_the_python_is_the_one_the_tests_ran_on_and_environment_yml_names():
    python = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"][0]
    assert (BINDER / "runtime.txt").read_text() == f"python-{sys.version_info.major}.{sys.version_info.minor}\n"
    assert python == f"python={sys.version_info.major}.{sys.version_info.minor}"


def test_post_build_installs_hnn_alone():
    script = BINDER / "postBuild"
    assert os.access(script, os.X_OK)
    commands = [line for line in script.read_text().splitlines() if line and not line.startswith("#")]
    assert commands == ["set -euo pipefail", "python -m pip install --no-deps --no-cache-dir ."]
