"""`hnn sweep`: the walkthrough notebook executed once per parameter set with papermill, and a summary of every run."""
from __future__ import annotations

import array
import ast
import contextlib
import csv
import dataclasses
import io
import itertools
import json
import logging
import math
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import weakref
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path
from typing import NamedTuple

import filelock
import nbformat
import papermill
import yaml
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import ensure_event_loop
from nbclient.exceptions import DeadKernelError
from tqdm import tqdm

from hnn.classroom import jobs_limit, strict_yaml
from hnn.classroom.links import WALKTHROUGH
from hnn.config import Config, excerpt
from hnn.files import check_targets, create, directory, write_all, write_atomically
from hnn.notebook import lesson_of, setup
from hnn.trace import State
from hnn.training import train
from hnn.views import plots
from hnn.views.render import check_renderer

NOTEBOOK = WALKTHROUGH  # installed with hnn, from a wheel as from a source checkout
# The kernel's own log (a TCP warning at each start) is noise; cell errors come via papermill.
KERNEL_QUIET = ["--IPKernelApp.log_level=CRITICAL"]
MAX_RUNS = 1000  # each run starts a kernel (seconds each): 1000 runs take about an hour on two cores
MAX_TOTAL_EPOCHS = 10_000_000  # every run's epochs together: 100 runs of the most epochs a run takes
LONG_RUNS, LONG_EPOCHS = 50, 1_000_000  # beyond either, a sweep takes many minutes: it starts only with --allow-long
SUMMARY_POINTS = 200_000  # of all the summary's curves together: 1000 runs draw in some 60 MB, 200 points each
LOCK = ".hnn-sweep.lock"  # held while a sweep writes into its --out, so that a second one refuses
STOP_SECONDS = 30  # after a signal, how long the runs under way get to end once their kernels are killed


class Job(NamedTuple):
    """One execution of the notebook."""

    name: str  # its parameters, e.g. learning_rate=0.1,epochs=50: the output notebook's name and the plot's label
    parameters: dict  # what papermill injects: the set's own values, as Config coerced them ("1e-3" → 0.001)
    values: dict  # every notebook parameter as this run uses it, for summary.csv
    config: Config


class Outcome(NamedTuple):
    """What the summary needs of a run: its final loss and trained parameters, and its loss per epoch."""

    final: State  # the trained network's forward pass and parameters
    curve: tuple[array.array, array.array]  # epochs and losses, the last the final one's, as plots.envelope keeps them


def parameter_sets(params: list[str] | None, params_file: Path | None) -> list[dict]:
    """The runs asked for, each a mapping of notebook parameter to value, in a stable order."""
    if params_file is None:
        grid = {}
        for text in params:
            name, equals, values = text.partition("=")
            if not equals:
                raise ValueError(f"--param must look like NAME=VALUE[,VALUE...], got {text!r}")
            if name in grid:
                raise ValueError(f"--param {name} is given twice; list its values in one: {name}=A,B")
            grid[name] = [_scalar(value) for value in values.split(",")]
        return _grid(grid)
    try:
        with open(params_file, "rb") as file:
            raw = file.read(strict_yaml.MAX_SIZE + 1)  # no more: a parameter file is small, whatever stands at its path
        if len(raw) > strict_yaml.MAX_SIZE:
            raise strict_yaml.TooLarge(f"is more than {strict_yaml.MAX_SIZE} bytes long; a parameter file may be at most that")
        data = strict_yaml.load(raw.decode("utf-8"))
    except OSError as error:
        raise ValueError(f"cannot read --params-file {params_file}: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise ValueError(
            f"--params-file {params_file} must be UTF-8 text, but byte {error.object[error.start]:#04x} at position"
            f" {error.start} is not"
        ) from None
    except strict_yaml.TooLarge as error:
        raise ValueError(f"--params-file {params_file} {error}") from None
    except yaml.YAMLError as error:
        raise ValueError(f"--params-file {params_file} is not valid YAML: {_yaml_problem(error)}") from None
    if isinstance(data, dict):  # a grid: name → value or list of values
        return _grid({name: values if isinstance(values, list) else [values] for name, values in data.items()})
    if isinstance(data, list) and all(isinstance(run, dict) for run in data):  # one mapping per run
        return _at_most_max_runs(data)
    raise ValueError(
        f"--params-file {params_file} must hold a list of mappings (one per run) or a mapping of name to values (a grid)"
    )


