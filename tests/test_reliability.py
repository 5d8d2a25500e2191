"""Reliability: bad input at every entry point, and faults of the disk, the output and the sweep's runs.

Every expected number here comes from plain Python floats (tests/plain.py), never from hnn."""
import errno
import json
import math
import os
import re
import resource
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import hnn
from hnn.classroom import sweep
from hnn.cli import main
from hnn.files import write_all
from hnn.views.diagram import Display
from tests.conftest import HYPERPARAMETERS, ROOT, WALKTHROUGH, papermill_all, run_cli
from tests.plain import replay

ACCEPTED = ", ".join(HYPERPARAMETERS)
DISPLAY = ("view", "max_diagrams")  # the parameters cell adds these two of its own
NOTEBOOK_ACCEPTED = f"{ACCEPTED}, {', '.join(DISPLAY)}"
INF = float("inf")


# 1. Bad input: one table of values, each tried at every entry point that takes its parameter.

NUMBER = "{} must be a finite number"
RANGE = "{} must be between -1e+06 and 1e+06"
EPOCHS = "epochs must be a whole number from 0 to 100000"
RATE = "learning_rate must be a number greater than 0 and at most 100"
ACTIVATIONS = "activation must be one of tanh, sigmoid, relu"
BAD_VALUES = [  # (what is wrong, parameter, value, the message up to ", got <the value>")
    ("text for a number", "learning_rate", "abc", NUMBER.format("learning_rate")),
    ("empty text", "x2", "", NUMBER.format("x2")),
    ("nan", "x1", math.nan, NUMBER.format("x1")),
    ("inf", "w2", INF, NUMBER.format("w2")),
    ("-inf", "b", -INF, NUMBER.format("b")),
    ("overflows to inf", "target", "1e999", NUMBER.format("target")),
    ("huge", "w1", 1e308, RANGE.format("w1")),
    ("huge and negative", "target", -1e308, RANGE.format("target")),
    ("negative epochs", "epochs", -1, EPOCHS),
    ("fractional epochs", "epochs", 2.5, EPOCHS),
    ("epochs in words", "epochs", "ten", EPOCHS),
    ("too many epochs", "epochs", 10**9, EPOCHS),
    ("zero learning rate", "learning_rate", 0, RATE),
    ("negative learning rate", "learning_rate", -0.1, RATE),
    ("huge learning rate", "learning_rate", 1e308, RATE),
    ("unknown activation", "activation", "softmax", ACTIVATIONS),
    ("activation in capitals", "activation", "Tanh", ACTIVATIONS),
    ("a list", "w2", [1.0], NUMBER.format("w2")),  # only Python can pass these three
    ("a bool", "b", True, NUMBER.format("b")),
    ("None", "target", None, NUMBER.format("target")),
    ("unknown view", "view", "tree", "view must be one of network, graph"),
    ("one diagram", "max_diagrams", 1, "max_diagrams must be a whole number from 2 to 50"),
    ("fractional diagrams", "max_diagrams", 12.5, "max_diagrams must be a whole number from 2 to 50"),
    ("too many diagrams", "max_diagrams", 500, "max_diagrams must be a whole number from 2 to 50"),
]
PYTHON_ONLY = (list, bool, type(None))


def entry_points(name, value) -> list[str]:
    """The entry points that take this parameter, and this kind of value."""
    if isinstance(value, PYTHON_ONLY):
        return ["api"]
    return ["api", "hnn run", "hnn diagrams", "hnn sweep"] if name in HYPERPARAMETERS else ["api", "hnn sweep"]


def cli(capsys, *args) -> str:
    """The one line a command prints for bad input, after checking its exit status 2 and its empty stdout."""
    done = run_cli(capsys, *args)
    assert (done.returncode, done.stdout, done.stderr.count("\n")) == (2, "", 1), done.stderr
    assert done.stderr.startswith(f"hnn {args[0]}: error: ") and "Traceback" not in done.stderr
    return done.stderr.removeprefix(f"hnn {args[0]}: error: ").removesuffix("\n")


def option(name: str) -> str:
    return "--" + name.replace("_", "-")


def call(entry: str, name: str, value, out: Path, capsys) -> str:
    """Give name=value to one entry point as its user would; the line it answers with."""
    if entry == "api":
        with pytest.raises(ValueError) as raised:
            if name in HYPERPARAMETERS:
                hnn.Config(**{name: value})
            elif name in DISPLAY:
                Display(**{name: value})
            else:
                hnn.configs(**{name: value})
        return str(raised.value)
    if entry == "hnn run":
        return cli(capsys, "run", option(name), str(value))
    if entry == "hnn diagrams":
        return cli(capsys, "diagrams", "--out", str(out), option(name), str(value))
    return cli(capsys, "sweep", "--param", f"{name}={value}", "--out", str(out))


