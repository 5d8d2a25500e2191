"""`make bench`: how fast hnn is, each figure a ratio to a floor timed in the same run; prints a table, writes JSON.

Absolute times drift on a shared machine; a ratio to a floor timed in the same minutes drifts far less. Every time is
the median of REPEATS runs after one warm-up run, and the notebook runs take turns (floor, default, long, floor, …),
so that a busy spell slows all three alike. The table is Markdown: benchmarks/README.md is a copy of it.

    python benchmarks/run.py                     # everything (~10 minutes on 2 cores), then benchmarks/results.json
    python benchmarks/run.py diagrams explorer   # some of: notebooks explorer hidden diagrams writing stepper playground
                                                 # warm imports memory grading tests; prints, writes nothing
"""
from __future__ import annotations

import datetime
import io
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pygraphviz
import torch
from nbformat.v4 import new_code_cell, new_notebook

import hnn
from hnn.training import one_thread
from hnn.views.diagram import network
from hnn.views.render import render

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "hacking_neural_networks.ipynb"
RESULTS = ROOT / "benchmarks" / "results.json"
REPEATS = 5  # timed runs of every figure that has a target, each after one warm-up run
LONG = 10_000  # epochs of the long notebook run
MB = 1e6
# Appended to each warm-up run: the kernel is this process, so its peak resident memory is ru_maxrss (KiB on Linux).
PEAK_RSS = "import resource\nprint(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"


def seconds(job, repeats: int = REPEATS, warm_up: bool = True) -> list[float]:
    """Wall times of `repeats` runs of job, after one untimed run (imports, page cache, fontconfig's cache)."""
    if warm_up:
        job()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        job()
        times.append(time.perf_counter() - start)
    return times


def row(figure, measured, floor=None, ratio=None, target=None, met=None, **raw) -> dict:
    """One line of the table, as text, with the raw numbers behind it for the JSON."""
    verdict = "" if met is None else ("met" if met else "**missed**")
    return {"figure": figure, "measured": measured, "floor": floor or "", "ratio": ratio or "", "target": target or "",
            "verdict": verdict, "met": met, **raw}


def papermill(notebook: Path, out: Path, *parameters: str) -> None:
    """`papermill` as `make run` calls it: the kernel in notebooks/, no progress bar."""
    command = [sys.executable, "-m", "papermill", "--cwd", str(NOTEBOOK.parent), "--no-progress-bar",
               *parameters, str(notebook), str(out)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"benchmark run failed: {' '.join(command)}\n{done.stderr[-3000:]}")


def notebooks() -> list[dict]:
    """Papermill on the default notebook and with epochs=10000, against a notebook that only imports torch."""
    with tempfile.TemporaryDirectory(prefix="hnn-bench-") as folder:
        folder = Path(folder)
        floor = folder / "floor.ipynb"
        floor_cells = [new_code_cell("epochs = 10", metadata={"tags": ["parameters"]}), new_code_cell("import torch")]
        nbformat.write(new_notebook(cells=floor_cells, metadata=nbformat.read(NOTEBOOK, 4).metadata), floor)
        runs = {"floor": (floor, ()), "default": (NOTEBOOK, ()), "long": (NOTEBOOK, ("-p", "epochs", str(LONG)))}
        peak = {}
        for name, (notebook, parameters) in runs.items():  # the warm-up runs also read the kernel's peak memory
            probe = nbformat.read(notebook, 4)
            probe.cells.append(new_code_cell(PEAK_RSS))
            nbformat.write(probe, folder / f"{name}.probe.ipynb")
            papermill(folder / f"{name}.probe.ipynb", folder / f"{name}.probe.out.ipynb", *parameters)
            peak[name] = 1024 * int(nbformat.read(folder / f"{name}.probe.out.ipynb", 4).cells[-1].outputs[0].text)
        times, cells = {name: [] for name in runs}, {name: [] for name in runs}
        for _ in range(REPEATS):  # in turns, so that a busy spell on the machine slows all three alike
            for name, (notebook, parameters) in runs.items():
                times[name] += seconds(lambda: papermill(notebook, folder / f"{name}.ipynb", *parameters), 1, False)
                cells[name].append(cell_seconds(folder / f"{name}.ipynb"))
        size = (folder / "long.ipynb").stat().st_size
    floor, default, long = (statistics.median(times[name]) for name in runs)
    where = [row("Floor's cell `import torch`", f"{statistics.median(c['import torch'] for c in cells['floor']):.2f} s")]
    for source in cells["default"][0]:  # the walkthrough's cells, in order
        default_cell, long_cell = (statistics.median(c[source] for c in cells[name]) for name in ("default", "long"))
        lines = source.splitlines()
        label = f"`{lines[0]}`" + (f" … `{lines[-1]}`" if len(lines) > 1 else "")
        where.append(row(f"Cell {label}", f"{default_cell:.2f} s · {long_cell:.2f} s at epochs={LONG}"))
    return [
        row("Notebook, default parameters (papermill)", f"{default:.2f} s", f"{floor:.2f} s: a notebook that only imports torch",
            f"{default / floor:.2f}×", "≤ 1.3×", default / floor <= 1.3, seconds=times["default"], floor_seconds=times["floor"]),
        row(f"Notebook, epochs={LONG}", f"{long:.2f} s", f"{default:.2f} s: the default run", f"{long / default:.2f}×",
            "≤ 1.5×", long / default <= 1.5, seconds=times["long"], floor_seconds=times["default"]),
        row(f"Notebook, epochs={LONG}: output .ipynb", f"{size / MB:.2f} MB", target="≤ 2 MB", met=size <= 2 * MB, bytes=size),
        row("Notebook kernel's peak memory, default parameters", f"{peak['default'] / MB:.0f} MB",
            f"{peak['floor'] / MB:.0f} MB: the torch-only kernel", f"{peak['default'] / peak['floor']:.2f}×",
            bytes=peak["default"]),
        row(f"Notebook kernel's peak memory, epochs={LONG}", f"{peak['long'] / MB:.0f} MB",
            f"{peak['floor'] / MB:.0f} MB: the torch-only kernel", f"{peak['long'] / peak['floor']:.2f}×", bytes=peak["long"]),
        *where,
    ]


