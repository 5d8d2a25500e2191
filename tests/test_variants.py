"""Each student's own network, from the roster, a secret and the assignment: distinct, deterministic, and fit for the
exercises, checked here with plain floats; the class's copies, keys and worksheets that `hnn exercises` and
`hnn worksheet` write from a roster."""
import csv
import json
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import hnn
from hnn.classroom import course, variants
from hnn.classroom.exercises import NETWORK, TASKS, Checks
from tests import plain
from tests.test_exercises import RIGHT, WRONG

SECRET = b"9d2e" * 16
ROSTER = [f"s{k:03d}" for k in range(30)]
RATES = [round(0.1 * k, 1) for k in range(1, 21)]


@pytest.fixture(scope="module")
def networks():
    return [variants.network(SECRET, "exercises", student_id) for student_id in ROSTER]


def answers(config) -> dict:
    """Every answer for a network, in plain floats."""
    steps, _ = plain.replay(config)
    first, second = steps[0], steps[1]
    return {"n": first.n, "o": first.o, "dL_db": first.dL_db, "loss": second.loss, "w1": second.new_w1}


def mistakes(config) -> list[tuple[str, float, str]]:
    """Each mistake the checks list, its wrong answer worked out from the mistake itself in plain floats."""
    steps, _ = plain.replay(config)
    first, second = steps[0], steps[1]
    x1, x2, rate, target = config.x1, config.x2, config.learning_rate, config.target
    step = second.new_w1 - second.w1
    sigmoid_o = 1 / (1 + math.exp(-first.n))
    return [
        ("n", first.n - first.b, "the bias b is left out"), ("n", first.n - x2 * first.w2, "the x2*w2 term is left out"),
        ("n", first.w1 + first.w2 + first.b, "the inputs x1 and x2 are left out"),
        ("o", first.n, "n itself"), ("o", sigmoid_o, "sigmoid(n), not tanh(n)"),
        ("dL_db", -first.dL_db, "the sign is flipped"), ("dL_db", 2 * first.dL_db, "twice the gradient"),
        ("dL_db", first.dL_do, "dL/do alone"), ("dL_db", first.do_dn, "do/dn alone"),
        ("dL_db", first.dL_do * (1 - first.o), "the wrong activation derivative, 1 - o"),
        ("dL_db", first.dL_do * first.o * (1 - first.o), "sigmoid's o*(1 - o)"),
        ("loss", first.loss, "the loss before the update"), ("loss", 2 * second.loss, "twice the loss"),
        ("loss", second.o, "o, not the loss"), ("loss", second.o - target, "o - target, not the loss"),
        ("w1", second.w1, "no step taken"), ("w1", second.w1 - step, "a step in the wrong direction"),
        ("w1", second.w1 - rate * second.dL_dn, "the input factor x1 is left out"),
        ("w1", second.w1 - x1 * second.dL_dn, "the learning rate is left out"), ("w1", step, "the step alone"),
    ]


def test_thirty_students_get_thirty_networks_the_same_each_time(networks):
    assert len(set(networks)) == 30
    assert networks == [variants.network(SECRET, "exercises", student_id) for student_id in ROSTER]
    assert all(n.epochs == 10 and n.activation == "tanh" for n in networks)


def test_the_secret_and_the_assignment_each_change_every_network(networks):
    other_secret = [variants.network(b"0" * 32, "exercises", student_id) for student_id in ROSTER]
    other_assignment = [variants.network(SECRET, "exercises 2", student_id) for student_id in ROSTER]
    assert all(a != b for a, b in zip(networks, other_secret))
    assert all(a != b for a, b in zip(networks, other_assignment))


def test_every_network_has_numbers_worth_asking_for(networks):
    for config in networks:
        steps, final = plain.replay(config)
        first = steps[0]
        assert 0.3 <= abs(first.n) <= 1.5 and abs(first.o) < 0.91, config  # not near 0, tanh not saturated
        assert abs(first.o - config.target) >= 0.15, config
        assert config.x2 != 0 and config.target != 0
        assert all(abs(value) > 1e-3 for value in answers(config).values()), config
        assert final.loss >= 0.02, config  # (e) asks for a learning rate far better than the one given
        assert sum(plain.replay(config, learning_rate=rate)[1].loss < 0.01 for rate in RATES) >= 3, config


def test_every_check_tells_the_right_answer_from_each_mistake_on_every_network(networks):
    for config in networks:
        checks = Checks(**config.to_dict())
        for name, value in answers(config).items():
            assert checks.judge(name, {"number": float(f"{value:.5g}")})[0] == "ok", (config, name)
        for name, value, words in mistakes(config):
            status, line = checks.judge(name, {"number": value})
            assert status == "wrong" and words in line, (config, name, words, line)