def echoes(value) -> set[str]:
    """How a message may show the value it got: as given, as the text a command line passes, or as the number read."""
    shown = {repr(value), repr(str(value))}
    try:
        shown.add(repr(float(value)))
    except (TypeError, ValueError, OverflowError):
        pass
    return shown


def snapshot(folder: Path) -> dict:
    """Every file and folder below folder, with its bytes and modification time: any change shows."""
    return {
        path.relative_to(folder).as_posix(): (path.read_bytes() if path.is_file() else None, path.stat().st_mtime_ns)
        for path in sorted(folder.rglob("*"))
    }


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    """The working directory, with an output folder that already holds files that are not the tools'."""
    monkeypatch.chdir(tmp_path)  # a relative write would land here and show in the snapshot
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    (folder / "ae0.pdf").write_bytes(b"not a file hnn writes")
    (folder / "summary.csv").write_text("an earlier sweep's")
    return tmp_path


VALUE_CASES = [
    pytest.param(entry, name, value, accepted, id=f"{entry}: {what}")
    for what, name, value, accepted in BAD_VALUES
    for entry in entry_points(name, value)
]


@pytest.mark.parametrize("entry,name,value,accepted", VALUE_CASES)
def test_a_bad_value_gets_one_line_naming_the_parameter_and_what_it_accepts(entry, name, value, accepted, workspace, capsys):
    before = snapshot(workspace)
    message = call(entry, name, value, workspace / "out" / "new", capsys)
    assert "\n" not in message
    assert message.startswith(f"{accepted}, got ")
    assert message.removeprefix(f"{accepted}, got ") in echoes(value)
    assert snapshot(workspace) == before  # nothing written, not even the output folder


@pytest.mark.parametrize(
    "entry,args,message",
    [
        ("api", None, f"unknown hyperparameter 'lr'; accepted: {ACCEPTED}"),
        ("hnn sweep", ["--param", "lr=0.1"], f"unknown parameter 'lr'; accepted: {NOTEBOOK_ACCEPTED}"),
        ("hnn run", ["--lr", "0.1"], "unrecognized arguments: --lr 0.1; usage: hnn run [-h] "),
        ("hnn diagrams", ["--lr", "0.1"], "unrecognized arguments: --lr 0.1; usage: hnn diagrams [-h] "),
    ],
)
def test_an_unknown_parameter_name_is_named_with_the_accepted_ones(entry, args, message, workspace, capsys):
    before = snapshot(workspace)
    command = entry.removeprefix("hnn ")
    if entry == "api":
        line = call("api", "lr", 0.1, workspace, capsys)
    elif command == "run":
        line = cli(capsys, command, *args)
    else:
        line = cli(capsys, command, *args, "--out", str(workspace / "out" / "new"))
    assert line.startswith(message)
    if "usage:" in line:  # the command's usage lists every option it takes
        assert all(f"[{option(name)} VALUE]" in line for name in HYPERPARAMETERS)
        assert line.endswith(f"(see {entry} --help)")
    assert snapshot(workspace) == before


def unwritable(tmp_path) -> Path:
    """A folder the current user cannot write to: a read-only one, or for root, who writes anywhere, /proc/sys."""
    folder = tmp_path / "out" / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    if not os.access(folder, os.W_OK):
        return folder
    if os.path.isdir("/proc/sys") and not os.access("/proc/sys", os.W_OK):
        return Path("/proc/sys")
    pytest.skip("this user can write to any folder, and there is no /proc/sys that refuses")


def refusing(tmp_path) -> Path:
    """A folder that passes the writable check but cannot be created: /proc lets root in, then refuses mkdir."""
    if not (os.path.isdir("/proc") and os.access("/proc", os.W_OK)):
        pytest.skip("needs Linux's /proc and root, for whom /proc looks writable")
    return Path("/proc/hnn-reliability-test")


FOLDERS = {  # what the folder is → (the --out to give, the message)
    "a file": (lambda tmp: tmp / "out" / "notes.txt",
               lambda out: f"--out must be a directory (it is created if missing), but {out} is a file"),
    "a folder under a file": (lambda tmp: tmp / "out" / "notes.txt" / "runs",
                              lambda out: f"--out must be a directory (it is created if missing), but {out.parent} is a file"),
    "not writable": (lambda tmp: unwritable(tmp) / "runs",
                     lambda out: f"--out must be a directory you can write to, but {out.parent} is not writable"),
    "refused by the system": (refusing, lambda out: f"--out {out} cannot be created: No such file or directory"),
}


