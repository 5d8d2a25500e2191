"""Handing hnn to a class: `hnn notebooks DIR`, `hnn classroom-links`, `hnn --version` and what every --help says."""
import os
import stat
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from tests.conftest import ROOT

NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))  # what this checkout has, read directly


def test_notebooks_copies_every_notebook_byte_for_byte_and_says_how_to_open_them(tmp_path, hnn_cli):
    assert {"hacking_neural_networks.ipynb", "exercises.ipynb"} <= set(NOTEBOOKS)
    out = tmp_path / "class" / "week1"  # created, parents too
    result = hnn_cli("notebooks", str(out))
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout == f"copied {', '.join(NOTEBOOKS)} to {out}/; open them with: jupyter lab {out}\n"
    assert sorted(p.name for p in out.iterdir()) == NOTEBOOKS  # nothing else: no temporary files, no __init__.py
    for name in NOTEBOOKS:
        assert (out / name).read_bytes() == (ROOT / "notebooks" / name).read_bytes()
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o644


def test_notebooks_says_how_to_open_a_folder_whose_name_has_a_space(tmp_path, hnn_cli):
    result = hnn_cli("notebooks", str(tmp_path / "week 1"))
    assert result.returncode == 0 and result.stdout.endswith(f"; open them with: jupyter lab '{tmp_path}/week 1'\n")
    assert sorted(p.name for p in (tmp_path / "week 1").iterdir()) == NOTEBOOKS