def _yaml_problem(error: yaml.YAMLError) -> str:
    """The problem and where it is, without the "<unicode string>" that PyYAML names a string it was given."""
    mark = getattr(error, "problem_mark", None)
    problem = " ".join(str(part) for part in (getattr(error, "context", None), getattr(error, "problem", None)) if part)
    where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
    return " ".join((problem or str(error)).split()) + where


def _scalar(text: str):
    """A command-line value as papermill's -p reads it: a whole number, else a number, else the text."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _grid(grid: dict) -> list[dict]:
    """Every combination of the values, the first parameter varying slowest; counted before it is built."""
    _at_most_max_runs(range(math.prod(len(values) for values in grid.values())))
    return [dict(zip(grid, values)) for values in itertools.product(*grid.values())]


def _at_most_max_runs(sets):
    if len(sets) > MAX_RUNS:
        raise ValueError(f"the sweep has {len(sets)} runs, more than the {MAX_RUNS} it takes; split it into smaller sweeps")
    return sets


def notebook_path(notebook: Path | None) -> Path:
    """The notebook to run: --notebook, else the walkthrough beside the package."""
    if notebook is None and not NOTEBOOK.exists():
        raise ValueError(
            f"the walkthrough notebook is not at {NOTEBOOK} (hnn was installed without it); pass --notebook PATH"
        )
    path = (notebook or NOTEBOOK).resolve()
    if not path.is_file():
        raise ValueError(f"--notebook {notebook} does not exist")
    return path


def notebook_defaults(notebook: Path) -> dict:
    """The notebook's parameters and their values, read from the cell tagged `parameters` that papermill overrides."""
    try:
        cells = nbformat.read(notebook, as_version=4).cells
    except (OSError, ValueError) as error:  # not JSON, or not a notebook
        raise ValueError(f"--notebook {notebook} cannot be read as a notebook: {' '.join(str(error).split())[:200]}") from None
    cells = [cell for cell in cells if "parameters" in cell.metadata.get("tags", [])]
    if not cells:
        raise ValueError(f"{notebook} has no cell tagged 'parameters' for papermill to override")
    source = cells[0].source
    plain = "its Parameters cell must hold only NAME = VALUE lines with plain values (numbers, text)"
    try:
        body = ast.parse(source).body
    except SyntaxError as error:
        raise ValueError(f"--notebook {notebook}: {plain}, but line {error.lineno} is not Python: {error.msg}") from None
    defaults = {}
    for node in body:  # literal_eval, not exec: reading the values runs no code
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):  # a docstring-like remark
            continue
        target = node.target if isinstance(node, ast.AnnAssign) else node.targets[0] if isinstance(node, ast.Assign) else None
        try:
            if not isinstance(target, ast.Name) or isinstance(node, ast.Assign) and len(node.targets) > 1:
                raise ValueError
            defaults[target.id] = ast.literal_eval(node.value)
        except ValueError:  # also literal_eval's "malformed node", for a name, a call, or `x: int` with no value
            raise ValueError(f"--notebook {notebook}: {plain}, not {excerpt(ast.get_source_segment(source, node))}") from None
    return defaults


def plan(sets: list[dict], defaults: dict) -> list[Job]:
    """Every set checked as the notebook checks it (hnn.notebook.setup, with the lesson whose parameters the notebook
    lists), before anything runs; ValueError names the first bad one."""
    if not sets:
        raise ValueError("the sweep has no runs: a parameter has an empty list of values")
    runs, seen, network = [], {}, lesson_of(defaults)
    for given in sets:
        unknown = [name for name in given if name not in defaults]
        if unknown:
            raise ValueError(f"unknown parameter {excerpt(unknown[0])}; accepted: {', '.join(defaults)}")
        values = {**defaults, **given}
        config, display = setup(network, **values)
        values.update(config.to_dict(), **dataclasses.asdict(display))  # as checked: "1e-3" → 0.001, 12.0 → 12
        parameters = {name: values[name] for name in given}
        # Safe as a file name and unambiguous: the values are checked numbers, activation and view names, and whole
        # numbers, none of which contains '/', ',' or '='.
        name = ",".join(f"{key}={value}" for key, value in parameters.items()) or "defaults"
        key = tuple(values.items())  # the same values, given in any order or left at their defaults, are one run
        if key in seen:
            raise ValueError(f"two parameter sets are the same run: {seen[key]}" + (f" and {name}" if seen[key] != name else ""))
        seen[key] = name
        runs.append(Job(name, parameters, values, config))
    return runs