@pytest.mark.parametrize("command", ["diagrams", "sweep"])
@pytest.mark.parametrize("problem", list(FOLDERS))
def test_a_bad_output_folder_gets_one_line_and_nothing_is_written(command, problem, workspace, capsys):
    where, message = FOLDERS[problem]
    out = where(workspace)
    before, existed = snapshot(workspace), out.exists()
    args = ["--epochs", "1"] if command == "diagrams" else ["--param", "epochs=1"]
    assert cli(capsys, command, "--out", str(out), *args) == message(out)
    assert snapshot(workspace) == before and out.exists() == existed


@pytest.mark.parametrize(
    "args,message",
    [
        (["--view", "tree"], "view must be one of network, graph, got 'tree'"),
        (["--format", "svg,pdf"], "--format must be one or more of svg,png, comma-separated, got 'pdf'"),
    ],
)
def test_a_bad_diagrams_option_gets_one_line(args, message, workspace, capsys):
    before = snapshot(workspace)
    assert cli(capsys, "diagrams", "--out", str(workspace / "out"), *args) == message
    assert snapshot(workspace) == before


def test_a_folder_where_a_diagram_goes_is_refused_before_training(workspace, capsys, monkeypatch):
    """`mkdir -p out/ae3.svg; hnn diagrams --out out --epochs 5`: found before any work, even the training."""
    (workspace / "out" / "ae3.svg").mkdir()
    monkeypatch.setattr("hnn.cli.train", lambda config: pytest.fail("trained before the files' places were checked"))
    before = snapshot(workspace)
    assert cli(capsys, "diagrams", "--out", str(workspace / "out"), "--epochs", "5") == (
        f"{workspace / 'out' / 'ae3.svg'} is a directory, where this command writes a file; move it away or choose"
        " another --out")
    assert snapshot(workspace) == before


def test_the_process_exits_2_with_the_same_line():
    """The matrix calls main() in this process; the installed command is sys.exit(main()), checked once here."""
    result = subprocess.run([sys.executable, "-m", "hnn", "run", "--b", "-inf"], capture_output=True, text=True, cwd=ROOT)
    assert (result.returncode, result.stdout, result.stderr) == (2, "", "hnn run: error: b must be a finite number, got '-inf'\n")


def test_negative_values_in_any_notation_are_values_not_options(capsys):
    assert main(["run", "--json", "--w1", "-1e-3", "--target", "-.5", "--b", "-2", "--epochs", "0"]) == 0
    config = hnn.Config(w1=-0.001, target=-0.5, b=-2.0, epochs=0)
    assert capsys.readouterr().out == hnn.train(config).to_json() + "\n"


# The notebook through papermill: a few distinct failures, run at once (each costs a kernel and an import of torch).

PAPERMILL_CASES = {  # id → (papermill arguments, the files to put in its folder first, the ParameterError)
    "-p text for a number": (["-p", "learning_rate", "abc"], {}, "learning_rate must be a finite number, got 'abc'"),
    "-p unknown name": (["-p", "lr", "0.1"], {},
                        f"unknown parameter 'lr' (papermill's -p, -y or -f); accepted: {NOTEBOOK_ACCEPTED}"),
    "-y fractional epochs": (["-y", "epochs: 2.5"], {}, "epochs must be a whole number from 0 to 100000, got 2.5"),
    "-f unknown activation": (["-f", "bad.yml"], {"bad.yml": "activation: softmax\nview: graph\n"},
                              "activation must be one of tanh, sigmoid, relu, got 'softmax'"),
    "-y a list for view": (["-y", "view: [network]"], {}, "view must be one of network, graph, got ['network']"),
}




@pytest.fixture(scope="module")
def papermill_failures(tmp_path_factory):
    runs = {case: (args, files, None) for case, (args, files, _) in PAPERMILL_CASES.items()}
    return papermill_all(tmp_path_factory.mktemp("papermill-failures"), runs)


@pytest.mark.parametrize("case", list(PAPERMILL_CASES))
def test_papermill_with_a_bad_parameter_stops_at_the_check_with_one_line(case, papermill_failures):
    args, files, message = PAPERMILL_CASES[case]
    status, stderr, folder = papermill_failures[case]
    assert status != 0
    # papermill prints its own Python traceback, then the cell's error; that error is the one line.
    assert stderr.rstrip().splitlines()[-1] == f"ParameterError: {message}"
    assert sorted(p.name for p in folder.iterdir()) == sorted([*files, "out.ipynb"])  # papermill's output, nothing else
    nb = nbformat.read(folder / "out.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    check = next(i for i, c in enumerate(code) if "hn.setup(" in c.source)
    errors = [o for o in code[check].outputs if o.output_type == "error"]
    assert [(e.ename, e.evalue, e.traceback) for e in errors] == [("ParameterError", message, [f"ParameterError: {message}"])]
    assert not [o for c in code[check + 1:] for o in c.outputs]  # the run stopped at the check


def notebook_with_parameters(source: str) -> str:
    """A notebook whose cell tagged `parameters` holds source."""
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["parameters"]})
    return nbformat.writes(nbformat.v4.new_notebook(cells=[cell]))