def cell_seconds(path: Path) -> dict[str, float]:
    """How long each code cell ran, by its source, as papermill records it; the parameters cells only assign."""
    return {
        cell.source: cell.metadata.papermill.duration
        for cell in nbformat.read(path, 4).cells
        if cell.cell_type == "code" and not {"parameters", "injected-parameters"} & set(cell.metadata.get("tags", []))
    }


def explorer() -> list[dict]:
    """200 learning rates × 100 epochs: one batched train_many against a Python loop of hnn.train."""
    configs = hnn.configs(learning_rate=[0.01 * k for k in range(1, 201)], epochs=100)
    batched, loop = hnn.train_many(configs), [hnn.train(c) for c in configs]  # the warm-up: the same numbers both ways
    assert all(abs(b.final.loss - s.final.loss) <= 1e-12 for b, s in zip(batched, loop)), "batched and single runs differ"
    batched = seconds(lambda: hnn.train_many(configs), warm_up=False)
    loop = seconds(lambda: [hnn.train(c) for c in configs], warm_up=False)
    fast, slow = statistics.median(batched), statistics.median(loop)
    rows = [row("Learning-rate explorer: 200 rates × 100 epochs, batched", f"{fast * 1000:.0f} ms",
                f"{slow:.2f} s: a loop of hnn.train", f"{slow / fast:.0f}× faster", "≥ 50× faster", slow / fast >= 50,
                seconds=batched, floor_seconds=loop)]
    # What epochs=10000 adds to the notebook: the walkthrough's run and the explorer's 200, each against the least
    # a loop of autograd steps over the same runs costs.
    walkthrough = [hnn.Config(epochs=LONG)]
    rates = [10 ** (-3 + 4 * i / 199) for i in range(200)]  # as hnn.notebook.show_learning_rates
    for label, runs, record in (("walkthrough's run (hnn.train)", walkthrough, True),
                                ("explorer's 200 runs (final passes only)", hnn.configs(walkthrough[0], learning_rate=rates),
                                 False)):
        trained = seconds(lambda: hnn.train_many(runs, record=record), 3, warm_up=False)
        bare = seconds(lambda: bare_autograd(runs), 3, warm_up=False)
        each, least = statistics.median(trained), statistics.median(bare)
        rows.append(row(f"epochs={LONG}, the {label}", f"{each:.2f} s",
                        f"{least:.2f} s: forward, autograd, update, nothing checked or kept", f"{each / least:.2f}×",
                        seconds=trained, floor_seconds=bare))
    return rows


