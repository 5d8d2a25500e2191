"""The same inputs give the same bytes: the log, the JSON, the diagrams, a worksheet and a sweep, in two processes with
different hash seeds, time zones and locales (the notebooks' outputs: test_notebook.py)."""
import os
import subprocess
import sys

# 3. Determinism: the same inputs give the same bytes, in two processes with different hash seeds, time zones and
# locales (the notebook's outputs: test_two_runs_give_the_same_outputs_byte_for_byte in test_notebook.py).

SCRIPT = """\
from hnn.cli import main
assert main(["run", "--learning-rate", "0.5", "--epochs", "3"]) == 0
assert main(["run", "--json", "--activation", "sigmoid", "--target", "0.5", "--epochs", "3"]) == 0
assert main(["diagrams", "--out", "network", "--epochs", "2"]) == 0
assert main(["diagrams", "--out", "graph", "--epochs", "2", "--view", "graph"]) == 0
assert main(["worksheet", "--out", "sheet", "--epoch", "2", "--activation", "sigmoid"]) == 0
assert main(["sweep", "--param", "learning_rate=0.5", "--param", "epochs=2", "--out", "runs"]) == 0
"""
# Where and how each process runs: the second in another time zone (UTC+14, where a PDF's local date ends +14'00), in
# the C locale, under another hash seed, and in another folder (a sweep's notebooks must not record where they were written).
ENVIRONMENTS = [{"PYTHONHASHSEED": "1", "TZ": "UTC"}, {"PYTHONHASHSEED": "2", "TZ": "Pacific/Kiritimati", "LC_ALL": "C"}]


def test_two_runs_give_the_same_log_json_dot_svg_png_pdf_and_sweep(tmp_path):
    folders = [tmp_path / "first", tmp_path / "second"]
    for folder in folders:
        folder.mkdir()
    processes = [
        subprocess.Popen([sys.executable, "-c", SCRIPT], cwd=folder, stdout=subprocess.PIPE, env={**os.environ, **env})
        for env, folder in zip(ENVIRONMENTS, folders)
    ]
    outputs = [p.communicate(timeout=600)[0] for p in processes]
    assert [p.returncode for p in processes] == [0, 0]
    assert outputs[0] == outputs[1] and b'"epochs": [' in outputs[0] and b"EPOCH 3" in outputs[0]
    files = [{p.relative_to(f).as_posix(): p.read_bytes() for p in sorted(f.rglob("*")) if p.is_file()} for f in folders]
    names = [f"{view}/ae{k}.{ext}" for view in ("network", "graph") for k in range(3) for ext in ("gv", "svg", "png")]
    names += ["sheet/worksheet.pdf", "sheet/answers.pdf"]
    names += ["runs/learning_rate=0.5,epochs=2.ipynb", "runs/summary.csv", "runs/summary.png"]
    assert sorted(files[0]) == sorted(names)
    assert files[0] == files[1]