LONG_VALUES = {name: 1.2345678901234567e-05 for name in ("x1", "x2", "w1", "w2", "b", "target", "learning_rate")}
LONG_VALUES.update(epochs=10, activation="tanh", view="network", max_diagrams=12)
LONG_NAME = ",".join(f"{name}={value}" for name, value in LONG_VALUES.items())  # 261 bytes
RUNS_1E9 = "".join(f"{name}: [{', '.join(str(0.001 * (k + 1)) for k in range(1000))}]\n" for name in ("x1", "x2", "w1"))
SWEEP_REFUSALS = {  # what is wrong → (files to write first, the sweep's arguments, the message); {w} is the workspace
    "summary.csv is a folder, with --force": (
        {"runs/summary.csv/kept.txt": "mine"}, ["--param", "epochs=1", "--out", "{w}/runs", "--force"],
        "{w}/runs/summary.csv is a directory, where this command writes a file; move it away or choose another --out"),
    "a run's name longer than the file system takes": (
        {}, [a for name, value in LONG_VALUES.items() for a in ("--param", f"{name}={value}")] + ["--out", "{w}/runs"],
        f"an output file's name is {len(LONG_NAME) + 6} bytes, more than the 255 that {{w}} takes: {LONG_NAME[:40]}…"),
    "a params file that is not UTF-8": (
        {"p.yml": b"epochs: \xff\n"}, ["--params-file", "{w}/p.yml", "--out", "{w}/runs"],
        "--params-file {w}/p.yml must be UTF-8 text, but byte 0xff at position 8 is not"),
    "a 5000-digit whole number": (
        {"p.yml": "epochs: " + "1" * 5000 + "\n"}, ["--params-file", "{w}/p.yml", "--out", "{w}/runs"],
        "--params-file {w}/p.yml is not valid YAML: a whole number of 5000 digits is longer than the 4300 Python reads"
        " (line 1, column 9)"),
    "a key given twice": (
        {"p.yml": "- {epochs: 5, learning_rate: 0.1, epochs: 6}\n"}, ["--params-file", "{w}/p.yml", "--out", "{w}/runs"],
        "--params-file {w}/p.yml is not valid YAML: 'epochs' is given twice (line 1, column 35)"),
    "the same run in another order": (
        {"p.yml": "- {learning_rate: 0.1, epochs: 5}\n- {epochs: 5, learning_rate: 0.1}\n"},
        ["--params-file", "{w}/p.yml", "--out", "{w}/runs"],
        "two parameter sets are the same run: learning_rate=0.1,epochs=5 and epochs=5,learning_rate=0.1"),
    "the defaults given by name": (
        {"p.yml": "- {}\n- {learning_rate: 0.01}\n"}, ["--params-file", "{w}/p.yml", "--out", "{w}/runs"],
        "two parameter sets are the same run: defaults and learning_rate=0.01"),
    "a list for view": ({"p.yml": "- {view: [network]}\n"}, ["--params-file", "{w}/p.yml", "--out", "{w}/runs"],
                        "view must be one of network, graph, got ['network']"),
    "a mapping for epochs": ({"p.yml": "- {epochs: {a: 1}}\n"}, ["--params-file", "{w}/p.yml", "--out", "{w}/runs"],
                             "epochs must be a whole number from 0 to 100000, got {{'a': 1}}"),
    "YAML 1.1's sexagesimal 1:30 (90 there), text in YAML 1.2": (
        {"p.yml": "- {learning_rate: 1:30}\n"}, ["--params-file", "{w}/p.yml", "--out", "{w}/runs"],
        "learning_rate must be a finite number, got '1:30'"),
    "YAML 1.1's no (False there), text in YAML 1.2": (
        {"p.yml": "- {activation: no}\n"}, ["--params-file", "{w}/p.yml", "--out", "{w}/runs"],
        "activation must be one of tanh, sigmoid, relu, got 'no'"),
    "a list of 1000 numbers for epochs": (
        {"p.yml": f"- {{epochs: {list(range(1000))}}}\n"}, ["--params-file", "{w}/p.yml", "--out", "{w}/runs"],
        "epochs must be a whole number from 0 to 100000, got [0, 1, 2, 3, 4, 5, ...]"),
    "a list for activation in a grid": (
        {"p.yml": "activation: [[tanh]]\n"}, ["--params-file", "{w}/p.yml", "--out", "{w}/runs"],
        "activation must be one of tanh, sigmoid, relu, got ['tanh']"),
    "a Parameters cell that assigns two names at once": (
        {"n.ipynb": notebook_with_parameters("a, b = 1, 2")},
        ["--param", "a=1", "--notebook", "{w}/n.ipynb", "--out", "{w}/runs"],
        "--notebook {w}/n.ipynb: its Parameters cell must hold only NAME = VALUE lines with plain values (numbers, text),"
        " not 'a, b = 1, 2'"),
    "a Parameters cell with an unclosed bracket": (
        {"n.ipynb": notebook_with_parameters("a = [1,")}, ["--param", "a=1", "--notebook", "{w}/n.ipynb", "--out", "{w}/runs"],
        "--notebook {w}/n.ipynb: its Parameters cell must hold only NAME = VALUE lines with plain values (numbers, text),"
        " but line 1 is not Python: '[' was never closed"),
    "a Parameters cell with a name and no value": (
        {"n.ipynb": notebook_with_parameters("x: int")}, ["--param", "x=1", "--notebook", "{w}/n.ipynb", "--out", "{w}/runs"],
        "--notebook {w}/n.ipynb: its Parameters cell must hold only NAME = VALUE lines with plain values (numbers, text),"
        " not 'x: int'"),
    "a grid of a billion runs": ({"p.yml": RUNS_1E9}, ["--params-file", "{w}/p.yml", "--out", "{w}/runs"],
                                 "the sweep has 1000000000 runs, more than the 1000 it takes; split it into smaller sweeps"),
    "51 runs without --allow-long": (
        {}, ["--param", "learning_rate=" + ",".join(str(k / 100) for k in range(1, 52)), "--out", "{w}/runs"],
        "51 runs with 510 epochs in all take long (beyond 50 runs or 1000000 epochs); pass --allow-long to start them"),
    "1,100,000 epochs without --allow-long": (
        {}, ["--param", "learning_rate=" + ",".join(str(k / 100) for k in range(1, 12)), "--param", "epochs=100000",
             "--out", "{w}/runs"],
        "11 runs with 1100000 epochs in all take long (beyond 50 runs or 1000000 epochs); pass --allow-long to start them"),
    "more epochs than a sweep takes, even with --allow-long": (
        {}, ["--param", "learning_rate=" + ",".join(str(k / 1000) for k in range(1, 102)), "--param", "epochs=100000",
             "--out", "{w}/runs", "--allow-long"],
        "the sweep's runs have 10100000 epochs in all, more than the 10000000 it takes; split it"),
}