def check_size(runs: list[Job], allow_long: bool) -> None:
    """Refuse a sweep beyond the limits, and one that takes long unless it was asked for with --allow-long."""
    epochs = sum(run.config.epochs for run in runs)
    if epochs > MAX_TOTAL_EPOCHS:
        raise ValueError(f"the sweep's runs have {epochs} epochs in all, more than the {MAX_TOTAL_EPOCHS} it takes; split it")
    if (len(runs) > LONG_RUNS or epochs > LONG_EPOCHS) and not allow_long:
        raise ValueError(
            f"{len(runs)} runs with {epochs} epochs in all take long (beyond {LONG_RUNS} runs or {LONG_EPOCHS} epochs);"
            " pass --allow-long to start them"
        )


def sweep(
    params: list[str] | None, params_file: Path | None, out: Path | str, notebook: Path | None = None, force: bool = False,
    resume: bool = False, allow_long: bool = False, jobs: int | str | None = None,
) -> int:
    """Execute the notebook once per run into out, at most jobs at once, then write summary.csv and summary.png;
    1 if any run failed, 128 + the signal's number if SIGINT or SIGTERM stopped it."""
    jobs = jobs_limit(jobs)
    notebook = notebook_path(notebook)
    runs = plan(parameter_sets(params, params_file), notebook_defaults(notebook))
    check_size(runs, allow_long)
    out = directory(out)
    outputs = [out / f"{run.name}.ipynb" for run in runs] + [out / "summary.csv", out / "summary.png"]
    if out.is_dir():  # a sweep under way there is the likelier reason for its files: say so first
        with _locked(out, create=False):
            pass
    check_targets(outputs, force=force or resume)
    check_renderer()  # the notebooks draw diagrams: a renderer that fails or hangs is said once, before any kernel starts
    create(out)
    with _locked(out), _Signals() as signals:
        check_targets(outputs, force=force or resume)  # again, now that no other sweep can be writing here
        done = {run.name for run, path in zip(runs, outputs) if resume and complete(path, notebook, run)}
        points = min(plots.CURVE_POINTS, SUMMARY_POINTS // len(runs))  # of each run's loss curve
        outcomes = {run.name: _outcome(run.config, points) for run in runs if run.name in done and not signals.received}
        errors = dict.fromkeys(outcomes)
        todo = [run for run in runs if run.name not in done]
        if todo and not signals.received:
            # Absolute: papermill's writes chdir the whole process, under the other runs' threads, to the folder it saw as
            # current when its run began; a relative path would then be read from wherever that is.
            with _quiet("papermill"):
                _execute_all(notebook, out.absolute(), todo, jobs, signals.received_one, errors, outcomes, points)
        write_all({
            out / "summary.csv": _summary_csv(runs, outcomes, errors),
            out / "summary.png": _summary_png(runs, outcomes, errors),
        })
        failed = sum(error is not None for error in errors.values())
        skipped = f" ({len(done)} complete already)" if done else ""
        if signals.received:  # said while a second signal is still only remembered: nothing cuts the line short
            print(
                f"hnn sweep: stopped by {signal.Signals(signals.received).name}: {len(errors)} of {len(runs)} runs"
                f" finished{skipped}, {failed} failed: {out / 'summary.csv'}; --resume runs the rest", file=sys.stderr,
            )
            return 128 + signals.received
    print(f"{len(runs)} runs{skipped}, {failed} failed: {out / 'summary.csv'}, {out / 'summary.png'}")
    return 1 if failed else 0


def complete(path: Path, notebook: Path, run: Job) -> bool:
    """Whether path holds this run executed to its end without an error: its cells are the notebook's, every one, with
    this run's values in the parameters cell, and papermill's record of every code cell's status says so."""
    try:
        nb = nbformat.read(path, as_version=4)
    except (OSError, ValueError):
        return False
    record = nb.metadata.get("papermill", {})
    return (
        not record.get("exception") and _cells(nb) == _cells(with_parameters(notebook, run.parameters))
        and all(cell.metadata.get("papermill", {}).get("status") == "completed" for cell in nb.cells if cell.cell_type == "code")
    )


def _cells(nb) -> list[tuple[str, str]]:
    """What a notebook is, for --resume: each cell's kind and source, in order."""
    return [(cell.cell_type, cell.source) for cell in nb.cells]


def with_parameters(notebook: Path, parameters: dict) -> nbformat.NotebookNode:
    """The notebook with these values written into its parameters cell, comments kept, instead of the cell papermill
    would inject below it: that cell would override the one a student edits, and they would get the variant's values."""
    nb = nbformat.read(notebook, as_version=4)
    cell = next(cell for cell in nb.cells if "parameters" in cell.metadata.get("tags", []))
    source = cell.source
    assignments = [node for node in ast.parse(source).body if isinstance(node, (ast.Assign, ast.AnnAssign))]
    for node in reversed(assignments):  # from the end, so that the positions of the earlier ones stay right
        name = (node.target if isinstance(node, ast.AnnAssign) else node.targets[0]).id
        if name in parameters:  # each value is one literal, as notebook_defaults reads it
            literal = json.dumps(parameters[name]) if isinstance(parameters[name], str) else repr(parameters[name])
            source = _replace(source, node.value, literal)
    cell.source = source
    return nb


def _replace(source: str, node: ast.expr, text: str) -> str:
    """source with node's text replaced by text. ast counts lines from 1 and columns in UTF-8 bytes (a comment may hold
    a '≈'), and a value may run over several lines: `("tan"\n "h")`."""
    data = source.encode("utf-8")
    lines = data.split(b"\n")

    def offset(line: int, column: int) -> int:
        return sum(len(before) + 1 for before in lines[:line - 1]) + column

    start, end = offset(node.lineno, node.col_offset), offset(node.end_lineno, node.end_col_offset)
    return (data[:start] + text.encode("utf-8") + data[end:]).decode("utf-8")


@contextlib.contextmanager
def _locked(out: Path, create: bool = True):
    """Hold out's lock file while this sweep writes there; a second sweep into the same folder refuses. The lock is the
    operating system's, taken with filelock (flock on Unix, Windows' own file lock there), so a sweep that was killed
    leaves a file that no process holds, which the next one takes. With create=False only look: a lock file that is
    not there is no sweep, and nothing is written."""
    path = out / LOCK
    if not create and not path.exists():
        yield
        return
    lock = filelock.FileLock(path, timeout=0)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise ValueError(
            f"another hnn sweep is writing into {out} (it holds {path}); wait for it or choose another --out"
        ) from None
    try:
        yield
    finally:
        if create and isinstance(lock, filelock.UnixFileLock):
            # Removed while still held, so that a sweep which opened it meanwhile finds its lock on a removed file
            # (which filelock refuses) and one that starts later makes its own; elsewhere filelock removes it.
            path.unlink(missing_ok=True)
        lock.release()


class _Signals:
    """SIGINT (Ctrl-C) and SIGTERM while a sweep runs: remembered, not raised, so that nothing is cut off mid-write;
    the sweep then kills its kernels and writes the summary of what finished."""

    def __init__(self):
        self.received = None  # the first signal's number
        self.received_one = threading.Event()  # what the runs' threads look at
        self.previous = {}

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():  # only the main thread may set handlers
            self.previous = {signum: signal.signal(signum, self._receive) for signum in (signal.SIGINT, signal.SIGTERM)}
        return self

    def _receive(self, signum, frame):
        self.received = self.received or signum
        self.received_one.set()

    def __exit__(self, *exc):
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)