def test_each_students_functions_are_tried_on_their_own_numbers_and_every_mistake_is_named(networks):
    tried = set()
    for config in networks:
        checks, n = Checks(**config.to_dict()), plain.replay(config)[0][0].n
        assert checks.functions["softsign_slope"].inputs[4][0] == pytest.approx(n, rel=1e-12), config
        tried.add(checks.functions["momentum"].inputs[-1])
        tasks = {task.names[0]: letter for letter, task in TASKS.items() if task.kind == "code"}
        for name, right in RIGHT.items():
            assert checks.verdict(tasks[name], **{name: right}).status == "ok", (config, name)
        for name, wrong, looks_like in WRONG:
            assert checks.verdict(tasks[name], **{name: wrong}).feedback.startswith(f"✗ {name} looks like {looks_like}. ")
    assert len(tried) == len(networks)  # each student's momentum is tried on numbers of their own


def test_a_network_unfit_for_the_exercises_is_told_why():
    def problems(**changes):
        return variants.problems(hnn.Config(**{**NETWORK.to_dict(), **changes}))

    assert variants.problems(NETWORK) == []
    assert problems(w1=3.0)[0].startswith("n = 4.55: too near 0, or tanh is saturated")
    assert problems(x2=0.0, learning_rate=0.05) == ["the check of n cannot tell 'the x2*w2 term is left out' from the answer"]
    assert problems(target=0.848)[0] == "o starts too close to the target for the steps to show"
    assert problems(learning_rate=0.3) == ["the given learning rate already brings the loss below 0.02"]
    assert "the check of w1 cannot tell 'the learning rate is left out' from the answer" in problems(learning_rate=1.0)


def write_roster(path, ids, names=None):
    with path.open("w", newline="", encoding="utf-8") as file:
        csv.writer(file).writerows([("student_id", "name"), *((i, (names or {}).get(i, "")) for i in ids)])


@pytest.fixture(scope="module")
def copies(tmp_path_factory):
    """The class's copies and keys, written once; then the first five students' again, elsewhere, and once more where
    they are, which is refused."""
    folder = tmp_path_factory.mktemp("copies")
    write_roster(folder / "roster.csv", ROSTER)
    write_roster(folder / "five.csv", ROSTER[:5])
    (folder / "course.secret").write_bytes(SECRET + b"\n")

    def hnn_exercises(roster, out, keys):
        return subprocess.run([Path(sys.executable).parent / "hnn", "exercises", "--roster", roster, "--secret-file",
                               "course.secret", "--out", out, "--keys", keys], cwd=folder, capture_output=True, text=True,
                              timeout=600)

    first = hnn_exercises("roster.csv", "copies", "keys")
    again = hnn_exercises("five.csv", "again/copies", "again/keys")
    refused = hnn_exercises("roster.csv", "copies", "keys")
    files = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*.ipynb")}
    return folder, first, files, again, refused


def test_hnn_exercises_writes_a_copy_and_a_key_per_student(copies):
    folder, first, files, *_ = copies
    assert (first.returncode, first.stdout) == (0, "wrote 30 student copies to copies/, and their keys to keys/\n")
    assert sorted(name for name in files if not name.startswith("again/")) == sorted(
        [f"copies/{i}.ipynb" for i in ROSTER] + [f"keys/{i}.ipynb" for i in ROSTER])


def test_the_same_roster_and_secret_give_the_same_bytes(copies):
    _, _, files, again, refused = copies
    assert again.returncode == 0, again.stderr
    for kind in ("copies", "keys"):
        for student_id in ROSTER[:5]:
            assert files[f"again/{kind}/{student_id}.ipynb"] == files[f"{kind}/{student_id}.ipynb"]
    assert refused.returncode == 2
    assert refused.stderr == "hnn exercises: error: copies/s000.ipynb already exists (and 59 more of this command's files);" \
                             " pass --force to overwrite\n"


def test_each_copy_states_its_students_network_and_holds_no_answer(copies, networks):
    _, _, files, *_ = copies
    for student_id, config in zip(ROSTER, networks):
        text = files[f"copies/{student_id}.ipynb"].decode()
        nb = nbformat.reads(text, 4)
        intro = nb.cells[0].source.replace("−", "-")
        row = [float(cell) for cell in re.search(r"\n\| (-?[\d.]+(?: \| -?[\d.]+){7}) \| tanh \|", intro).group(1).split(" | ")]
        assert row == [config.x1, config.x2, config.w1, config.w2, config.b, config.target, config.learning_rate, 10]
        namespace = {}
        exec(nb.cells[1].source, namespace)  # noqa: S102  its setup cell makes the checks for the network in its table
        assert namespace["ex"].network == config
        givens = {abs(float(text)) for text in course.fields(config).values()}  # the network's numbers, (c)-(e)'s givens
        for value in answers(config).values():  # an answer may be a given by chance: n, a sum of short decimals
            assert f"{value:.5g}" not in text.replace("−", "-") or abs(float(f"{value:.5g}")) in givens, (student_id, value)
        assert "SOLUTION" not in text and "HIDDEN TESTS" not in text