@pytest.mark.parametrize("case", list(SWEEP_REFUSALS))
def test_a_sweep_that_cannot_work_is_refused_before_anything_runs(case, workspace, capsys):
    files, args, message = SWEEP_REFUSALS[case]
    for name, content in files.items():
        (workspace / name).parent.mkdir(parents=True, exist_ok=True)
        getattr(workspace / name, "write_bytes" if isinstance(content, bytes) else "write_text")(content)
    before = snapshot(workspace)
    assert cli(capsys, "sweep", *(a.format(w=workspace) for a in args)) == message.format(w=workspace)
    assert snapshot(workspace) == before


def test_a_long_value_is_named_by_an_excerpt(workspace, capsys):
    (workspace / "p.yml").write_text(f"- {{activation: {'x' * 100_000}}}\n")
    message = cli(capsys, "sweep", "--params-file", str(workspace / "p.yml"), "--out", str(workspace / "runs"))
    accepted, got = message.split(", got ")
    assert accepted == "activation must be one of tanh, sigmoid, relu"
    assert got.startswith("'xxxx") and got.endswith("xxxx'") and "..." in got and len(got) <= 80


def test_yaml_numbers_are_read_as_yaml_1_2_and_the_command_line_read_them(tmp_path):
    """YAML 1.2, not PyYAML's YAML 1.1: the values that the two read differently, each with what YAML 1.2 reads."""
    yaml_12 = {  # https://yaml.org/spec/1.2.2/#1032-tag-resolution, the core schema
        "010": 10, "+12": 12, "0o17": 15, "0x1F": 31, "1e3": 1000.0, "1e-3": 0.001, "-.5": -0.5, ".inf": math.inf,
        "1:30": "1:30", "1_000": "1_000", "0b11": "0b11", "no": "no", "Yes": "Yes", "off": "off", "y": "y",
        "2024-01-31": "2024-01-31", "=": "=", "True": True, "~": None,
    }
    path = tmp_path / "p.yml"
    path.write_text("".join(f"- {{x1: {text}}}\n" for text in yaml_12))
    read = [run["x1"] for run in sweep.parameter_sets(None, path)]
    assert [(value, type(value)) for value in read] == [(value, type(value)) for value in yaml_12.values()]
    path.write_text("epochs: [010, 8]\n")  # refused as one run twice when 010 was octal 8
    assert sweep.parameter_sets(None, path) == sweep.parameter_sets(["epochs=010,8"], None) == [{"epochs": 10}, {"epochs": 8}]


