"""A renderer that fails: pygraphviz raising with Graphviz's own words, giving garbage or nothing, or hanging.

Each fault is a fake `pygraphviz` package, first on PYTHONPATH for a process of its own (the CLI, papermill's
kernel), or in sys.modules for this one. Whatever the fault, a command says it in one line with the renderer's own
message and exits 1 having written nothing, and a notebook prints every number, with only the pictures missing."""
import os
import signal
import subprocess
import sys
import time
import types
from pathlib import Path

import nbformat
import pytest

import hnn
import hnn.notebook as hn
from hnn.views import diagram
from hnn.views import render as rendering
from hnn.views.diagram import Display
from hnn.views.log import epoch_text, final_text
from tests.conftest import papermill_all
from tests.test_reliability import snapshot

FAKE = '''"""A pygraphviz whose draw {what}, for hnn's tests of a renderer that fails."""
import os
import time

{setup}


class AGraph:
    def __init__(self, string=None, **kwargs):
        self.string = string

    def draw(self, path=None, format=None, prog=None, args=""):
        {draw}
'''
UNKNOWN_LAYOUT = 'Error: Layout type: "dot" not recognized. Use one of: circo neato'  # a Graphviz without its dot plugin
SHORT_LIMIT = "import hnn.views.render\nhnn.views.render.DRAW_SECONDS = 1  # a hang is given up after a second, not a minute"
FAKES = {  # the fault → (what its draw does, what it runs at import, the one line hnn gives)
    # As the real pygraphviz does: Graphviz writes its error on file descriptor 2, and pygraphviz raises vaguely.
    "fails": (f"os.write(2, {(UNKNOWN_LAYOUT + chr(10)).encode()!r})\n"
              "        raise ValueError(\"Can't find prog=dot in this graphviz installation\")",
              "", f"Graphviz could not draw a diagram: {UNKNOWN_LAYOUT}"),
    "raises": ("raise RuntimeError(\"Error: syntax error in line 1 near '}'\")", "",
               "Graphviz could not draw a diagram: Error: syntax error in line 1 near '}'"),
    "garbage": ('return b"garbage"', "", "Graphviz gave no whole SVG file for a diagram, but 7 bytes, b'garbage'"),
    "empty": ('return b""', "", "Graphviz gave no whole SVG file for a diagram, but 0 bytes, b''"),
    "hangs": ("time.sleep(3600)", SHORT_LIMIT, "Graphviz did not finish drawing a diagram within 1 s"),
}
SLOW = 'time.sleep(0.05)\n        return b\'<?xml version="1.0"?>\\n<svg></svg>\\n\''  # whole files, 20 a second
STILL = "Graphviz is still drawing a diagram that it did not finish within 1 s"  # every later draw, at once


def fake_pygraphviz(root: Path, fault: str) -> Path:
    """A folder holding a fake pygraphviz package with this fault: the PYTHONPATH to give a process."""
    draw, setup, _ = FAKES[fault]
    (root / fault / "pygraphviz").mkdir(parents=True)
    (root / fault / "pygraphviz" / "__init__.py").write_text(FAKE.format(what=fault, setup=setup, draw=draw))
    return root / fault


def environment(path: Path) -> dict:
    return {**os.environ, "PYTHONPATH": str(path)}


# The commands, each in a process of its own with the fake first on its path: all of them at once.

COMMANDS = {
    "diagrams": ["diagrams", "--epochs", "3", "--out"],
    "sweep": ["sweep", "--param", "epochs=1", "--out"],
    "worksheet": ["worksheet", "--out"],
}
RUNS = [(fault, "diagrams", out) for fault in FAKES for out in ("new", "old")]  # the others meet the renderer's
RUNS += [(fault, command, out) for command in ("sweep", "worksheet") for fault in ("fails", "hangs") for out in ("new", "old")]
# fault where diagrams does, at its first draw


