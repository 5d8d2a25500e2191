"""`hnn sweep`: one executed notebook per parameter set, a summary equal to hnn's own numbers, and no file overwritten."""
import ast
import csv
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

import nbformat
import pytest

import hnn
from hnn.classroom import sweep
from hnn.cli import main
from tests.conftest import WALKTHROUGH

# A small stand-in for the walkthrough: its parameters cell, a check like the walkthrough's, the walkthrough log,
# and a failure for one valid value, so that a run can fail after every set has been validated.
TINY = """\
import os
import hnn
import hnn.notebook as hn

config, display = hn.setup(
    x1=x1, x2=x2, w1=w1, w2=w2, b=b, target=target, learning_rate=learning_rate,
    epochs=epochs, activation=activation, view=view, max_diagrams=max_diagrams,
)
assert learning_rate != 1, "this notebook fails for learning_rate 1"
print("cwd:", os.getcwd())
print(hnn.walkthrough(hnn.train(config)))
"""


@pytest.fixture
def tiny(tmp_path):
    walkthrough = nbformat.read(WALKTHROUGH, as_version=4)
    nb = nbformat.v4.new_notebook(metadata=walkthrough.metadata)
    nb.cells = [next(c for c in walkthrough.cells if "parameters" in c.metadata.get("tags", [])), nbformat.v4.new_code_cell(TINY)]
    path = tmp_path / "tiny" / "tiny.ipynb"
    path.parent.mkdir()
    nbformat.write(nb, path)
    return path


def summary(out):
    with open(out / "summary.csv", newline="") as f:
        return list(csv.DictReader(f))


def printed(notebook) -> str:
    nb = nbformat.read(notebook, as_version=4)
    return "".join(o.text for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.get("name") == "stdout")


def assert_row_is_hnns_and_the_notebooks(row, out, **hyperparameters):
    """The row's numbers equal a separate hnn.train, and the executed notebook printed the same final loss."""
    final = hnn.train(hnn.Config(**hyperparameters)).final
    assert row["status"] == "ok"
    assert [float(row[k]) for k in ("final_loss", "final_o", "final_w1", "final_w2", "final_b")] == [
        final.loss, final.o, final.w1, final.w2, final.b
    ]
    assert re.findall(r"Final Loss = (\S+)", printed(out / row["notebook"])) == [f"{final.loss:.6f}"]


def test_the_walkthrough_sweeps_from_any_folder(tmp_path, monkeypatch, hnn_cli):
    out = tmp_path / "runs"
    monkeypatch.chdir(tmp_path)  # not the repository: the kernel must still start in notebooks/
    result = hnn_cli("sweep", "--param", "learning_rate=0.1,1", "--param", "epochs=3", "--out", "runs")
    assert result.returncode == 0, result.stderr
    names = ["learning_rate=0.1,epochs=3.ipynb", "learning_rate=1.0,epochs=3.ipynb"]
    assert sorted(p.name for p in out.iterdir()) == sorted(names + ["summary.csv", "summary.png"])
    rows = summary(out)
    assert [(r["notebook"], r["learning_rate"], r["epochs"]) for r in rows] == [(names[0], "0.1", "3"), (names[1], "1.0", "3")]
    for row, learning_rate in zip(rows, (0.1, 1.0)):
        assert_row_is_hnns_and_the_notebooks(row, out, learning_rate=learning_rate, epochs=3)
    png = (out / "summary.png").read_bytes()
    assert png.startswith(b"\x89PNG") and b"Software" not in png  # no matplotlib version: the same bytes every time
    for name in names:  # papermill's record names the notebooks, holds no copy of the input and no time (the same bytes)
        text = (out / name).read_text()
        record = nbformat.reads(text, as_version=4).metadata.papermill
        assert (record.input_path, record.output_path, record.exception) == (WALKTHROUGH.name, name, None)
        assert not re.search(r'"(start_time|end_time|duration|iopub\.[a-z_.]+)":', text)


