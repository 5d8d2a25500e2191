"""The diagrams: committed files current, every number read back from the DOT, deterministic bytes, safe writing."""
import hashlib
import math
import os
import re
import subprocess
import sys

import pytest

import hnn
from hnn.views.diagram import computation_graph, network, write
from hnn.views.render import GraphvizMissing, render
from tests.conftest import ROOT
from tests.plain import ACTIVATION

OTHER = hnn.Config(x1=-1.5, x2=0.5, w1=0.25, w2=-2.0, b=0.1, target=0.3, learning_rate=0.5, epochs=4, activation="sigmoid")


def six(value: float) -> str:
    """A number as the diagrams should print it: 6 decimals, a true minus sign."""
    return f"{value:.6f}".replace("-", "\u2212")


def nodes(source: str) -> dict:
    """Each node's label with its markup dropped: {'w1': 'w1 −3.000000 dL/dw1 0.707094 …', …}."""
    found = {}
    for node, label in re.findall(r"^\s*(\w+) \[label=<?(<TABLE.*?</TABLE>|\"[^\"]*\")", source, re.MULTILINE):
        text = re.sub(r"<[^>]*>", " ", label.strip('"'))  # HTML-like tags go; record fields stay split by |
        found[node] = " ".join(text.split())
    return found


def chain_rule(c, s):
    """dL/do and dL/dn for L = ½(o − target)², o = f(n), each derivative written out by hand."""
    dL_do = s.o - c.target
    do_dn = {"tanh": 1 - s.o**2, "sigmoid": s.o * (1 - s.o), "relu": float(s.n > 0)}[c.activation]
    return dL_do, dL_do * do_dn


def network_expected(trace, k) -> dict:
    """What ae{k}'s nodes should say, from the trace's values and the chain rule written out again here."""
    c = trace.config
    last = k == len(trace.epochs)
    s = trace.final if last else trace.epochs[k]
    if last:
        leaves = {name: f"{name} {six(getattr(s, name))}" for name in ("w1", "w2", "b")}
        leaves |= {x: f"{x} {six(getattr(c, x))}" for x in ("x1", "x2")}
        dn = do = ""
    else:
        dL_do, dL_dn = chain_rule(c, s)
        dn = f" dL/dn {six(dL_dn)}"
        do = f" dL/do {six(dL_do)}"
        leaves = {x: f"{x} {six(getattr(c, x))} dL/d{x} {six(getattr(s.grad, x))}" for x in ("x1", "x2")}
        for name in ("w1", "w2", "b"):
            g = getattr(s.grad, name)
            factor = six(g) if g >= 0 else f"({six(g)})"
            leaves[name] = (
                f"{name} {six(getattr(s, name))} dL/d{name} {six(g)} step {six(-c.learning_rate)} × {factor}"
                f" → new {six(getattr(s.updated, name))}"
            )
    return leaves | {
        "n": f"n = x1·w1 + x2·w2 + b n {six(s.n)}{dn}",
        "o": f"o = {c.activation}(n) o {six(s.o)}{do}",
        "target": f"target {six(c.target)}",
        "L": f"L = ½(o − target)² L {six(s.loss)}",
    }


@pytest.mark.parametrize("config,ks", [(hnn.Config(), [0, 1, 5, 9, 10]), (OTHER, [0, 2, 3, 4])])
def test_every_network_number_is_the_traces(config, ks):
    trace = hnn.train(config)
    for k in ks:
        source = network(trace, k).source
        assert nodes(source) == network_expected(trace, k), f"ae{k}"
        s = trace.final if k == config.epochs else trace.epochs[k]
        state = f"trained (after epoch {config.epochs})" if k == config.epochs else f"before epoch {k + 1}"
        assert f"<B>ae{k} · {state} · loss {six(s.loss)}</B>" in source


def test_network_diagrams_agree_with_the_original_notebooks_log(reference_lines):
    """The seed's own printed numbers, an answer hnn did not compute, against ae0 … ae9."""
    text = "\n".join(reference_lines)
    blocks = text.split("EPOCH ")[1:]
    trace = hnn.train()
    for k, block in enumerate(blocks):

        def value(name):  # the seed's printed number for name, with a true minus sign as the diagrams draw it
            return re.search(rf"\b{name} = (-?[\d.]+)", block).group(1).replace("-", "\u2212")

        label = nodes(network(trace, k).source)
        assert label["n"].endswith(f" n {value('n')} dL/dn {value('b.grad')}")
        assert label["o"].startswith(f"o = tanh(n) o {value('o')} ")
        assert label["L"].endswith(f" L {value('loss')}")
        for name in ("w1", "w2", "b"):  # STEP 0's value, STEP 2's gradient, STEP 3's update
            assert label[name].startswith(f"{name} {value(name)} dL/d{name} {value(name + '.grad')} ")
            assert label[name].endswith(f" → new {value('updated ' + name)}")
    assert len(blocks) == 10