@pytest.fixture(scope="module")
def commands(tmp_path_factory):
    """Each run's exit status, stdout, stderr, seconds, folder, and that folder's snapshot from before it started."""
    root = tmp_path_factory.mktemp("render-faults")
    fakes = {fault: fake_pygraphviz(root / "fakes", fault) for fault in FAKES}
    processes = {}
    for fault, command, out in RUNS:
        work = root / f"{fault}-{command}-{out}"
        work.mkdir()
        if out == "old":  # a folder of an earlier run's files, which must stay as they were
            (work / "old").mkdir()
            (work / "old" / "ae0.svg").write_text("an earlier run's")
            (work / "old" / "notes.txt").write_text("mine")
        before = snapshot(work)
        process = subprocess.Popen([sys.executable, "-m", "hnn", *COMMANDS[command], str(work / out)], cwd=work,
                                   env=environment(fakes[fault]), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        processes[fault, command, out] = (process, time.monotonic(), work, before)
    results = {}
    for key, (process, started, work, before) in processes.items():
        stdout, stderr = process.communicate(timeout=300)
        results[key] = (process.returncode, stdout, stderr, time.monotonic() - started, work, before)
    return results


@pytest.mark.parametrize("fault,command,out", RUNS)
def test_a_command_says_the_renderers_fault_in_one_line_and_writes_nothing(fault, command, out, commands):
    status, stdout, stderr, seconds, work, before = commands[fault, command, out]
    assert (status, stdout, stderr) == (1, "", f"hnn {command}: error: {FAKES[fault][2]}\n")
    assert snapshot(work) == before  # no new folder, no hidden one, the earlier run's files untouched
    assert seconds < 120  # a hang is given up: the process ended on its own


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_hnn_diagrams_in_one_line_and_leaves_nothing_behind(signum, tmp_path):
    (tmp_path / "slow" / "pygraphviz").mkdir(parents=True)
    (tmp_path / "slow" / "pygraphviz" / "__init__.py").write_text(FAKE.format(what="is slow", setup="", draw=SLOW))
    (tmp_path / "work").mkdir()
    out = tmp_path / "work" / "big"
    drawing = subprocess.Popen([sys.executable, "-m", "hnn", "diagrams", "--epochs", "500", "--format", "svg", "--out", out],
                               env=environment(tmp_path / "slow"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (out.is_dir() and any(name.startswith(".hnn-") and os.listdir(out / name) for name in os.listdir(out))):
        assert drawing.poll() is None and time.monotonic() < deadline, drawing.communicate()
        time.sleep(0.05)  # until the first diagrams are written, into the hidden folder
    drawing.send_signal(signum)
    stdout, stderr = drawing.communicate(timeout=60)
    assert (drawing.returncode, stdout, stderr) == (128 + signum, "", f"hnn diagrams: stopped by {signal.Signals(signum).name}\n")
    assert os.listdir(tmp_path / "work") == []  # the folder it made, and the hidden one inside, are gone
    left = subprocess.run(["pgrep", "-f", str(out)], capture_output=True, text=True).stdout
    assert left == "", left  # its drawing children too


# The walkthrough notebook through papermill, its kernel with the fake: every number, no pictures.

@pytest.fixture(scope="module")
def notebooks(tmp_path_factory):
    root = tmp_path_factory.mktemp("render-faults-notebooks")
    runs = {fault: ([], {}, environment(fake_pygraphviz(root / "fakes", fault))) for fault in ("fails", "hangs")}
    return papermill_all(root, runs)


@pytest.mark.parametrize("fault", ["fails", "hangs"])
def test_the_notebook_prints_every_number_with_the_renderers_fault_once_and_no_pictures(fault, notebooks):
    status, stderr, folder = notebooks[fault]
    assert status == 0, stderr
    nb = nbformat.read(folder / "out.ipynb", as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error" or o.get("name") == "stderr"]
    text = "".join(o.text for o in outputs if o.get("name") == "stdout")
    line = FAKES[fault][2]
    later = STILL if fault == "hangs" else line  # the stepper waited for the hung draw; the diagrams do not
    assert text.count(f"No stepper: {line}.") == 1 and text.count(f"No diagrams: {later}.") == 1
    assert text.count("Graphviz") == 2
    trace = hnn.train()
    assert all(epoch_text(trace, e) in text for e in trace.epochs) and final_text(trace, note=False) in text
    assert not [o for o in outputs if "image/svg+xml" in o.get("data", {})]
    assert not [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 4  # the matplotlib figures need no Graphviz


# In this process: the fake in sys.modules, and the real Graphviz given what it cannot draw.

@pytest.fixture
def fake(monkeypatch):
    """Put the fake pygraphviz with a given fault in sys.modules; hnn imports it afresh, and the real one after."""
    def install(fault: str, draw: str | None = None) -> None:
        module = types.ModuleType("pygraphviz")
        exec(FAKE.format(what=fault, setup="", draw=draw or FAKES[fault][0]), module.__dict__)
        monkeypatch.setitem(sys.modules, "pygraphviz", module)
        rendering._pygraphviz.cache_clear()

    yield install
    rendering._pygraphviz.cache_clear()


@pytest.mark.parametrize("fault", ["fails", "raises", "garbage", "empty"])
def test_show_epochs_and_show_final_print_every_number_and_the_fault_once(fault, fake, capsys, monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda bundle, raw: shown.append(bundle))
    fake(fault)
    trace = hnn.train(hnn.Config(epochs=3))
    hn.show_epochs(trace, Display())
    hn.show_final(trace, Display())
    out = capsys.readouterr().out
    assert out.count(f"No diagrams: {FAKES[fault][2]}.") == 1 and out.count("Graphviz") == 1 and shown == []
    assert all(epoch_text(trace, e) in out for e in trace.epochs) and final_text(trace, note=False) in out


def test_a_hung_draw_is_given_up_and_the_draws_after_it_refused_until_it_ends(fake, monkeypatch):
    monkeypatch.setattr(rendering, "DRAW_SECONDS", 0.5)
    fake("hangs", "time.sleep(2)")  # ends on its own, so that the other tests in this process draw again
    started = time.monotonic()
    with pytest.raises(rendering.RenderError, match="^Graphviz did not finish drawing a diagram within 0.5 s$"):
        rendering.render([rendering.PROBE])
    with pytest.raises(rendering.RenderError, match="^Graphviz is still drawing a diagram that it did not finish within 0.5 s$"):
        rendering.render([rendering.PROBE])
    assert time.monotonic() - started < 1.5  # the second was refused at once, not after another limit
    monkeypatch.undo()  # the real pygraphviz, once the hung draw has ended
    rendering._pygraphviz.cache_clear()
    time.sleep(max(0.0, started + 2.5 - time.monotonic()))
    assert rendering.render([rendering.PROBE])[0].startswith(b"<?xml")


def test_a_png_that_is_broken_inside_is_one_line(fake):
    fake("garbage", "return (b'<?xml' + b'</svg>\\n') if format == 'svg' else (b'\\x89PNG\\r\\n\\x1a\\n' + b'IEND\\xaeB`\\x82')")
    with pytest.raises(rendering.RenderError) as raised:
        rendering.render([rendering.PROBE], "png")
    assert str(raised.value).startswith("Graphviz gave a PNG that cannot be read: ") and "\n" not in str(raised.value)


def test_graphviz_s_own_error_is_the_message_and_stays_off_stderr(capfd):
    with pytest.raises(rendering.RenderError) as raised:
        rendering.render(["digraph { a -> }"])  # a syntax error: pygraphviz raises "Invalid Input"
    assert str(raised.value) == "Graphviz could not draw a diagram: Error: syntax error in line 1 near '}'"
    assert capfd.readouterr().err == ""


def test_graphviz_s_warning_beside_a_picture_still_reaches_stderr(capfd):
    svg = rendering.render(['digraph { a [shape=nosuch] }'])[0]
    assert svg.startswith(b"<?xml")
    assert capfd.readouterr().err == "Warning: using box for unknown shape nosuch\n"


def test_a_render_that_fails_midway_leaves_an_earlier_run_s_files_as_they_were(fake, tmp_path):
    import pygraphviz as real

    out = tmp_path / "out"
    out.mkdir()
    (out / "ae0.svg").write_text("an earlier run's")
    (out / "ae9.gv").write_text("an earlier, longer run's")
    before = snapshot(tmp_path)
    log = tmp_path / "draws.log"  # a file, since the draws may run in a child process

    def draw(source: str, fmt: str, prog: str) -> bytes:  # at each draw, how many files the write has staged so far
        with log.open("a") as file:
            file.write(f"{len(list(out.glob('.hnn-*/*')))}\n")
        if len(log.read_text().split()) == 5:
            raise ValueError("the fifth draw fails")
        return real.AGraph(string=source).draw(format=fmt, prog=prog)

    fake("fails", "return draw(self.string, format, prog)")
    sys.modules["pygraphviz"].draw = draw
    with pytest.raises(rendering.RenderError, match="^Graphviz could not draw a diagram: the fifth draw fails$"):
        diagram.write(hnn.train(hnn.Config(epochs=5)), out, formats=("svg",))
    assert log.read_text().split() == ["0", "0", "2", "4", "6"]  # the probe, then ae0 … ae3: ae0 … ae2's .gv and .svg
    log.unlink()  # were written, then removed
    assert snapshot(tmp_path) == before  # and the folder's time is as it was


# hnn diagrams draws in child processes of its own, CHUNK states each (on Linux, where it forks): Graphviz's leak
# ends with each, and a child stuck in C code, where no limit of its own can fire, is killed.

needs_fork = pytest.mark.skipif(sys.platform != "linux", reason="write draws in forked children on Linux only")


@needs_fork
def test_write_in_children_of_two_states_each_gives_the_same_files(tmp_path, monkeypatch):
    monkeypatch.setattr(diagram, "CHUNK", 2)  # 6 states: three children
    trace = hnn.train(hnn.Config(epochs=5))
    assert diagram.write(trace, tmp_path, formats=("svg", "png")) == 18
    sources = [diagram.network(trace, k).source for k in range(6)]
    assert [(tmp_path / f"ae{k}.gv").read_text(encoding="utf-8") for k in range(6)] == sources
    assert [(tmp_path / f"ae{k}.svg").read_bytes() for k in range(6)] == rendering.render(sources, "svg")
    assert [(tmp_path / f"ae{k}.png").read_bytes() for k in range(6)] == rendering.render(sources, "png")
    assert sorted(os.listdir(tmp_path)) == sorted(f"ae{k}.{e}" for k in range(6) for e in ("gv", "svg", "png"))


@needs_fork
@pytest.mark.parametrize("draw,message", [
    # libc's sleep through ctypes.PyDLL keeps the GIL, as Graphviz's C code does: the child's own limit cannot fire.
    ("import ctypes\n        ctypes.PyDLL(None).sleep(3600)", "Graphviz did not finish drawing a diagram within 1.5 s"),
    ("import signal\n        os.kill(os.getpid(), signal.SIGKILL)", "the process drawing the diagrams ended with signal SIGKILL"),
], ids=["hangs in C", "killed"])  # killed: as the system's out-of-memory killer, or a crash in Graphviz, ends it
def test_a_child_that_hangs_in_c_or_crashes_is_one_line_and_leaves_nothing(draw, message, fake, tmp_path, monkeypatch):
    monkeypatch.setattr(rendering, "DRAW_SECONDS", 0.5)
    fake("hangs", draw)
    started = time.monotonic()
    with pytest.raises(rendering.RenderError, match=f"^{message}$"):
        diagram.write(hnn.train(hnn.Config(epochs=1)), tmp_path / "out", formats=("svg",))
    assert time.monotonic() - started < 10 and not (tmp_path / "out").exists()
