"""`hnn sweep`: the walkthrough notebook executed once per parameter set with papermill, and a summary of every run."""
from __future__ import annotations

import ast
import csv
import io
import itertools
import json
import os
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import NamedTuple

import nbformat
import papermill
import yaml
from jupyter_core.utils import ensure_event_loop
from tqdm import tqdm

from hnn import plots
from hnn.config import Config
from hnn.files import create, directory, write_atomically
from hnn.notebook import setup
from hnn.training import train_many

# In a source checkout (pip install -e .) the notebooks folder sits beside the package; a wheel does not ship it.
NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "hacking_neural_networks.ipynb"
KERNEL_QUIET = ["--IPKernelApp.log_level=CRITICAL"]  # the kernel's own log (a TCP warning at each start) is noise; cell errors come via papermill


class Job(NamedTuple):
    """One execution of the notebook."""

    name: str  # its parameters, e.g. learning_rate=0.1,epochs=50: the output notebook's name and the plot's label
    parameters: dict  # what papermill injects: the set's own values, as Config coerced them ("1e-3" → 0.001)
    values: dict  # every notebook parameter as this run uses it, for summary.csv
    config: Config


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
        data = yaml.safe_load(params_file.read_text(encoding="utf-8"))
    except OSError as error:
        raise ValueError(f"cannot read --params-file {params_file}: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise ValueError(f"--params-file {params_file} is not valid YAML: {' '.join(str(error).split())}") from None
    if isinstance(data, dict):  # a grid: name → value or list of values
        return _grid({name: values if isinstance(values, list) else [values] for name, values in data.items()})
    if isinstance(data, list) and all(isinstance(run, dict) for run in data):  # one mapping per run
        return data
    raise ValueError(f"--params-file {params_file} must hold a list of mappings (one per run) or a mapping of name to values (a grid)")


def _scalar(text: str):
    """A command-line value as papermill's -p reads it: a whole number, else a number, else the text."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _grid(grid: dict) -> list[dict]:
    """Every combination of the values, the first parameter varying slowest."""
    return [dict(zip(grid, values)) for values in itertools.product(*grid.values())]


def notebook_path(notebook: Path | None) -> Path:
    """The notebook to run: --notebook, else the walkthrough beside the package."""
    if notebook is None and not NOTEBOOK.exists():
        raise ValueError(f"the walkthrough notebook is not at {NOTEBOOK} (hnn is not installed from a source checkout); pass --notebook PATH")
    path = (notebook or NOTEBOOK).resolve()
    if not path.is_file():
        raise ValueError(f"--notebook {notebook} does not exist")
    return path


def notebook_defaults(notebook: Path) -> dict:
    """The notebook's parameters and their values, read from the cell tagged `parameters` that papermill overrides."""
    cells = [cell for cell in nbformat.read(notebook, as_version=4).cells if "parameters" in cell.metadata.get("tags", [])]
    if not cells:
        raise ValueError(f"{notebook} has no cell tagged 'parameters' for papermill to override")
    defaults = {}
    for node in ast.parse(cells[0].source).body:  # literal_eval, not exec: reading the values runs no code
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            target = node.target if isinstance(node, ast.AnnAssign) else node.targets[0]
            defaults[target.id] = ast.literal_eval(node.value)
    return defaults


def plan(sets: list[dict], defaults: dict) -> list[Job]:
    """Every set checked as the notebook checks it (hnn.notebook.setup), before anything runs; ValueError names the first bad one."""
    if not sets:
        raise ValueError("the sweep has no runs: a parameter has an empty list of values")
    runs, names = [], set()
    for given in sets:
        unknown = [name for name in given if name not in defaults]
        if unknown:
            raise ValueError(f"unknown parameter {unknown[0]!r}; accepted: {', '.join(defaults)}")
        values = {**defaults, **given}
        config, _ = setup(**values)
        values.update(config.to_dict())
        parameters = {name: values[name] for name in given}
        # Safe as a file name and unambiguous: the values are checked numbers, activation and view names, and whole
        # numbers, none of which contains '/', ',' or '='.
        name = ",".join(f"{key}={value}" for key, value in parameters.items()) or "defaults"
        if name in names:
            raise ValueError(f"two parameter sets are the same run: {name}")
        names.add(name)
        runs.append(Job(name, parameters, values, config))
    return runs


def sweep(params: list[str] | None, params_file: Path | None, out: Path, notebook: Path | None = None, force: bool = False) -> int:
    """Execute the notebook once per run into out, then write summary.csv and summary.png; 1 if any run failed."""
    notebook = notebook_path(notebook)
    runs = plan(parameter_sets(params, params_file), notebook_defaults(notebook))
    out = directory(out)
    outputs = [out / f"{run.name}.ipynb" for run in runs] + [out / "summary.csv", out / "summary.png"]
    existing = [path for path in outputs if os.path.lexists(path)]
    if existing and not force:
        more = f" (and {len(existing) - 1} more of this sweep's files)" if len(existing) > 1 else ""
        raise ValueError(f"{existing[0]} already exists{more}; pass --force to overwrite")
    create(out)
    # The summary's numbers come from hnn, not from the executed notebooks: those print 6 decimals, a Trace has every
    # bit. train_many does each run's arithmetic as the notebook's hnn.train does (tests/test_sweep.py checks both).
    traces = train_many([run.config for run in runs])
    errors = _execute_all(notebook, out, runs)
    write_atomically(out / "summary.csv", _summary_csv(runs, traces, errors))
    write_atomically(out / "summary.png", _summary_png(runs, traces, errors))
    failed = sum(error is not None for error in errors.values())
    print(f"{len(runs)} runs, {failed} failed: {out / 'summary.csv'}, {out / 'summary.png'}")
    return 1 if failed else 0


def _execute_all(notebook: Path, out: Path, runs: list[Job]) -> dict[str, str | None]:
    """Every run, as many at once as there are cores; a line on stderr as each finishes, and a bar on a terminal."""
    errors = {}
    # Threads are enough: each run computes in its own kernel process, and a thread only waits for it.
    with ThreadPoolExecutor(min(os.cpu_count() or 1, len(runs))) as pool, tqdm(
        total=len(runs), unit="run", file=sys.stderr, disable=None  # None: no bar unless stderr is a terminal
    ) as bar:
        futures = {pool.submit(_execute, notebook, out / f"{run.name}.ipynb", run.parameters): run for run in runs}
        try:
            for future in as_completed(futures):
                name = futures[future].name
                try:
                    errors[name] = future.result()
                except Exception as error:  # the kernel did not start or died: there is no executed notebook
                    errors[name] = _one_line(f"{type(error).__name__}: {error}")
                bar.write(f"hnn sweep: {name}: {'failed: ' + errors[name] if errors[name] else 'done'}", file=sys.stderr)
                bar.update()
        except KeyboardInterrupt:  # Ctrl-C: the runs under way finish, no other starts
            pool.shutdown(cancel_futures=True)
            raise
    return errors


def _execute(notebook: Path, output: Path, parameters: dict) -> str | None:
    """Run the notebook with papermill, its kernel in the notebook's folder; the error in one line if a cell raised."""
    loop = ensure_event_loop()  # this thread's loop, which papermill's kernel client runs on; nothing else closes it
    with tempfile.TemporaryDirectory(prefix="hnn-sweep-") as folder:
        executed = Path(folder) / output.name
        try:
            papermill.execute_notebook(
                with_parameters(notebook, parameters), executed, progress_bar=False, extra_arguments=KERNEL_QUIET,
                # The kernel starts in the notebook's folder, as in JupyterLab. Not papermill's cwd=: that would chdir
                # this whole process, under the other runs' threads.
                resources={"metadata": {"path": str(notebook.parent)}},
            )
            error = None
        except papermill.PapermillExecutionError as failure:  # papermill saved the notebook, which shows where it failed
            error = _one_line(f"{failure.ename}: {failure.evalue}")
        finally:
            loop.close()
        nb = nbformat.read(executed, as_version=4)
        nb.metadata.papermill.output_path = str(output)  # papermill recorded the temporary file
        write_atomically(output, nbformat.writes(nb).encode("utf-8"))
    return error


def with_parameters(notebook: Path, parameters: dict) -> nbformat.NotebookNode:
    """The notebook with these values written into its parameters cell, comments kept, instead of the cell papermill
    would inject below it: that cell would override the one a student edits, and they would get the variant's values."""
    nb = nbformat.read(notebook, as_version=4)
    cell = next(cell for cell in nb.cells if "parameters" in cell.metadata.get("tags", []))
    lines = cell.source.split("\n")
    assignments = [node for node in ast.parse(cell.source).body if isinstance(node, (ast.Assign, ast.AnnAssign))]
    for node in reversed(assignments):  # from the end, so that the positions of the earlier ones stay right
        name = (node.target if isinstance(node, ast.AnnAssign) else node.targets[0]).id
        if name in parameters:  # each value is one literal on its line, as notebook_defaults reads it
            value, line = node.value, lines[node.value.lineno - 1]
            literal = json.dumps(parameters[name]) if isinstance(parameters[name], str) else repr(parameters[name])
            lines[value.lineno - 1] = _replace_utf8(line, value.col_offset, value.end_col_offset, literal)
    cell.source = "\n".join(lines)
    return nb


def _replace_utf8(line: str, start: int, end: int, text: str) -> str:
    """The line with bytes start:end replaced: ast counts columns in UTF-8 bytes, and a comment may hold a '≈'."""
    data = line.encode("utf-8")
    return (data[:start] + text.encode("utf-8") + data[end:]).decode("utf-8")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _summary_csv(runs: list[Job], traces, errors: dict) -> bytes:
    """One row per run: its notebook, the swept parameters, its status, and the trained network's numbers."""
    swept = list(dict.fromkeys(name for run in runs for name in run.parameters))
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["notebook", *swept, "status", "final_loss", "final_o", "final_w1", "final_w2", "final_b"])
    for run, trace in zip(runs, traces):
        f = trace.final
        finals = [""] * 5 if errors[run.name] else [f.loss, f.o, f.w1, f.w2, f.b]  # a failed run showed no result
        writer.writerow([f"{run.name}.ipynb", *(run.values[name] for name in swept), "failed" if errors[run.name] else "ok", *finals])
    return text.getvalue().encode("utf-8")


def _summary_png(runs: list[Job], traces, errors: dict) -> bytes:
    """Every finished run's loss curve on one axis, labelled by the parameters that differ between runs."""
    swept = dict.fromkeys(name for run in runs for name in run.parameters)
    varying = [name for name in swept if len({run.values[name] for run in runs}) > 1]
    same = ", ".join(f"{name}={runs[0].values[name]}" for name in swept if name not in varying)
    finished = [(run, trace) for run, trace in zip(runs, traces) if not errors[run.name]]
    # Each run by what its own set gives, of what varies: a list-form file's runs each name only their own values.
    curves = [(", ".join(f"{name}={run.values[name]}" for name in run.parameters if name in varying) or run.name, trace)
              for run, trace in finished]
    left_out = len(runs) - len(finished)
    notes = [same] * bool(same) + [f"{left_out} failed run{'s' * (left_out > 1)} left out"] * bool(left_out)
    return plots.png(plots.loss_curves(curves, "Loss per epoch" + (f" ({'; '.join(notes)})" if notes else "")))