LOL = '["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]'


def alias_bomb(levels: int) -> str:
    """One run whose epochs are levels lists, each of 9 aliases to the list before: 9 ** levels "lol"s once written
    out, in a few hundred bytes. Config's message once showed all of them."""
    lists = [f"&l0 {LOL}", *(f"&l{k} [{', '.join([f'*l{k - 1}'] * 9)}]" for k in range(1, levels))]
    return f"- {{epochs: [{', '.join(lists)}]}}\n"


DEEP = "nests values deeper than 20 levels"
LONG = r"is (\d+) characters long with its aliases written out; a parameter file may be at most 1000000"
HUGE_OR_DEEP = {  # what is wrong → (the file, its line after "--params-file PATH ", a regular expression)
    "8 levels of aliases, 439 bytes": (alias_bomb(8), LONG),
    "9 levels of aliases, 490 bytes": (alias_bomb(9), LONG),
    # The first value 21 levels deep, counting the mapping at the top as the first: the 20th bracket, column 8 + 20.
    "a list 1000 levels deep": ("epochs: " + "[" * 1000 + "]" * 1000 + "\n", re.escape(f"{DEEP} (line 1, column 28)")),
    # The key inside the 19th mapping: column 8 + 18 * len("{a: ") + len("{") + 1.
    "a mapping 1000 levels deep": (
        "epochs: " + "{a: " * 1000 + "1" + "}" * 1000 + "\n", re.escape(f"{DEEP} (line 1, column 82)")),
    "2000 aliases each inside the next": (
        "- {epochs: [&a1 [1], " + ", ".join(f"&a{k} [*a{k - 1}]" for k in range(2, 2001)) + "]}\n",
        re.escape(DEEP) + r" \(line 1, column \d+\)"),
    "a list that contains itself": (
        "epochs: &a [1, *a]\n", re.escape("holds a value that contains itself (line 1); write it out instead")),
    "2 MB of plain YAML": (
        "epochs: [" + "1, " * 700_000 + "1]\n", "is more than 1000000 bytes long; a parameter file may be at most that"),
}
MEMORY_LIMIT = 1536 * 2**20  # address space: hnn sweep's own is some 700 MB before it reads the file
EACH_FILE = """
import contextlib, io, json, sys
from hnn.cli import main

said = []
for path in sys.argv[1:]:
    with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.redirect_stderr(io.StringIO()) as err:
        try:
            status = main(["sweep", "--params-file", path, "--out", path + ".runs"])
        except Exception as error:  # MemoryError, RecursionError: what the traceback would have ended with
            status = f"{type(error).__name__}: {error}"[:500]
    said.append((status, out.getvalue(), err.getvalue()))
print(json.dumps(said))
"""


@pytest.fixture(scope="module")
def huge_or_deep(tmp_path_factory) -> dict:
    """Each file of HUGE_OR_DEEP given to `hnn sweep` in one process (each costs seconds of torch's import) under the
    memory limit: what it returned (or raised) and printed, by case."""
    folder = tmp_path_factory.mktemp("huge")
    paths = [folder / f"{i}.yml" for i in range(len(HUGE_OR_DEEP))]
    for path, (text, _) in zip(paths, HUGE_OR_DEEP.values()):
        path.write_text(text)
    done = subprocess.run(
        [sys.executable, "-c", EACH_FILE, *map(str, paths)], capture_output=True, text=True, timeout=300,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT)),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return {case: (path, *said) for case, path, said in zip(HUGE_OR_DEEP, paths, json.loads(done.stdout))}


@pytest.mark.parametrize("case", list(HUGE_OR_DEEP))
def test_a_parameter_file_that_would_take_gigabytes_or_the_whole_stack_gets_one_line(case, huge_or_deep):
    path, status, stdout, stderr = huge_or_deep[case]
    line = HUGE_OR_DEEP[case][1]
    assert (status, stdout, stderr.count("\n")) == (2, "", 1), stderr[-2000:]
    written_out = re.fullmatch(f"hnn sweep: error: --params-file {re.escape(str(path))} {line}\n", stderr)
    assert written_out, stderr
    if "aliases" in line:  # the "lol"s alone, three characters each
        assert int(written_out.group(1)) >= 3 * 9 ** int(case.split()[0])
    assert not Path(f"{path}.runs").exists()