@contextlib.contextmanager
def _quiet(name: str):
    """The named logger silent while the block runs: what papermill would log of a run (a kernel that did not start,
    or that a stopped sweep killed), the sweep says in that run's one line, or the stop says for all."""
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        logger.setLevel(level)


class _Kernel(AsyncKernelManager):
    """papermill's kernel manager, remembered while it lives, so that a stopped sweep can kill every kernel at once
    (kernels start in a session of their own, where the terminal's Ctrl-C does not reach them)."""

    live = weakref.WeakSet()

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.live.add(self)

    @classmethod
    def kill_all(cls) -> None:
        for kernel in list(cls.live):
            pid = getattr(kernel.provisioner, "pid", None)
            if pid:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)  # its session's group: the kernel and anything it started


def _execute_all(notebook: Path, out: Path, runs: list[Job], jobs: int, stopping: threading.Event, errors: dict,
                 outcomes: dict, points: int) -> None:
    """Every run, as many at once as there are cores, into errors (None for a run that went well) and outcomes; a line
    on stderr as each finishes, and a bar on a terminal. Once stopping is set, the kernels are killed and it returns."""
    staging = Path(tempfile.mkdtemp(dir=out, prefix=".hnn-sweep-"))  # beside the outputs: one file system, one rename
    pool = ThreadPoolExecutor(min(jobs, len(runs)))
    bar = tqdm(total=len(runs), unit="run", file=sys.stderr, disable=None)  # None: no bar unless stderr is a terminal
    futures = {
        pool.submit(_run, notebook, staging / f"{i}.ipynb", out / f"{run.name}.ipynb", run, stopping, points): run
        for i, run in enumerate(runs)
    }
    pending, written = set(futures), []

    def collect(future) -> None:  # a finished run: its numbers or its error, and a line on stderr
        run = futures[future]
        try:
            errors[run.name], outcomes[run.name] = future.result()
        except OSError:  # the output could not be written: a full disk, an I/O error
            raise
        except Exception as error:  # the kernel did not start: there is no executed notebook
            errors[run.name] = _one_line(f"{type(error).__name__}: {error}")
        written.append(out / f"{run.name}.ipynb")
        said = f"failed: {errors[run.name]}" if errors[run.name] else "done"
        bar.write(f"hnn sweep: {run.name}: {said}", file=sys.stderr)
        bar.update()

    try:
        try:
            while pending and not stopping.is_set():
                finished, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                for future in finished:
                    collect(future)
        finally:
            stopping.set()  # what has not started does not start
            pool.shutdown(wait=False, cancel_futures=True)
            under_way = {future for future in pending if not future.cancelled()}  # a cancelled one is never done to wait()
            pending, deadline = under_way, time.monotonic() + STOP_SECONDS
            while pending and time.monotonic() < deadline:
                _Kernel.kill_all()  # again each time: a run may have been starting its kernel
                _, pending = wait(pending, timeout=0.2)
        for future in under_way - pending:  # ended as the sweep stopped: one that wrote its notebook has finished
            if future.exception() is None and future.result()[0] != "stopped":
                collect(future)
    except BaseException:  # a fault: this sweep's set of files is not written at all
        for path in written:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        raise
    finally:
        bar.close()
        shutil.rmtree(staging, ignore_errors=True)