def bare_autograd(configs) -> None:
    """The floor of training the walkthrough's tanh neuron: its forward pass and loss written out in torch,
    torch.autograd.grad and the update, on one thread as hnn trains; nothing recorded or checked."""
    def column(name):
        return torch.tensor([getattr(c, name) for c in configs], dtype=torch.float64)

    x1, x2, w1, w2, b = (column(name).requires_grad_() for name in ("x1", "x2", "w1", "w2", "b"))
    target, learning_rate = column("target"), column("learning_rate")
    with one_thread():
        for _ in range(configs[0].epochs):
            L = 0.5 * (torch.tanh(x1 * w1 + x2 * w2 + b) - target) ** 2
            grads = torch.autograd.grad(L, (w1, w2, b, x1, x2), grad_outputs=torch.ones_like(L))
            with torch.no_grad():
                w1, w2, b = (p - learning_rate * g for p, g in zip((w1, w2, b), grads))
            w1, w2, b = (p.requires_grad_() for p in (w1, w2, b))


def bare_hidden_layer(epochs: int) -> None:
    """The floor of training Mazur's 2-2-2 sigmoid network: its forward pass and loss written out in torch,
    torch.autograd.grad and the update; nothing recorded or checked."""
    start = dict(w1=0.15, w2=0.20, w3=0.25, w4=0.30, w5=0.40, w6=0.45, w7=0.50, w8=0.55)
    w = {name: torch.tensor([value], dtype=torch.float64, requires_grad=True) for name, value in start.items()}
    x1, x2 = (torch.tensor([v], dtype=torch.float64, requires_grad=True) for v in (0.05, 0.10))
    for _ in range(epochs):
        h1 = torch.sigmoid(w["w1"] * x1 + w["w2"] * x2 + 0.35)
        h2 = torch.sigmoid(w["w3"] * x1 + w["w4"] * x2 + 0.35)
        o1 = torch.sigmoid(w["w5"] * h1 + w["w6"] * h2 + 0.60)
        o2 = torch.sigmoid(w["w7"] * h1 + w["w8"] * h2 + 0.60)
        L = 0.5 * (0.01 - o1) ** 2 + 0.5 * (0.99 - o2) ** 2
        grads = torch.autograd.grad(L, [*w.values(), x1, x2], grad_outputs=torch.ones_like(L))
        with torch.no_grad():
            w = {name: (p - 0.5 * g).requires_grad_() for (name, p), g in zip(w.items(), grads)}


def hidden_layer() -> list[dict]:
    """Mazur's 2-2-2 network trained by hnn, every epoch recorded and checked, against the bare loop above."""
    sys.path.insert(0, str(ROOT))
    from tests.networks import two_two_two  # a network written as a student writes one

    rows = []
    for epochs, repeats in ((10, REPEATS), (10_000, 3)):
        config = hnn.Config(two_two_two, learning_rate=0.5, epochs=epochs)
        trained = seconds(lambda: hnn.train(config), repeats)
        bare = seconds(lambda: bare_hidden_layer(epochs), repeats)
        each, least = statistics.median(trained), statistics.median(bare)
        rows.append(row(f"A 2-2-2 network, {epochs} epochs (hnn.train)", f"{each * 1000:.0f} ms",
                        f"{least * 1000:.0f} ms: forward, autograd, update, nothing checked or kept",
                        f"{each / least:.2f}×", seconds=trained, floor_seconds=bare))
    return rows


AE0 = (ROOT / "diagrams" / "ae0.gv").read_text(encoding="utf-8")


def bare_render(count: int) -> None:
    """The floor: `count` bare in-process SVG renders of diagrams/ae0.gv with pygraphviz, nothing done to them."""
    for _ in range(count):
        pygraphviz.AGraph(string=AE0).draw(format="svg", prog="dot")


def diagrams() -> list[dict]:
    """hnn.views.diagram.render on 11 diagrams (the default run's ae0 … ae10) and 1 000, against bare renders of ae0."""
    rows = []
    for count, bare_runs, repeats, warm_up in ((11, 11, REPEATS, True), (1000, 100, 3, False)):
        trace = hnn.train(hnn.Config(epochs=count - 1))
        sources = [network(trace, k).source for k in range(count)]
        floor = seconds(lambda: bare_render(bare_runs), repeats, warm_up)
        formats = ("svg", "png") if count == 11 else ("svg",)  # PNG: ~0.15 s a diagram, minutes at 1 000
        for fmt in formats:
            times = seconds(lambda: render(sources, fmt), repeats, warm_up)
            each, bare = statistics.median(times) / count, statistics.median(floor) / bare_runs
            how = "in-process" if fmt == "svg" else "in-process, 64-colour palette on the other cores"
            target = {"target": "≤ 2×", "met": each / bare <= 2} if (count, fmt) == (11, "svg") else {}
            rows.append(row(f"{count} diagrams, {fmt.upper()} ({how})", f"{each * 1000:.1f} ms a diagram",
                            f"{bare * 1000:.1f} ms: a bare SVG render of ae0", f"{each / bare:.2f}×", **target,
                            seconds=times, floor_seconds=floor))
    return rows