@pytest.mark.parametrize("config,k", [(hnn.Config(), 0), (hnn.Config(), 4), (hnn.Config(), 10), (OTHER, 1), (OTHER, 4)])
def test_every_graph_number_is_the_traces(config, k):
    trace = hnn.train(config)
    c = trace.config
    last = k == c.epochs
    s = trace.final if last else trace.epochs[k]
    # Each value by what its record calls it: its name, or for a value the network did not name, its formula.
    data = {
        "x1": c.x1, "w1": s.w1, "x1·w1": c.x1 * s.w1, "x2": c.x2, "w2": s.w2, "x2·w2": c.x2 * s.w2,
        "x1·w1 + x2·w2": c.x1 * s.w1 + c.x2 * s.w2, "b": s.b, "n": s.n, "o": s.o, "target": c.target,
        "o − target": s.o - c.target, "(o − target)²": (s.o - c.target) ** 2, "L": s.loss,
    }
    assert math.isclose(ACTIVATION[c.activation](data["x1·w1 + x2·w2"] + data["b"]), s.o, rel_tol=1e-12)
    assert math.isclose(0.5 * data["(o − target)²"], s.loss, rel_tol=1e-12)
    source = computation_graph(trace, k).source
    fields = [text.replace("\\n", " ").split(" | ") for text in nodes(source).values()]
    records = {record[0]: record for record in fields if len(record) > 1}
    assert list(records) == list(data)  # forward order, one record per value
    assert ['"½"'] == re.findall(r'label=("½")', source) and re.search(r"\[label=2 ", source)  # numbers the network wrote
    for node, fields in records.items():
        assert fields[1] == six(data[node]), node
    if last:
        assert all(len(fields) == 2 for fields in records.values())  # trained: no gradients left to show
        return
    dL_do, dL_dn = chain_rule(c, s)
    grads = {
        "x1": dL_dn * s.w1, "w1": dL_dn * c.x1, "x2": dL_dn * s.w2, "w2": dL_dn * c.x2, "x1·w1": dL_dn, "x2·w2": dL_dn,
        "x1·w1 + x2·w2": dL_dn, "b": dL_dn, "n": dL_dn, "o": dL_do, "o − target": dL_do, "(o − target)²": 0.5, "L": 1.0,
    }
    for node, fields in records.items():
        assert fields[2:] == ([f"∇ {six(grads[node])}"] if node in grads else []), node


def test_every_number_has_a_true_minus_sign():
    trace = hnn.train(OTHER)
    for view in (network, computation_graph):
        for k in range(OTHER.epochs + 1):
            labels = " ".join(nodes(view(trace, k).source).values())
            assert "\u2212" in labels and not re.search(r"-\d", labels)


def test_committed_diagrams_are_what_the_code_makes_now():
    trace = hnn.train()
    folder = ROOT / "diagrams"
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"ae{k}.{ext}" for k in range(11) for ext in ("gv", "svg", "png"))
    for k in range(11):
        assert (folder / f"ae{k}.gv").read_text(encoding="utf-8") == network(trace, k).source, (
            f"diagrams/ae{k}.gv is out of date: run `make diagrams` and commit the result"
        )


def test_same_trace_gives_the_same_bytes():
    first, second = hnn.train(OTHER), hnn.train(OTHER)
    for view in (network, computation_graph):
        sources = [view(first, k).source for k in range(OTHER.epochs + 1)]
        assert sources == [view(second, k).source for k in range(OTHER.epochs + 1)]
        svgs = render(sources, "svg")
        assert svgs == render(sources, "svg")
        assert all(svg.startswith(b"<?xml") and b"Generated by graphviz" not in svg for svg in svgs)
        assert len(set(svgs)) == len(svgs)  # one picture per state, each its own