@pytest.mark.parametrize("command", ["diagrams", "sweep"])
@pytest.mark.parametrize(
    "out,message",
    [("", "--out must name a directory, got ''"),
     ("{w}/" + "d" * 300, "--out name is 300 bytes, more than the 255 that {w} takes: " + "d" * 40 + "…")],
    ids=["empty", "300 bytes"],
)
def test_an_out_that_cannot_be_a_folder_is_refused(command, out, message, workspace, capsys):
    before = snapshot(workspace)
    args = ["--epochs", "1"] if command == "diagrams" else ["--param", "epochs=1"]
    assert cli(capsys, command, "--out", out.format(w=workspace), *args) == message.format(w=workspace)
    assert snapshot(workspace) == before


# Output faults: a reader that stops, a full device, a full file system, the umask.

def test_hnn_run_streams_json_that_is_json_dumps_of_the_replayed_numbers(capsys):
    assert main(["run", "--json", "--epochs", "3", "--learning-rate", "0.5", "--activation", "sigmoid", "--target", "0.5"]) == 0
    text = capsys.readouterr().out
    printed = json.loads(text)
    assert text == json.dumps(printed, indent=2) + "\n"  # the layout json.dumps gives, written an epoch at a time
    steps, final = replay(epochs=3, learning_rate=0.5, activation="sigmoid", target=0.5)
    got = [(e["n"], e["o"], e["loss"], e["grad"]["w1"], e["grad"]["b"], e["updated"]["w1"]) for e in printed["epochs"]]
    want = [(s.n, s.o, s.loss, s.dL_dw1, s.dL_db, s.new_w1) for s in steps]
    assert [e["epoch"] for e in printed["epochs"]] == [1, 2, 3]
    assert all(math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15) for row, ref in zip(got, want) for a, b in zip(row, ref))
    assert math.isclose(printed["final"]["loss"], final.loss, rel_tol=1e-12)


@pytest.mark.parametrize("args", [["run", "--epochs", "500"], ["run", "--json", "--epochs", "500"]], ids=["log", "json"])
def test_a_reader_that_stops_reading_ends_hnn_run_quietly(args):
    """`hnn run | head -1`: as for a Unix tool killed by SIGPIPE, no message and the status 128 + 13."""
    with subprocess.Popen([sys.executable, "-m", "hnn", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        process.stdout.readline()
        process.stdout.close()  # the reader goes away with most of the output unread
        stderr = process.stderr.read()
    assert (process.returncode, stderr) == (141, b"")


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs Linux's /dev/full")
def test_a_full_output_device_gets_one_line():
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "hnn", "run"], stdout=full, stderr=subprocess.PIPE, text=True)
    assert (done.returncode, done.stderr) == (1, "hnn run: error: cannot write the output: No space left on device\n")


def tmpfs(where: Path, size: str):
    """A file system of this size of its own at where, mounted while the caller yields (root can, as in CI): a full
    disk without filling one. Skips the test where it cannot be mounted."""
    where.mkdir()
    if shutil.which("mount") is None or subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True
    ).returncode:
        pytest.skip("mounting a tmpfs needs root")
    yield where
    subprocess.run(["umount", str(where)], check=True)


@pytest.fixture
def small_disk(tmp_path):
    """A 64 kB file system."""
    yield from tmpfs(tmp_path / "small", "64k")


class _Filling:
    """A file that takes bytes until the disk it stands for is full: then ENOSPC, as write(2) gives."""

    def __init__(self, file, room: list):
        self.file, self.room = file, room

    def write(self, data: bytes) -> int:
        self.room[0] -= len(data)
        if self.room[0] < 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return self.file.write(data)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.file.close()


@pytest.fixture(params=["tmpfs", "injected"])
def full_disk(request, tmp_path, monkeypatch):
    """A folder with about 256 kB free: a tmpfs of its own where root can mount one (as in CI), and everywhere
    hnn.files' own writes refused with ENOSPC past 256 kB, as a full disk refuses them."""
    if request.param == "tmpfs":
        yield from tmpfs(tmp_path / "small", "256k")
        return
    room = [256_000]
    monkeypatch.setattr("hnn.files.open", lambda fd, mode: _Filling(open(fd, mode), room), raising=False)
    (tmp_path / "small").mkdir()
    yield tmp_path / "small"