def test_a_failing_run_is_reported_and_the_others_finish(tiny, tmp_path, capsys, monkeypatch):
    out, cwd = tmp_path / "runs", os.getcwd()
    # With no usable temporary folder (as when it is full) the sweep still works: it stages its files beside them.
    monkeypatch.setenv("TMPDIR", str(tmp_path / "missing"))
    monkeypatch.setattr(tempfile, "tempdir", None)  # this process's own cached choice, read again
    args = ["--param", "learning_rate=0.5,1,0.1", "--param", "epochs=4", "--notebook", str(tiny), "--out", str(out)]
    assert main(["sweep", *args]) == 1
    assert os.getcwd() == cwd  # the kernels started in the notebook's folder; this process stayed where it was
    failures = [line for line in capsys.readouterr().err.splitlines() if "failed" in line]
    assert failures == ["hnn sweep: learning_rate=1.0,epochs=4: failed: AssertionError: this notebook fails for learning_rate 1"]
    rows = summary(out)
    assert [(r["learning_rate"], r["status"], r["final_loss"]) for r in rows][1] == ("1.0", "failed", "")
    for row in (rows[0], rows[2]):
        assert_row_is_hnns_and_the_notebooks(row, out, learning_rate=float(row["learning_rate"]), epochs=4)
        assert f"cwd: {tiny.parent}\n" in printed(out / row["notebook"])
    assert "AssertionError" in (out / "learning_rate=1.0,epochs=4.ipynb").read_text()  # kept: it shows where it failed