LONGEST = 100_000  # epochs: the most a run takes
# Run in a fresh interpreter after the code measured: its own peak resident memory and its children's, in KiB. Its own
# is VmHWM, not ru_maxrss, which also counts the process that started it, as it was when it did (Linux keeps the larger
# of the two across exec): this one. A child's is at least what its parent held then: the sweep's, for its kernel.
PEAKS = """import resource, sys
own = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(own, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)"""


def peaks(code: str, **run) -> tuple[int, int, float]:
    """Peak resident bytes of a fresh Python running code, and of the largest child it waited for; and its seconds."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", f"{code}\n{PEAKS}"], stderr=subprocess.PIPE, text=True, **run)
    elapsed = time.perf_counter() - start
    if done.returncode:
        sys.exit(f"benchmark run failed: {code}\n{done.stderr[-3000:]}")
    own, children = map(int, done.stderr.split()[-2:])
    return 1024 * own, 1024 * children, elapsed


def memory() -> list[dict]:
    """Peak memory of the longest run, printed as JSON, and of a sweep of it, against a process that only imports torch."""
    floor, _, _ = peaks("import torch")
    cli = "from hnn.cli import main\nassert not main({})"
    run, _, run_seconds = peaks(cli.format(["run", "--epochs", str(LONGEST), "--json"]), stdout=subprocess.DEVNULL)
    with tempfile.TemporaryDirectory(prefix="hnn-bench-") as folder:  # the kernel is the sweep's child
        sweep, kernel, sweep_seconds = peaks(cli.format(["sweep", "--param", f"epochs={LONGEST}", "--out", f"{folder}/sweep"]),
                                             stdout=subprocess.DEVNULL)
    against = f"{floor / MB:.0f} MB: a process that only imports torch"
    return [
        row(f"`hnn run --epochs {LONGEST} --json > /dev/null`: peak memory", f"{run / MB:.0f} MB", against,
            f"{run / floor:.2f}×", "≤ 400 MB", run <= 400 * MB, bytes=run, floor_bytes=floor),
        row(f"`hnn run --epochs {LONGEST} --json > /dev/null`: time", f"{run_seconds:.1f} s", seconds=[run_seconds]),
        row(f"`hnn sweep --param epochs={LONGEST}`: the sweep process's peak memory", f"{sweep / MB:.0f} MB", against,
            f"{sweep / floor:.2f}×", "≤ 400 MB", sweep <= 400 * MB, bytes=sweep, floor_bytes=floor, seconds=[sweep_seconds]),
        row(f"`hnn sweep --param epochs={LONGEST}`: its notebook kernel's peak memory", f"{kernel / MB:.0f} MB", against,
            f"{kernel / floor:.2f}×", bytes=kernel, floor_bytes=floor),
    ]


def writing() -> list[dict]:
    """`hnn diagrams --format svg` for 201 and 6 001 diagrams (three drawing children of 2 000): its peak memory, against
    the same training alone, and its time."""
    rows = []
    for epochs in (200, 6000):
        trained, _, _ = peaks(f"import hnn; hnn.train(hnn.Config(epochs={epochs}))")
        with tempfile.TemporaryDirectory(prefix="hnn-bench-") as out:
            own, children, elapsed = peaks("from hnn.cli import main\nassert not main({})".format(
                ["diagrams", "--epochs", str(epochs), "--format", "svg", "--out", out]))
        peak = max(own, children)  # the command, or the largest of its drawing children
        rows.append(row(f"`hnn diagrams --format svg`, {epochs + 1:,} diagrams: peak memory", f"{peak / MB:.0f} MB",
                        f"{trained / MB:.0f} MB: the same training alone", f"+{(peak - trained) / MB:.0f} MB",
                        "≤ +50 MB, whatever the count", peak - trained <= 50 * MB, bytes=peak, floor_bytes=trained))
        rows.append(row(f"`hnn diagrams --format svg`, {epochs + 1:,} diagrams: time", f"{elapsed:.1f} s",
                        seconds=[elapsed]))
    return rows


def tests() -> list[dict]:
    """`make test` after set-up (`make bench` has done it): the whole pytest run (browser tests, nbval), once."""
    start = time.perf_counter()
    done = subprocess.run(["make", "--no-print-directory", "test"], cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    summary = done.stdout.strip().splitlines()[-1].strip("= ") if done.stdout.strip() else done.stderr.strip()[-200:]
    return [row(f"`make test` after set-up ({summary})", f"{elapsed:.0f} s", target="≤ 120 s on 2 cores",
                met=elapsed <= 120, seconds=[elapsed], exit_status=done.returncode)]


STEPS = 150  # Next presses timed in the stepper, about one default run's frames

# In the page: press Next STEPS times; each time, from the click until the new frame is in the DOM and painted.
NEXT_JS = """async (steps) => {
    const next = document.querySelector('.hnn-stepper [data-do=next]');
    const where = document.querySelector('.hnn-stepper .hnn-where');
    const times = [];
    for (let i = 0; i < steps; i++) {
        const before = where.textContent, start = performance.now();
        next.click();
        if (where.textContent === before) throw new Error('Next drew no new frame at step ' + i);
        await new Promise((painted) => requestAnimationFrame(() => setTimeout(painted)));
        times.push(performance.now() - start);
    }
    return times;
}"""


def stepper() -> list[dict]:
    """The training stepper in chromium, as in the offline handout: Next → new frame drawn, median over STEPS."""
    sys.path.insert(0, str(ROOT))  # the tests' stepper data: a tagged network diagram and replayed frames
    from hnn.notebook.stepper import standalone_html
    from tests.browser import chromium_page
    from tests.stepper_data import frames, tagged_svg

    data = frames(epochs=STEPS // 5)  # five frames an epoch, then the trained network
    state = {"svg": tagged_svg(), "frames": data, "index": 0, "label": "Step through training"}
    with tempfile.TemporaryDirectory(prefix="hnn-bench-") as folder, chromium_page(1280, 720) as page:
        path = Path(folder) / "stepper.html"
        path.write_text(f"<!DOCTYPE html>\n<meta charset='utf-8'>\n{standalone_html('bench', state)}", encoding="utf-8")
        page.goto(path.as_uri())
        page.wait_for_selector(".hnn-stepper")
        page.evaluate(NEXT_JS, 5)  # warm-up: the first frames also compile the drawing code
        page.evaluate("() => { for (let i = 0; i < 5; i++) document.querySelector('[data-do=previous]').click(); }")
        times = page.evaluate(NEXT_JS, min(STEPS, len(data) - 1))
    median = statistics.median(times)
    return [row(f"Stepper: Next → new frame drawn ({len(times)} steps of {len(data)} frames, chromium)",
                f"{median:.1f} ms", target="≤ 50 ms", met=median <= 50, milliseconds=times)]


def svg_floor(repeats: int = 20) -> list[float]:
    """The floor of the interactive figures: one in-process SVG render of the committed diagrams/ae0.gv."""
    import pygraphviz

    source = (ROOT / "diagrams" / "ae0.gv").read_text()
    return seconds(lambda: pygraphviz.AGraph(string=source).draw(format="svg", prog="dot"), repeats)


def playground() -> list[dict]:
    """One playground update (retraining and every redraw, kernel side) and hnn.train against train_many for it; then
    the same in chromium and JupyterLab, from a typed value to the new numbers and charts drawn."""
    from hnn.notebook.playground import Playground

    floor = statistics.median(svg_floor())
    shown = Playground()
    rows, kernel = [], {}
    for epochs in (10, 1000):
        rates = iter([0.01, 0.02] * (REPEATS + 1))  # a new value each time, so that every update retrains
        times = seconds(lambda: shown.restore(hnn.Config(epochs=epochs, learning_rate=next(rates))))
        each = statistics.median(times)
        target = {"target": "≤ 30×", "met": each / floor <= 30} if epochs == 10 else {}
        rows.append(row(f"Playground update, epochs={epochs} (retrain, stepper frames, charts, numbers)",
                        f"{each * 1000:.0f} ms", f"{floor * 1000:.1f} ms: one in-process SVG of diagrams/ae0.gv",
                        f"{each / floor:.1f}×", **target, seconds=times, floor_seconds=[floor]))
        single = statistics.median(seconds(lambda: hnn.train(hnn.Config(epochs=epochs))))
        batched = statistics.median(seconds(lambda: hnn.train_many([hnn.Config(epochs=epochs)])))
        rows.append(row(f"One run of {epochs} epochs: hnn.train · train_many([config])",
                        f"{single * 1000:.0f} ms · {batched * 1000:.0f} ms"))
        kernel[epochs] = each
    for epochs, times in playground_in_browser().items():  # the kernel's side above is their floor
        each, limit = statistics.median(times), {10: 100, 1000: 250}[epochs]
        rows.append(row(f"Playground in chromium, epochs={epochs}: Enter in a field → new numbers and charts drawn"
                        f" ({len(times)} edits, JupyterLab)", f"{each:.0f} ms",
                        f"{kernel[epochs] * 1000:.0f} ms: the kernel's side (above)", f"{each / 1000 / kernel[epochs]:.1f}×",
                        f"≤ {limit} ms", each <= limit, milliseconds=times))
    return rows


EDITS = 11  # typed values timed in the browser at each length of run, after one untimed
REGION = ".jp-NotebookPanel [role=region][aria-label=Playground]"
# In the page: what the playground shows, to tell the new run's views from the last one's.
SHOWN_JS = f"""() => {{ const region = document.querySelector('{REGION}');
    return [region.querySelector('.hnn-loss').closest('p').textContent,
            region.querySelector('svg[aria-label^="Loss per epoch"] polyline:last-of-type').getAttribute('points')]; }}"""
# From the Enter that commits a field (a listener ahead of the page's own) until both have changed and are painted.
ENTER_JS = ("document.addEventListener('keydown', (e) => { if (e.key === 'Enter') window.hnnEnter = performance.now(); },"
            " true);")
DRAWN_JS = f"""async (before) => {{
    const shown = {SHOWN_JS};
    while (shown().some((view, i) => view === before[i])) await new Promise((later) => setTimeout(later, 1));
    await new Promise((painted) => requestAnimationFrame(() => setTimeout(painted)));
    return performance.now() - window.hnnEnter;
}}"""


def playground_in_browser() -> dict[int, list[float]]:
    """notebooks/playground.ipynb run in JupyterLab and driven in chromium, as a student does: a learning rate typed
    and Enter pressed, EDITS times at 10 epochs and at 1000; milliseconds until the page shows the new run."""
    import shutil

    sys.path.insert(0, str(ROOT))
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    from tests.browser import STATE_JS, chromium_page, jupyterlab, menu, wait_until

    notebook = ROOT / "notebooks" / "playground.ipynb"
    with tempfile.TemporaryDirectory(prefix="hnn-bench-") as folder:
        folder = Path(folder)
        (folder / "root").mkdir()
        shutil.copyfile(notebook, folder / "root" / notebook.name)
        with jupyterlab(folder, folder / "root") as lab, chromium_page(1366, 768) as page:
            page.add_init_script(ENTER_JS)
            page.goto(lab["url"](notebook.name))
            page.wait_for_selector(".jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status=idle]")
            for _ in range(5):  # Run All before the kernel has a session does nothing: again, until the widget shows
                menu(page, "Run", "Run All Cells")
                try:  # on a busy machine JupyterLab may ask which kernel first: the one it offers
                    page.locator(".jp-Dialog").get_by_role("button", name="Select", exact=True).click(timeout=5_000)
                except PlaywrightTimeout:  # it did not ask
                    pass
                if wait_until(page, f"() => document.querySelector('{REGION}') !== null", 60_000):
                    break
            if not wait_until(page, f"() => ({STATE_JS})().status === 'idle' && document.querySelector('{REGION} .hnn-loss')",
                              300_000):
                sys.exit("benchmark run failed: notebooks/playground.ipynb did not run in JupyterLab")
            times = {}
            for epochs in (10, 1000):
                rates = ["0.001", "0.002"] * EDITS  # two values that end apart at either length
                for name, value in (("epochs", str(epochs)), *(("learning_rate", rate) for rate in rates[:EDITS + 1])):
                    if page.locator(REGION).get_by_role("textbox", name=name, exact=True).input_value() == value:
                        continue  # already so: no retrain
                    before = page.evaluate(SHOWN_JS)
                    field = page.locator(REGION).get_by_role("textbox", name=name, exact=True)
                    field.fill(value)
                    field.press("Enter")
                    times.setdefault(epochs, []).append(page.evaluate(DRAWN_JS, before))
                times[epochs] = times[epochs][-EDITS:]  # the untimed first: a change of epochs, or the warm-up
    return times


def warm() -> list[dict]:
    """A warm Run All of the walkthrough: every cell executed again in the kernel that ran them once (nbclient), with
    what each cell takes, and matplotlib's own floor: what bounds the cells that draw figures."""
    import nbclient

    floor = statistics.median(svg_floor())
    nb = nbformat.read(NOTEBOOK, 4)
    client = nbclient.NotebookClient(nb, timeout=600, resources={"metadata": {"path": str(NOTEBOOK.parent)}})
    cells = {cell.source: [] for cell in nb.cells if cell.cell_type == "code"}
    with client.setup_kernel():
        def run_all():
            for index, cell in enumerate(nb.cells):
                start = time.perf_counter()
                client.execute_cell(cell, index)
                if cell.cell_type == "code":
                    cells[cell.source].append(time.perf_counter() - start)
        times = seconds(run_all)
    each = statistics.median(times)
    rows = [row("Warm Run All of the walkthrough (kernel running, imports done)", f"{each:.2f} s",
                f"{floor * 1000:.1f} ms: one in-process SVG of diagrams/ae0.gv", f"{each / floor:.0f}×", "≤ 100×",
                each / floor <= 100, seconds=times, floor_seconds=[floor])]
    medians = {source: statistics.median(spent[1:]) for source, spent in cells.items()}  # the warm-up run left out
    figures = {source: spent for source, spent in medians.items() if "show_figures" in source or "show_learning_rates" in source}
    for source, spent in figures.items():
        what = "its figure, and its 200 runs trained" if "show_learning_rates" in source else "matplotlib figures"
        rows.append(row(f"Warm cell `{source.splitlines()[0]}` ({what})", f"{spent * 1000:.0f} ms",
                        ratio=f"{spent / floor:.0f}×"))
    rest = sum(medians.values()) - sum(figures.values())
    rows.append(row(f"Warm cells without figures ({len(medians) - len(figures)} cells: diagrams, stepper, log, narrative)",
                    f"{rest * 1000:.0f} ms", ratio=f"{rest / floor:.0f}×"))
    bare = statistics.median(seconds(bare_figure, 2 * REPEATS))
    rows.append(row("matplotlib's floor: a bare line chart of 11 points saved as PNG", f"{bare * 1000:.0f} ms",
                    f"{floor * 1000:.1f} ms: one in-process SVG of diagrams/ae0.gv", f"{bare / floor:.0f}×"))
    return rows


