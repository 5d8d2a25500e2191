"""The same inputs give the same bytes: the log, the JSON and the diagrams, in two processes with different hash
seeds (the notebooks' outputs: test_notebook.py)."""
import os
import subprocess
import sys

# 3. Determinism: the same inputs give the same bytes, in two processes with different hash seeds
# (the notebook's outputs: test_two_runs_give_the_same_outputs_byte_for_byte in test_notebook.py).

SCRIPT = """\
from hnn.cli import main
main(["run", "--learning-rate", "0.5", "--epochs", "3"])
main(["run", "--json", "--activation", "sigmoid", "--target", "0.5", "--epochs", "3"])
main(["diagrams", "--out", "network", "--epochs", "2"])
main(["diagrams", "--out", "graph", "--epochs", "2", "--view", "graph"])
"""


def test_two_runs_give_the_same_log_json_dot_svg_and_png(tmp_path):
    folders = [tmp_path / "first", tmp_path / "second"]
    for folder in folders:
        folder.mkdir()
    processes = [
        subprocess.Popen([sys.executable, "-c", SCRIPT], cwd=folder, stdout=subprocess.PIPE,
                         env={**os.environ, "PYTHONHASHSEED": str(seed)})
        for seed, folder in enumerate(folders, start=1)
    ]
    outputs = [p.communicate(timeout=300)[0] for p in processes]
    assert [p.returncode for p in processes] == [0, 0]
    assert outputs[0] == outputs[1] and b'"epochs": [' in outputs[0] and b"EPOCH 3" in outputs[0]
    files = [{p.relative_to(f).as_posix(): p.read_bytes() for p in sorted(f.rglob("*")) if p.is_file()} for f in folders]
    names = (f"{view}/ae{k}.{ext}" for view in ("network", "graph") for k in range(3) for ext in ("gv", "svg", "png"))
    assert sorted(files[0]) == sorted(names)
    assert files[0] == files[1]