def _run(notebook: Path, executed: Path, output: Path, run: Job, stopping: threading.Event,
         points: int) -> tuple[str | None, Outcome | None]:
    """One run's notebook, then its summary numbers, both in this thread: the main one only waits, for a signal too."""
    error = execute(notebook, executed, output, run.parameters, stopping)
    return error, None if error else _outcome(run.config, points)


def execute(notebook: Path, executed: Path, output: Path, parameters: dict, stopping: threading.Event) -> str | None:
    """Run the notebook with papermill, its kernel in the notebook's folder; the error in one line if a cell raised
    or the kernel died. The notebook papermill wrote so far is kept either way: it shows where the run stopped."""
    loop = ensure_event_loop()  # this thread's loop, which papermill's kernel client runs on; nothing else closes it
    try:
        papermill.execute_notebook(
            with_parameters(notebook, parameters), executed, progress_bar=False, extra_arguments=KERNEL_QUIET,
            kernel_manager_class=_Kernel, record_timing=False,  # nbclient's times: never the same twice
            # The kernel starts in the notebook's folder, as in JupyterLab. Not papermill's cwd=: that would chdir
            # this whole process, under the other runs' threads.
            resources={"metadata": {"path": str(notebook.parent)}},
        )
        error = None
    except papermill.PapermillExecutionError as failure:  # papermill saved the notebook, which shows where it failed
        error = _one_line(f"{failure.ename}: {failure.evalue}")
    except DeadKernelError:  # killed (by the sweep stopping, or by the system, as out of memory does)
        if stopping.is_set():
            return "stopped"
        error = "DeadKernelError: the kernel died (killed, or out of memory)"
        _mark_dead(executed, error)
    finally:
        loop.close()
    nb = nbformat.read(executed, as_version=4)
    _same_record(nb, notebook, output)
    write_atomically(output, nbformat.writes(nb).encode("utf-8"))
    return error