def bare_figure() -> None:
    """One axes, one line, matplotlib's defaults, 800 × 450 pixels: less than any figure of the walkthrough draws."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 4.5), dpi=100)
    fig.subplots().plot(range(11), range(11))
    fig.savefig(io.BytesIO(), format="png")


def imports() -> list[dict]:
    """`import jsonschema`, which every papermill, nbval and JupyterLab process pays, with and without rfc3987-syntax
    (it builds its Lark grammars at import; jsonschema only uses it, when installed, to check the "iri" formats)."""
    def timed(code):
        return seconds(lambda: subprocess.run([sys.executable, "-c", code], check=True))

    bare, full = timed("pass"), timed("import jsonschema")
    without = timed("import sys; sys.modules['rfc3987_syntax'] = None; import jsonschema")
    start = statistics.median(bare)
    return [row("`import jsonschema` (Python start-up subtracted)", f"{statistics.median(full) - start:.2f} s",
                seconds=full, floor_seconds=bare),
            row("`import jsonschema` without rfc3987-syntax", f"{statistics.median(without) - start:.2f} s",
                seconds=without, floor_seconds=bare)]


def grading() -> list[dict]:
    """`hnn grade` on a class of 30 right submissions (each student's key) at --jobs 1 and 2, against 30 bare sandboxes
    one after another; and a sandbox's start (bwrap, Python, IPython, no cell) against the same process without bwrap."""
    import threading

    from hnn.classroom import sandbox

    if sandbox.unavailable():
        return [row("`hnn grade`, 30 submissions", f"not measured: {sandbox.unavailable()}")]
    hnn_command = str(Path(sys.executable).parent / "hnn")
    with tempfile.TemporaryDirectory(prefix="hnn-bench-") as folder:
        folder = Path(folder)
        (folder / "roster.csv").write_text("student_id\n" + "".join(f"s{k:03d}\n" for k in range(30)))
        (folder / "course.secret").write_text("5a" * 32)
        class_files = ["--roster", "roster.csv", "--secret-file", "course.secret"]
        subprocess.run([hnn_command, "exercises", *class_files, "--out", "copies", "--keys", "keys"], cwd=folder, check=True,
                       capture_output=True)

        def grade(jobs: str) -> None:
            subprocess.run([hnn_command, "grade", *class_files, "keys", "--out", "grades.csv", "--jobs", jobs], cwd=folder,
                           check=True, capture_output=True)

        grade("2")  # warm-up: the page cache, IPython's first start
        one, two = (statistics.median(seconds(lambda: grade(jobs), repeats=1, warm_up=False)) for jobs in ("1", "2"))
        empty = {"prelude": "", "cells": [], "limits": sandbox.limits(60)}
        bare = seconds(lambda: [sandbox.run(empty, 60, 0, threading.Event()) for _ in range(30)], repeats=1)[0]
    python = sandbox.command(0)
    python[-2:] = ["-c", "pass"]  # the sandbox's Python, started and nothing else
    start, plain = (statistics.median(seconds(lambda: subprocess.run(command, check=True, stdin=subprocess.DEVNULL), 15))
                    for command in (python, [sys.executable, "-I", "-c", "pass"]))
    against = f"{bare:.1f} s: 30 bare sandboxes (bwrap, Python, IPython, no cell) one after another"
    return [
        row("`hnn grade`, 30 submissions, `--jobs 1`", f"{one:.1f} s", against, f"{one / bare:.2f}×", seconds=[one]),
        row("`hnn grade`, 30 submissions, `--jobs 2`", f"{two:.1f} s", against, f"{two / bare:.2f}×", seconds=[two]),
        row("`python -c pass` in a sandbox", f"{start * 1000:.0f} ms", f"{plain * 1000:.0f} ms: the same without bwrap",
            f"+{(start - plain) * 1000:.0f} ms"),
    ]


SECTIONS = {"notebooks": notebooks, "explorer": explorer, "hidden": hidden_layer, "diagrams": diagrams, "writing": writing,
            "stepper": stepper, "playground": playground,
            "warm": warm,
            "imports": imports, "memory": memory, "grading": grading, "tests": tests}


def table(rows: list[dict]) -> str:
    lines = ["| Figure | Measured | Floor | Ratio | Target | |", "|---|---|---|---|---|---|"]
    lines += [f"| {r['figure']} | {r['measured']} | {r['floor']} | {r['ratio']} | {r['target']} | {r['verdict']} |" for r in rows]
    return "\n".join(lines)


def main(names: list[str]) -> None:
    unknown = [name for name in names if name not in SECTIONS]
    if unknown:
        sys.exit(f"benchmarks/run.py: unknown section {unknown[0]!r}; choose from {', '.join(SECTIONS)}")
    render([AE0], "svg")  # hnn sets up Graphviz's fonts, once per process, before anything else draws
    svg = pygraphviz.AGraph(string=AE0).draw(format="svg", prog="dot")
    graphviz = re.search(rb"Generated by graphviz version ([^\n]*)", svg).group(1)
    machine = {"cores": len(os.sched_getaffinity(0)), "load_before": os.getloadavg(), "python": sys.version.split()[0],
               "torch": torch.__version__, "pygraphviz": pygraphviz.__version__, "graphviz": graphviz.decode().strip()}
    start, rows = time.perf_counter(), []
    for name in names or SECTIONS:
        print(f"benchmarking {name} …", file=sys.stderr, flush=True)
        rows += SECTIONS[name]()
    machine |= {"load_after": os.getloadavg(), "bench_seconds": round(time.perf_counter() - start)}
    print(table(rows))
    print(f"\n{machine['cores']} cores, load average {machine['load_before'][0]:.1f} before and {machine['load_after'][0]:.1f}"
          f" after; {machine['bench_seconds']} s in all. Times are medians of {REPEATS} runs after a warm-up"
          " (3 runs for 1 000 diagrams).")
    if not names:
        when = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        RESULTS.write_text(json.dumps({"when": when, "machine": machine, "figures": rows}, indent=2, ensure_ascii=False) + "\n")
        print(f"Written: {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main(sys.argv[1:])
