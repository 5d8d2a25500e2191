"""environment.yml (conda-forge, Binder) asks for the same packages as pyproject.toml (pip)."""
import re

import pytest
import yaml

from tests.conftest import ROOT

tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library from Python 3.11")

# pip name -> conda-forge name, where they differ.
CONDA_NAME = {
    "torch": "pytorch-cpu",  # the CPU build, as `make` installs from pip
    "graphviz": "python-graphviz",  # conda-forge's `graphviz` is the `dot` program alone
    "matplotlib": "matplotlib-base",  # without the Qt GUI backend
    "jupyterlab-rise": "jupyterlab_rise",  # conda-forge spells it with an underscore
}
PIP_ONLY = {"playwright", "nbgrader"}  # browser tests and instructors only; environment.yml says why they are left out
# Where conda-forge's lower bound differs, and why. pip's pygraphviz>=2.0.4 asks for wheels that carry the Graphviz
# libraries; conda-forge builds every release on its own Graphviz package, so any release with AGraph.draw to bytes does.
CONDA_BOUND = {"pygraphviz": ">=1.11"}
CONDA_ONLY = {"python", "pip"}  # the interpreter, and the installer of hnn itself

REQUIREMENT = re.compile(r"([A-Za-z0-9_.-]+)\s*(.*)")  # name, then version specifier (conda and pip share >=)


def parse(requirement: str) -> tuple[str, str]:
    name, specifier = REQUIREMENT.fullmatch(requirement.strip()).groups()
    return name.lower(), specifier.replace(" ", "")


def environment() -> dict:
    return yaml.safe_load((ROOT / "environment.yml").read_text())


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def conda_requirements(env: dict) -> dict[str, str]:
    return dict(parse(d) for d in env["dependencies"] if isinstance(d, str))


def mismatches(env: dict, project: dict) -> list[str]:
    """What one file asks for and the other does not: pyproject's dependencies and test extra, renamed for conda."""
    pip = [parse(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]]
    wanted = {CONDA_NAME.get(name, name): CONDA_BOUND.get(name, spec) for name, spec in pip if name not in PIP_ONLY}
    conda = {name: spec for name, spec in conda_requirements(env).items() if name not in CONDA_ONLY}
    return [
        f"{name}: environment.yml has {conda.get(name, 'nothing')!r}, pyproject.toml {wanted.get(name, 'nothing')!r}"
        for name in sorted(conda.keys() | wanted.keys())
        if conda.get(name) != wanted.get(name)
    ]


def test_it_parses_and_names_the_environment_hnn():
    assert environment()["name"] == "hnn"


def test_it_uses_conda_forge_only():
    env = environment()
    assert env["channels"] == ["conda-forge"]
    assert not any("::" in d for d in env["dependencies"] if isinstance(d, str))  # no per-package channel


def test_python_is_pinned_to_a_version_pyproject_accepts():
    python = conda_requirements(environment())["python"]
    assert re.fullmatch(r"=3\.\d+", python), python
    minimum = re.fullmatch(r">=3\.(\d+)", pyproject()["requires-python"]).group(1)
    assert int(python.split(".")[1]) >= int(minimum)


def test_it_names_the_same_packages_as_pyproject_with_the_same_lower_bounds():
    assert mismatches(environment(), pyproject()) == []


def test_a_dependency_added_to_only_one_file_is_caught():
    project = pyproject()
    project["dependencies"] = project["dependencies"] + ["scipy>=1.10"]
    assert mismatches(environment(), project) == ["scipy: environment.yml has 'nothing', pyproject.toml '>=1.10'"]
    env = environment()
    env["dependencies"] = env["dependencies"] + ["numba"]
    assert mismatches(env, pyproject()) == ["numba: environment.yml has '', pyproject.toml 'nothing'"]


def test_pip_installs_hnn_itself_editable():
    env = environment()
    pip_sections = [d["pip"] for d in env["dependencies"] if isinstance(d, dict)]
    assert pip_sections == [["-e ."]]
    assert "pip" in conda_requirements(env)  # conda warns, and may not install pip, without it