def test_refuses_to_overwrite_without_force_and_leaves_other_files_alone(tiny, tmp_path, capsys):
    out = tmp_path / "runs"
    out.mkdir()
    (out / "summary.csv").write_text("mine")
    (out / "notes.txt").write_text("not the sweep's")
    args = ["sweep", "--param", "learning_rate=0.5", "--notebook", str(tiny), "--out", str(out)]
    assert main(args) == 2
    assert capsys.readouterr().err == f"hnn sweep: error: {out / 'summary.csv'} already exists; pass --force to overwrite\n"
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt", "summary.csv"]
    assert main([*args, "--force"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["learning_rate=0.5.ipynb", "notes.txt", "summary.csv", "summary.png"]
    assert (out / "notes.txt").read_text() == "not the sweep's" and summary(out)[0]["status"] == "ok"


@pytest.mark.parametrize(
    "params,message",
    [
        (["learning_rate=0.1,abc"], "learning_rate must be a finite number, got 'abc'"),
        (["epochs=10,2.5"], "epochs must be a whole number from 0 to 100000, got 2.5"),
        (["learning_rate=0.1,1e-1"], "two parameter sets are the same run: learning_rate=0.1"),
        (["epochs"], "--param must look like NAME=VALUE[,VALUE...], got 'epochs'"),
    ],
)
def test_a_bad_parameter_set_stops_everything_with_one_line(tmp_path, capsys, params, message):
    out = tmp_path / "runs"
    assert main(["sweep", *(a for p in params for a in ("--param", p)), "--out", str(out)]) == 2
    assert capsys.readouterr() == ("", f"hnn sweep: error: {message}\n")
    assert not out.exists()


def test_params_file_is_a_list_of_runs_or_a_grid(tmp_path):
    defaults = sweep.notebook_defaults(WALKTHROUGH)
    runs = tmp_path / "runs.yml"
    runs.write_text("- {learning_rate: 1e-3, epochs: 20}\n- {activation: sigmoid, target: 0.5}\n")
    planned = sweep.plan(sweep.parameter_sets(None, runs), defaults)
    assert [r.name for r in planned] == ["learning_rate=0.001,epochs=20", "activation=sigmoid,target=0.5"]
    assert planned[1].config == hnn.Config(activation="sigmoid", target=0.5)  # the rest are the notebook's defaults
    grid = tmp_path / "grid.yml"
    grid.write_text("learning_rate: [0.01, 0.1]\nactivation: [tanh, sigmoid]\ntarget: 0.5\n")
    assert [r.name for r in sweep.plan(sweep.parameter_sets(None, grid), defaults)] == [
        "learning_rate=0.01,activation=tanh,target=0.5",
        "learning_rate=0.01,activation=sigmoid,target=0.5",
        "learning_rate=0.1,activation=tanh,target=0.5",
        "learning_rate=0.1,activation=sigmoid,target=0.5",
    ]


@pytest.mark.parametrize(
    "make,args,message",
    [
        (lambda p: None, ["--out", "{p}.out", "--notebook", "{p}"], "--notebook {p} does not exist"),
        (lambda p: p.write_text("- 1\n"), ["--out", "{p}.out", "--params-file", "{p}"],
         "--params-file {p} must hold a list of mappings (one per run) or a mapping of name to values (a grid)"),
    ],
)
def test_bad_files_and_folders_get_one_line(tmp_path, capsys, make, args, message):
    path = tmp_path / "given"
    make(path)
    params = [] if "--params-file" in args else ["--param", "epochs=1"]
    assert main(["sweep", *params, *(a.format(p=path) for a in args)]) == 2
    assert capsys.readouterr().err == f"hnn sweep: error: {message.format(p=path)}\n"
    assert not (tmp_path / "given.out").exists()


def test_the_default_notebook_is_the_walkthrough_installed_with_hnn():
    assert sweep.NOTEBOOK.read_bytes() == WALKTHROUGH.read_bytes()


@pytest.mark.parametrize("jobs", ["0", "-1", "1.5", "two", ""])
def test_jobs_must_be_a_whole_number_of_at_least_one(tmp_path, capsys, jobs):
    assert main(["sweep", "--param", "epochs=1", "--out", str(tmp_path / "runs"), "--jobs", jobs]) == 2
    assert capsys.readouterr().err == f"hnn sweep: error: --jobs must be a whole number of at least 1, got {jobs!r}\n"
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize("jobs", [1, 2])
def test_jobs_limits_how_many_runs_execute_at_once(tiny, tmp_path, monkeypatch, jobs):
    import threading
    import time

    running, most, lock = [0], [0], threading.Lock()

    def execute(notebook, executed, output, parameters, stopping):  # stands in for papermill: counts the runs under way
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.3)  # long enough for every allowed run to start beside it
        with lock:
            running[0] -= 1

    monkeypatch.setattr(sweep, "execute", execute)
    assert sweep.sweep(["epochs=0,1,2,3"], None, tmp_path / "runs", notebook=tiny, jobs=str(jobs)) == 0
    assert most[0] == jobs


def test_without_the_installed_walkthrough_the_notebook_must_be_given(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sweep, "NOTEBOOK", tmp_path / "missing.ipynb")
    assert main(["sweep", "--param", "epochs=1", "--out", str(tmp_path / "runs")]) == 2
    assert "pass --notebook PATH" in capsys.readouterr().err


# A notebook that waits, or whose kernel dies, as a test asks: it records its kernel's process id in the folder that
# $SLEEPY names, sleeps while the file "sleep" is there when epochs is 2, and kills its own kernel when epochs is 3.
SLEEPY = """\
import os, pathlib, signal, time
import hnn

folder = pathlib.Path(os.environ["SLEEPY"])
(folder / f"{epochs}.pid").write_text(str(os.getpid()))
if epochs == 3:
    os.kill(os.getpid(), signal.SIGKILL)
while epochs == 2 and (folder / "sleep").exists():
    time.sleep(0.1)
config = hnn.Config(
    x1=x1, x2=x2, w1=w1, w2=w2, b=b, target=target, learning_rate=learning_rate, epochs=epochs, activation=activation
)
print(hnn.walkthrough(hnn.train(config)))
"""


@pytest.fixture
def sleepy(tmp_path, monkeypatch):
    walkthrough = nbformat.read(WALKTHROUGH, as_version=4)
    nb = nbformat.v4.new_notebook(metadata=walkthrough.metadata)
    parameters = next(c for c in walkthrough.cells if "parameters" in c.metadata.get("tags", []))
    nb.cells = [parameters, nbformat.v4.new_code_cell(SLEEPY)]
    path = tmp_path / "sleepy" / "sleepy.ipynb"
    path.parent.mkdir()
    nbformat.write(nb, path)
    monkeypatch.setenv("SLEEPY", str(tmp_path))  # the kernels inherit it, also those of a sweep started from here
    return path


def wait_for(condition, seconds=180):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_the_sweep_in_seconds_and_summarises_what_finished(signum, sleepy, tmp_path, capsys):
    out = tmp_path / "runs"
    (tmp_path / "sleep").touch()
    args = ["sweep", "--param", "epochs=1,2", "--notebook", str(sleepy), "--out", str(out)]
    command = [sys.executable, "-m", "hnn", *args]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as sweeping:
        try:
            progress = next(line for line in sweeping.stderr if "epochs=1" in line)  # blocks until the first run ends
            assert progress == "hnn sweep: epochs=1: done\n"
            wait_for(lambda: (tmp_path / "2.pid").exists())
            if signum == signal.SIGINT:  # meanwhile a second sweep into the same folder refuses
                assert main(args) == 2
                assert capsys.readouterr().err == (
                    f"hnn sweep: error: another hnn sweep is writing into {out} (it holds {out / sweep.LOCK});"
                    " wait for it or choose another --out\n"
                )
            started = time.monotonic()
            sweeping.send_signal(signum)
            stdout, stderr = sweeping.communicate(timeout=60)
        finally:
            sweeping.kill()
    assert time.monotonic() - started < 15
    assert (sweeping.returncode, stdout) == (128 + signum, ""), stderr
    assert "Traceback" not in stderr
    assert stderr.splitlines()[-1] == (
        f"hnn sweep: stopped by {signum.name}: 1 of 2 runs finished, 0 failed: {out / 'summary.csv'}; --resume runs the rest"
    )
    rows = summary(out)
    assert [(r["epochs"], r["status"], r["final_loss"]) for r in rows][1] == ("2", "stopped", "")
    assert_row_is_hnns_and_the_notebooks(rows[0], out, epochs=1)
    assert sorted(p.name for p in out.iterdir()) == ["epochs=1.ipynb", "summary.csv", "summary.png"]  # no lock, no staging
    kernel = int((tmp_path / "2.pid").read_text())
    wait_for(lambda: gone(kernel), seconds=5)  # killed, not left sleeping
    if signum == signal.SIGINT:  # the rest, with the finished run kept as it was
        (tmp_path / "sleep").unlink()
        (tmp_path / "1.pid").unlink()
        kept = (out / "epochs=1.ipynb").stat().st_mtime_ns
        assert main([*args, "--resume"]) == 0
        assert capsys.readouterr().out == f"2 runs (1 complete already), 0 failed: {out / 'summary.csv'}, {out / 'summary.png'}\n"
        assert (out / "epochs=1.ipynb").stat().st_mtime_ns == kept and not (tmp_path / "1.pid").exists()
        for row, epochs in zip(summary(out), (1, 2)):
            assert_row_is_hnns_and_the_notebooks(row, out, epochs=epochs)


def test_ctrl_c_as_a_kernel_starts_stops_the_sweep_within_seconds_with_hnns_lines_only(sleepy, tmp_path):
    """SIGINT as the first notebook lands: the second run is starting its kernel, the third waits for it."""
    out = tmp_path / "runs"
    command = [sys.executable, "-m", "hnn", "sweep", "--param", "epochs=1,2,4", "--jobs", "1", "--notebook", str(sleepy),
               "--out", str(out)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as sweeping:
        try:
            wait_for(lambda: (out / "epochs=1.ipynb").exists())
            started = time.monotonic()
            sweeping.send_signal(signal.SIGINT)
            stdout, stderr = sweeping.communicate(timeout=60)
        finally:
            sweeping.kill()
    # About 3.5 s on an idle machine, most of it the starting kernel noticing its death and Python's exit: twice the 5 s
    # promised, where the tests share the cores, and still a third of the 30 s a stopped sweep waits at the most.
    assert time.monotonic() - started < 10
    assert (sweeping.returncode, stdout) == (130, "")
    assert stderr.splitlines() == [
        "hnn sweep: epochs=1: done",
        f"hnn sweep: stopped by SIGINT: 1 of 3 runs finished, 0 failed: {out / 'summary.csv'}; --resume runs the rest",
    ]
    assert [(r["epochs"], r["status"]) for r in summary(out)] == [("1", "ok"), ("2", "stopped"), ("4", "stopped")]


def test_a_value_written_over_several_lines_is_replaced_whole(tmp_path):
    source = 'x1: float = 2.0  # the first ≈ input\nactivation: str = ("tan"\n    "h")  # over two lines\nepochs: int = 10\n'
    path = tmp_path / "n.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source, metadata={"tags": ["parameters"]})]), path)
    assert sweep.notebook_defaults(path) == {"x1": 2.0, "activation": "tanh", "epochs": 10}
    cell = sweep.with_parameters(path, {"activation": "sigmoid", "epochs": 3}).cells[0].source
    assert {node.target.id: ast.literal_eval(node.value) for node in ast.parse(cell).body} == {
        "x1": 2.0, "activation": "sigmoid", "epochs": 3}
    assert "# the first ≈ input\n" in cell and "# over two lines\n" in cell


def test_resume_keeps_a_run_only_of_the_same_notebook_every_cell_of_it(tiny, tmp_path):
    run = sweep.plan([{"epochs": 1}], sweep.notebook_defaults(tiny))[0]
    executed = sweep.with_parameters(tiny, run.parameters)  # with what papermill records of a run that went well
    executed.metadata.papermill = {"exception": None}
    for cell in executed.cells:
        cell.metadata.papermill = {"status": "completed"}
    path = tmp_path / "epochs=1.ipynb"
    nbformat.write(executed, path)
    assert sweep.complete(path, tiny, run)
    for change in ("a line added to a code cell", "a cell added"):
        other = nbformat.read(tiny, as_version=4)
        if change == "a cell added":
            other.cells.append(nbformat.v4.new_markdown_cell("A note the sweep's notebooks do not have."))
        else:
            other.cells[1].source += "\nprint('one more line')"
        changed = tmp_path / change / "tiny.ipynb"
        changed.parent.mkdir()
        nbformat.write(other, changed)
        assert not sweep.complete(path, changed, run), change


def test_a_kernel_killed_like_an_out_of_memory_kill_leaves_its_notebook(sleepy, tmp_path, capsys):
    out = tmp_path / "runs"
    assert main(["sweep", "--param", "epochs=3", "--notebook", str(sleepy), "--out", str(out)]) == 1
    error = "DeadKernelError: the kernel died (killed, or out of memory)"
    assert f"hnn sweep: epochs=3: failed: {error}\n" in capsys.readouterr().err
    assert summary(out)[0]["status"] == "failed"
    cell = nbformat.read(out / "epochs=3.ipynb", as_version=4).cells[-1]  # where it stopped: the cell that killed it
    assert "os.kill" in cell.source and [(o.ename, o.evalue) for o in cell.outputs] == [("DeadKernelError", error)]
    assert not sweep.complete(out / "epochs=3.ipynb", sleepy, sweep.plan([{"epochs": 3}], sweep.notebook_defaults(sleepy))[0])