def test_a_full_disk_stops_hnn_diagrams_with_one_line_and_leaves_the_folder_as_it_was(full_disk, capsys):
    out = full_disk / "d"
    out.mkdir()
    (out / "ae0.svg").write_text("an earlier run's")  # a failed overwrite leaves it as it was
    (out / "notes.txt").write_text("mine")
    before = snapshot(full_disk)
    done = run_cli(capsys, "diagrams", "--out", str(out), "--epochs", "5")  # 18 files, ~320 kB
    assert (done.returncode, done.stdout) == (1, "")
    assert re.fullmatch(rf"hnn diagrams: error: No space left on device: {re.escape(str(out))}/ae[0-5]\.(gv|svg|png)\n",
                        done.stderr), done.stderr
    assert snapshot(full_disk) == before  # nothing of this run's, no hidden folder, the folder's time as it was
    done = run_cli(capsys, "diagrams", "--out", str(full_disk / "new" / "d"), "--epochs", "5")
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and snapshot(full_disk) == before  # no new/ left


def test_a_set_of_files_too_big_for_the_disk_is_not_written_at_all(small_disk):
    (small_disk / "a.svg").write_bytes(b"an earlier one")
    files = {small_disk / "a.svg": b"a" * 40_000, small_disk / "b.svg": b"b" * 40_000}  # 80 kB into 64 kB
    with pytest.raises(OSError) as raised:
        write_all(files)
    assert raised.value.errno == errno.ENOSPC
    assert sorted(os.listdir(small_disk)) == ["a.svg"] and (small_disk / "a.svg").read_bytes() == b"an earlier one"
    assert write_all({small_disk / "b.svg": b"b" * 40_000}) == [small_disk / "b.svg"]  # it fits once alone


def test_a_full_disk_stops_a_sweep_with_one_line_and_removes_what_it_wrote(small_disk, capsys):
    walkthrough = nbformat.read(WALKTHROUGH, as_version=4)
    notebook = nbformat.v4.new_notebook(metadata=walkthrough.metadata, cells=[
        next(cell for cell in walkthrough.cells if "parameters" in cell.metadata.get("tags", [])),  # the lesson's
        nbformat.v4.new_code_cell("print('x' * 40_000)"),  # more than the disk has left
    ])
    nbformat.write(notebook, small_disk.parent / "n.ipynb")
    (small_disk / "filler").write_bytes(b"0" * 30_000)
    out = small_disk / "runs"
    done = run_cli(capsys, "sweep", "--param", "epochs=1,2", "--notebook", str(small_disk.parent / "n.ipynb"), "--out", str(out))
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.splitlines()[-1].startswith("hnn sweep: error: No space left on device") and "Traceback" not in done.stderr
    assert os.listdir(out) == []  # no notebook, no summary, no lock, no staging folder


@pytest.mark.parametrize("umask", [0o077, 0o027, 0o022])
def test_files_honour_the_umask(umask, tmp_path):
    script = "from pathlib import Path; from hnn.files import write_all; write_all({Path('f.csv'): b'1'})"
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, preexec_fn=lambda: os.umask(umask))
    assert done.returncode == 0
    assert stat.S_IMODE((tmp_path / "f.csv").stat().st_mode) == {0o077: 0o600, 0o027: 0o640, 0o022: 0o644}[umask]


def test_a_lock_left_by_a_killed_sweep_is_taken_and_removed(tmp_path):
    (tmp_path / sweep.LOCK).write_text("")  # no process holds it: its sweep died
    with sweep._locked(tmp_path):
        assert (tmp_path / sweep.LOCK).exists()
    assert not (tmp_path / sweep.LOCK).exists()


def test_the_lock_needs_no_fcntl_which_windows_lacks(tmp_path):
    """Where importing fcntl fails, as on Windows, a second sweep into the same folder still refuses, and the lock goes
    when the first is done."""
    script = f"""
import sys, warnings
sys.modules["fcntl"] = None  # an import of it now fails
warnings.filterwarnings("ignore", "only soft file lock")  # filelock's lock where there is neither fcntl nor Windows
from pathlib import Path
from hnn.classroom import sweep
out = Path({str(tmp_path)!r})
with sweep._locked(out):
    try:
        with sweep._locked(out):
            print("a second sweep took the lock")
    except ValueError as error:
        print(error)
print(sorted(path.name for path in out.iterdir()))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    refused = f"another hnn sweep is writing into {tmp_path} (it holds {tmp_path / sweep.LOCK}); wait for it or choose another"
    assert (done.stdout, done.stderr) == (f"{refused} --out\n[]\n", "")