def test_notebooks_refuses_to_overwrite_without_force_and_leaves_other_files_alone(tmp_path, hnn_cli):
    (tmp_path / "hacking_neural_networks.ipynb").write_text("my edited copy")
    (tmp_path / "notes.txt").write_text("mine")
    result = hnn_cli("notebooks", str(tmp_path))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == (
        f"hnn notebooks: error: {tmp_path / 'hacking_neural_networks.ipynb'} already exists; pass --force to overwrite\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hacking_neural_networks.ipynb", "notes.txt"]  # nothing copied
    assert (tmp_path / "hacking_neural_networks.ipynb").read_text() == "my edited copy"
    assert hnn_cli("notebooks", str(tmp_path), "--force").returncode == 0
    walkthrough = "hacking_neural_networks.ipynb"
    assert (tmp_path / walkthrough).read_bytes() == (ROOT / "notebooks" / walkthrough).read_bytes()
    assert (tmp_path / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize("make, message", [
    (lambda t: (t / "file").write_text("x") and t / "file" / "sub",
     "DIR must be a directory (it is created if missing), but {t}/file is a file"),
    (lambda t: (t / "ro").mkdir(mode=0o555) or t / "ro" / "new",
     "DIR must be a directory you can write to, but {t}/ro is not writable"),
])
def test_notebooks_into_a_bad_folder_is_one_line(tmp_path, hnn_cli, make, message):
    target = make(tmp_path)
    if os.geteuid() == 0 and "writable" in message:
        pytest.skip("root may write anywhere")
    result = hnn_cli("notebooks", str(target))
    assert result.returncode == 2 and result.stderr == f"hnn notebooks: error: {message.format(t=tmp_path)}\n"
    assert not target.exists()


def test_notebooks_into_proc_is_one_line(hnn_cli):
    result = hnn_cli("notebooks", "/proc/hnn")
    assert result.returncode == 2 and result.stderr.startswith("hnn notebooks: error: DIR ")
    assert result.stderr.count("\n") == 1


def query(url: str) -> dict:
    """A URL's query as name -> its one value; parse_qs keeps a list for repeated names, which a link never has."""
    pairs = parse_qs(urlsplit(url).query, strict_parsing=True)
    assert all(len(values) == 1 for values in pairs.values())
    return {name: values[0] for name, values in pairs.items()}


def test_classroom_links_for_github_and_a_hub(hnn_cli):
    result = hnn_cli("classroom-links", "--repo", "https://github.com/ada/hnn", "--hub", "https://hub.example.edu/",
                     "--branch", "spring")
    assert result.returncode == 0 and result.stderr == ""
    binder_line, hub_line = result.stdout.splitlines()
    binder = urlsplit(binder_line.removeprefix("Binder: "))
    assert (binder.scheme, binder.netloc, binder.path) == ("https", "mybinder.org", "/v2/gh/ada/hnn/spring")
    assert query(binder.geturl()) == {"urlpath": "lab/tree/notebooks/hacking_neural_networks.ipynb"}
    assert (ROOT / query(binder.geturl())["urlpath"].removeprefix("lab/tree/")).is_file()  # the path is the repository's
    hub = urlsplit(hub_line.removeprefix("JupyterHub (nbgitpuller): "))
    assert (hub.scheme, hub.netloc, hub.path) == ("https", "hub.example.edu", "/hub/user-redirect/git-pull")
    # nbgitpuller clones into a folder named after the repository, under the folder JupyterLab opens in.
    assert query(hub.geturl()) == {
        "repo": "https://github.com/ada/hnn", "branch": "spring",
        "urlpath": "lab/tree/hnn/notebooks/hacking_neural_networks.ipynb",
    }


def test_classroom_links_for_any_other_git_host_and_the_default_branch(hnn_cli):
    repo = "https://git.example.org/teaching/neural-nets.git"
    result = hnn_cli("classroom-links", "--repo", repo, "--hub", "https://example.edu/jupyter")
    binder_line, hub_line = result.stdout.splitlines()
    binder = urlsplit(binder_line.removeprefix("Binder: "))
    prefix, encoded, branch = binder.path.rsplit("/", 2)
    assert (prefix, unquote(encoded), branch) == ("/v2/git", repo, "main")
    assert "/" not in encoded  # the clone URL is one path segment
    hub = urlsplit(hub_line.removeprefix("JupyterHub (nbgitpuller): "))
    assert hub.path == "/jupyter/hub/user-redirect/git-pull"  # a hub under a path keeps it
    assert query(hub.geturl())["urlpath"] == "lab/tree/neural-nets/notebooks/hacking_neural_networks.ipynb"
    assert query(hub.geturl())["repo"] == repo and query(hub.geturl())["branch"] == "main"


def test_classroom_links_without_a_hub_print_the_binder_link_alone(hnn_cli):
    result = hnn_cli("classroom-links", "--repo", "https://github.com/ada/hnn.git")
    assert result.returncode == 0
    assert result.stdout == "Binder: https://mybinder.org/v2/gh/ada/hnn/main?urlpath=lab%2Ftree%2Fnotebooks%2Fhacking_neural_networks.ipynb\n"


REPO = "--repo must be the http(s) URL of a git repository, such as https://github.com/you/hnn, got {!r}"
HUB = "--hub must be the http(s) URL of a JupyterHub, such as https://hub.example.edu, got {!r}"
BRANCH = "--branch must be a branch name such as main, got {!r}"
ADA = ["--repo", "https://github.com/ada/hnn"]


@pytest.mark.parametrize("args, message", [
    (["--repo", "github.com/ada/hnn"], REPO.format("github.com/ada/hnn")),
    (["--repo", "https://github.com/"], REPO.format("https://github.com/")),
    ([*ADA, "--hub", "hub.example.edu"], HUB.format("hub.example.edu")),
    ([*ADA, "--branch", "my branch"], BRANCH.format("my branch")),
    ([*ADA, "--branch", ""], BRANCH.format("")),
])
def test_classroom_links_bad_input_is_one_line(hnn_cli, args, message):
    result = hnn_cli("classroom-links", *args)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == f"hnn classroom-links: error: {message}\n"


def test_version_is_the_installed_package_s():
    script = Path(sys.executable).parent / "hnn"
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout == f"hnn {version('hnn')}\n"
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert f'\nversion = "{version("hnn")}"\n' in pyproject  # the metadata is pyproject's, not a second copy


def help_text(capsys, *command: str) -> str:
    from hnn.cli import main

    with pytest.raises(SystemExit) as exit:
        main([*command, "--help"])
    assert exit.value.code == 0
    return " ".join(capsys.readouterr().out.split())  # argparse's wrapping does not matter


@pytest.mark.parametrize("command", ["run", "diagrams"])
def test_every_hyperparameter_option_says_what_it_accepts_and_its_default(capsys, command):
    text = help_text(capsys, command)
    # The limits as Config's own error messages state them (tests/test_reliability.py checks those messages).
    for option in ("x1", "x2", "w1", "w2", "b", "target"):
        assert f"--{option} VALUE a number from -1e+06 to 1e+06; default" in text
    assert "--learning-rate VALUE a number greater than 0 and at most 100; default 0.01" in text
    assert "--epochs VALUE a whole number from 0 to 100000; default 10" in text
    assert "--activation VALUE one of tanh, sigmoid, relu; default tanh" in text
    assert "examples: hnn " in text


def test_diagrams_help_lists_views_and_formats(capsys):
    text = help_text(capsys, "diagrams")
    assert "one of network, graph (default network)" in text and "comma-separated, from svg,png" in text


def test_sweep_help_lists_parameters_yaml_forms_files_exit_statuses_and_jobs(capsys):
    import nbformat

    text = help_text(capsys, "sweep")
    cell = next(c for c in nbformat.read(ROOT / "notebooks" / "hacking_neural_networks.ipynb", 4).cells
                if "parameters" in c.metadata.get("tags", []))
    names = [line.split(":")[0].split("=")[0].strip() for line in cell.source.splitlines() if line and not line.startswith("#")]
    listed = text.split("parameters (the walkthrough's parameters cell; with --notebook, that notebook's): ")[1]
    assert all(f" {name} " in f" {listed}" for name in names)  # every name papermill can set, nothing left out
    assert "view one of network, graph" in listed and "learning_rate a number greater than 0 and at most 100" in listed
    assert "a list of mappings, one run each: - {learning_rate: 0.1, epochs: 20}" in text
    assert "a mapping of name to value(s), one run per combination: learning_rate: [0.01, 0.1, 1]" in text
    assert all(name in text for name in ("learning_rate=0.1,epochs=20.ipynb", "summary.csv", "summary.png"))
    assert "exit status: 0 every run finished 1 at least one run failed" in text and " 2 bad input" in text
    assert "--jobs N at most N runs at once, a whole number of at least 1 (default: one per core)" in text


@pytest.mark.parametrize("command", ["notebooks", "classroom-links", "worksheet"])
def test_the_new_commands_have_examples(capsys, command):
    assert f"examples: hnn {command} " in help_text(capsys, command)


def test_the_ranges_help_states_are_the_ones_the_checks_enforce(capsys):
    """Each range read off `hnn sweep --help`, tried at its ends and just past them against Config and Display."""
    import re

    import hnn
    from hnn.views.diagram import Display

    text = help_text(capsys, "sweep")
    shown = r"max_diagrams how many epochs are shown in full, a whole number from (\d+) to (\d+)"
    low, high = map(int, re.search(shown, text).groups())
    assert [Display(max_diagrams=n).max_diagrams for n in (low, high)] == [low, high]
    for n in (low - 1, high + 1):
        with pytest.raises(ValueError):
            Display(max_diagrams=n)
    low, high = map(int, re.search(r"epochs a whole number from (\d+) to (\d+)", text).groups())
    assert [hnn.Config(epochs=n).epochs for n in (low, high)] == [low, high]
    for n in (low - 1, high + 1):
        with pytest.raises(ValueError):
            hnn.Config(epochs=n)
    bound = float(re.search(r" x1 a number from -(\S+) to ", text).group(1))
    assert hnn.Config(x1=-bound).x1 == -bound
    with pytest.raises(ValueError):
        hnn.Config(x1=bound * 1.000001)
    most = float(re.search(r"learning_rate a number greater than 0 and at most (\S+);", text).group(1))
    assert hnn.Config(learning_rate=most).learning_rate == most
    for rate in (0, most * 1.000001):
        with pytest.raises(ValueError):
            hnn.Config(learning_rate=rate)