PAPERMILL_TIMES = ("start_time", "end_time", "duration")  # of the run and of each cell


def _same_record(nb: nbformat.NotebookNode, notebook: Path, output: Path) -> None:
    """papermill's record in nb made the same bytes for the same run: without its times, and with the notebooks'
    names where it recorded the temporary file it wrote and a whole copy of the notebook it was handed."""
    nb.metadata.papermill.update(input_path=notebook.name, output_path=output.name)
    for record in (nb.metadata.papermill, *(cell.metadata.get("papermill", {}) for cell in nb.cells)):
        for name in PAPERMILL_TIMES:
            record.pop(name, None)


def _mark_dead(executed: Path, error: str) -> None:
    """Show the kernel's death in the cell that was running, as papermill shows a cell's error."""
    nb = nbformat.read(executed, as_version=4)
    started = [cell for cell in nb.cells if cell.metadata.get("papermill", {}).get("start_time")]
    if started:
        started[-1].metadata.papermill.status = "failed"
        started[-1].outputs.append(nbformat.v4.new_output("error", ename="DeadKernelError", evalue=error, traceback=[error]))
    nb.metadata.papermill.exception = True
    nbformat.write(nb, executed)


_ONE_RECORD = threading.Lock()  # one run's Trace alive at a time: training 100 000 epochs takes some 70 MB at its peak


def _outcome(config: Config, points: int) -> Outcome:
    """A run's summary numbers from hnn, not from its notebook (which prints 6 decimals): one run trained at a time,
    and at most `points` of its loss curve kept, so that the sweep's memory is bounded whatever the runs and epochs."""
    with _ONE_RECORD:
        trace = train(config)
        return Outcome(trace.final, plots.envelope(trace.losses(), points))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _summary_csv(runs: list[Job], outcomes: dict, errors: dict) -> bytes:
    """One row per run: its notebook, the swept parameters, its status, and the trained network's numbers: its loss,
    outputs and parameters."""
    swept = list(dict.fromkeys(name for run in runs for name in run.parameters))
    graph = runs[0].config.graph
    reported = [*(output for output, _ in plots.outputs(graph)), *graph.parameters]
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["notebook", *swept, "status", "final_loss", *(f"final_{name}" for name in reported)])
    for run in runs:
        status = _status(run, errors)
        f = outcomes[run.name].final if status == "ok" else None
        finals = [f.loss, *(f[name] for name in reported)] if f else [""] * (1 + len(reported))  # no result shown
        writer.writerow([f"{run.name}.ipynb", *(run.values[name] for name in swept), status, *finals])
    return text.getvalue().encode("utf-8")


def _status(run: Job, errors: dict) -> str:
    if run.name not in errors or errors[run.name] == "stopped":
        return "stopped"
    return "failed" if errors[run.name] else "ok"


def _summary_png(runs: list[Job], outcomes: dict, errors: dict) -> bytes:
    """Every finished run's loss curve on one axis, labelled by the parameters that differ between runs."""
    swept = dict.fromkeys(name for run in runs for name in run.parameters)
    varying = [name for name in swept if len({run.values[name] for run in runs}) > 1]
    same = ", ".join(f"{name}={runs[0].values[name]}" for name in swept if name not in varying)
    finished = [run for run in runs if _status(run, errors) == "ok"]
    curves = [
        # Each run by what its own set gives, of what varies: a list-form file's runs each name only their own values.
        (", ".join(f"{name}={run.values[name]}" for name in run.parameters if name in varying) or run.name,
         *outcomes[run.name].curve) for run in finished
    ]
    left_out = len(runs) - len(finished)
    notes = [same] * bool(same) + [f"{left_out} failed or stopped run{'s' * (left_out > 1)} left out"] * bool(left_out)
    return plots.png(plots.loss_curves(curves, "Loss per epoch" + (f" ({'; '.join(notes)})" if notes else "")))