def test_write_adds_only_its_own_files_and_leaves_the_rest_alone(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "ae0.pdf").write_bytes(b"not ours to touch")
    (tmp_path / "sub").mkdir()
    (tmp_path / "ae1.svg").write_text("stale")  # a file write() makes: replaced
    os.utime(tmp_path / "notes.txt", (1_000_000_000, 1_000_000_000))
    ours = {f"ae{k}.{ext}" for k in range(3) for ext in ("gv", "svg", "png")}
    assert write(hnn.train(hnn.Config(epochs=2)), tmp_path) == len(ours)
    assert {p.name for p in tmp_path.iterdir()} == ours | {"notes.txt", "ae0.pdf", "sub"}  # no temporary files left
    assert (tmp_path / "notes.txt").read_text() == "mine" and (tmp_path / "notes.txt").stat().st_mtime == 1_000_000_000
    assert (tmp_path / "ae0.pdf").read_bytes() == b"not ours to touch" and not any((tmp_path / "sub").iterdir())
    assert (tmp_path / "ae1.svg").read_bytes().startswith(b"<?xml")
    assert (tmp_path / "ae2.png").read_bytes().startswith(b"\x89PNG")
    assert (tmp_path / "ae0.gv").stat().st_mode & 0o777 == 0o644


def test_write_creates_a_missing_directory(tmp_path):
    assert write(hnn.train(hnn.Config(epochs=0)), tmp_path / "new" / "dir", view="graph", formats=("svg",)) == 2
    assert sorted(os.listdir(tmp_path / "new" / "dir")) == ["ae0.gv", "ae0.svg"]
    assert "record" in (tmp_path / "new" / "dir" / "ae0.gv").read_text()


# Rendering happens in this process, with the Graphviz libraries of the pygraphviz wheel: a fresh process whose PATH
# has no `dot` (nor anything else) renders SVG and PNG, and its file descriptor 2 stays empty: fontconfig's start-up
# warning, which this machine's fontconfig files provoke (checked below), never gets through.
RENDER = """
import hashlib
import hnn
from hnn.views.diagram import network
from hnn.views.render import render
sources = [network(hnn.train(hnn.Config(epochs=1)), k).source for k in range(2)]
for fmt in ("svg", "png"):
    print(fmt, *(hashlib.sha256(data).hexdigest() for data in render(sources, fmt)))
"""
RAW = """
import pygraphviz
pygraphviz.AGraph(string='digraph { a [fontname="DejaVu Sans"] }').draw(format="svg", prog="dot")
"""


def test_diagrams_render_in_process_without_dot_on_path_and_nothing_on_stderr(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    env = {**os.environ, "PATH": str(empty)}
    runs = [subprocess.run([sys.executable, "-c", RENDER], env=env, capture_output=True, text=True) for _ in range(2)]
    assert [run.returncode for run in runs] == [0, 0], runs[0].stderr
    assert [run.stderr for run in runs] == ["", ""]  # the child's descriptor 2, where Graphviz and fontconfig write
    assert runs[0].stdout == runs[1].stdout  # byte-identical SVG and PNG in two processes
    sources = [network(hnn.train(hnn.Config(epochs=1)), k).source for k in range(2)]
    expected = [" ".join([fmt, *(hashlib.sha256(data).hexdigest() for data in render(sources, fmt))]) for fmt in ("svg", "png")]
    assert runs[0].stdout.splitlines() == expected  # and the same as this process, whose PATH has dot


def test_fontconfig_warns_on_this_machine_without_hnn_so_the_silence_above_is_hnn_s():
    raw = subprocess.run([sys.executable, "-c", RAW], capture_output=True, text=True)
    if "Fontconfig" not in raw.stderr:
        pytest.skip("this machine's fontconfig files provoke no warning, so there is nothing for hnn to keep quiet")
    assert raw.returncode == 0 and raw.stderr.startswith("Fontconfig warning:")


def test_without_pygraphviz_write_raises_graphviz_missing_in_one_line_before_writing(tmp_path, hidden_pygraphviz):
    with pytest.raises(GraphvizMissing) as raised:
        write(hnn.train(hnn.Config(epochs=1)), tmp_path / "out")
    message = str(raised.value)
    assert "\n" not in message and message.startswith("the diagrams need pygraphviz, which does not import here (")
    assert all(hint in message for hint in ("pip install pygraphviz", "conda install -c conda-forge pygraphviz"))
    assert not (tmp_path / "out").exists()


def test_cli_without_pygraphviz_prints_the_install_hint_in_one_line(tmp_path, hidden_pygraphviz, hnn_cli):
    result = hnn_cli("diagrams", "--out", str(tmp_path / "out"))
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("hnn diagrams: error: the diagrams need pygraphviz, which does not import here")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_cli_writes_the_diagrams_and_says_so(tmp_path, hnn_cli):
    result = hnn_cli("diagrams", "--out", str(tmp_path / "d"), "--epochs", "2", "--format", "svg", "--view", "graph")
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout == f"wrote 6 files to {tmp_path / 'd'}/\n"
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == [f"ae{k}.{e}" for k in range(3) for e in ("gv", "svg")]