def test_each_key_holds_its_students_answers(copies, networks):
    _, _, files, *_ = copies
    for student_id, config in zip(ROSTER, networks):
        key = nbformat.reads(files[f"keys/{student_id}.ipynb"].decode(), 4)
        values = {}
        for cell in key.cells:
            if cell.cell_type == "code" and cell.metadata["nbgrader"]["solution"]:
                exec(cell.source, {}, values)  # noqa: S102
        assert {name: values[name] for name in answers(config)} == pytest.approx(answers(config), rel=1e-12)
        assert plain.replay(config, learning_rate=values["learning_rate"])[1].loss < 0.01


@pytest.mark.parametrize("args, message", [
    (["--roster", "roster.csv", "--out", "c"], "--roster needs --secret-file (the secret each student's network is drawn"
                                               " with) and --out DIR"),
    (["--roster", "roster.csv", "--secret-file", "s", "--out", "c", "--keys", "c"],
     "--keys must be a folder apart from --out: the keys hold the answers"),
    (["--roster", "roster.csv", "--secret-file", "missing", "--out", "c"], "--secret-file missing does not exist; make one"
     " with: python3 -c \"import secrets; print(secrets.token_hex(32))\" > missing"),
    (["--roster", "none.csv", "--secret-file", "s", "--out", "c"], "--roster none.csv does not exist"),
    (["--roster", "roster.csv", "--secret-file", "s", "--student", "x.ipynb"],
     "--student and --solutions write the shared copy; with --roster, --out and --keys take their place"),
])
def test_hnn_exercises_for_a_class_bad_input_is_one_line(hnn_cli, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    write_roster(tmp_path / "roster.csv", ["s1"])
    (tmp_path / "s").write_bytes(SECRET)
    result = hnn_cli("exercises", *args)
    assert (result.returncode, result.stderr) == (2, f"hnn exercises: error: {message}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["roster.csv", "s"]


def test_a_roster_from_a_spreadsheet_reads_with_its_byte_order_mark_and_its_blank_lines(tmp_path):
    (tmp_path / "roster.csv").write_text("\ufeffStudent_ID ,Name\r\nada@example.edu,Ada Lovelace\r\n,\r\n42,\r\n",
                                         encoding="utf-8")
    assert variants.read_roster(tmp_path / "roster.csv") == [variants.Student("ada@example.edu", "Ada Lovelace"),
                                                              variants.Student("42", "")]


def test_hnn_worksheet_writes_a_sheet_and_a_key_per_student_the_same_each_time(tmp_path, hnn_cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_roster(tmp_path / "roster.csv", ["s001", "s002"])
    (tmp_path / "course.secret").write_bytes(SECRET)
    args = ["worksheet", "--roster", "roster.csv", "--secret-file", "course.secret", "--out", "sheets", "--keys", "keys"]
    result = hnn_cli(*args)
    assert (result.returncode, result.stdout) == (0, "wrote 2 worksheets to sheets/, and their answer pages to keys/\n")
    files = {p.relative_to(tmp_path).as_posix(): p.read_bytes() for p in tmp_path.glob("*/*.pdf")}
    assert sorted(files) == ["keys/s001.pdf", "keys/s002.pdf", "sheets/s001.pdf", "sheets/s002.pdf"]
    assert hnn_cli(*args, "--force").returncode == 0
    assert files == {p.relative_to(tmp_path).as_posix(): p.read_bytes() for p in tmp_path.glob("*/*.pdf")}
    if shutil.which("pdftotext"):  # the key shows the student's own epoch 1
        config = variants.network(SECRET, "worksheet", "s002")
        text = subprocess.run(["pdftotext", "keys/s002.pdf", "-"], capture_output=True, text=True, check=True).stdout
        assert f"{plain.replay(config)[0][0].n:.6f}".replace("-", "−") in text.replace("-", "−")
        assert config != variants.network(SECRET, "exercises", "s002")  # another assignment, another network


def test_hnn_worksheet_for_a_class_takes_no_hyperparameter(tmp_path, hnn_cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_roster(tmp_path / "roster.csv", ["s001"])
    result = hnn_cli("worksheet", "--roster", "roster.csv", "--secret-file", "s", "--out", "o", "--x1", "2")
    assert (result.returncode, result.stderr) == (
        2, "hnn worksheet: error: --x1 cannot go with --roster, which gives each student a network of their own\n")


def test_the_derivation_is_an_hmac_of_the_assignment_and_the_student(monkeypatch):
    """The first draw for a student is the HMAC-SHA256 of ["hnn network", assignment, student_id, 0], keyed with the
    secret, each number picked by 32 bits of it: recomputed here with the standard library."""
    import hashlib
    import hmac

    message = json.dumps(["hnn network", "exercises", "s007", 0]).encode()
    digest = hmac.new(SECRET, message, hashlib.sha256).digest()
    picks = [int.from_bytes(digest[4 * i:4 * i + 4], "big") for i in range(7)]
    drawn = {name: choices[pick % len(choices)] for (name, choices), pick in zip(variants.CHOICES.items(), picks)}
    assert variants._draw(SECRET, "exercises", "s007", 0) == hnn.Config(**drawn, epochs=10)
