"""Every sentence hnn writes fits the run it is about: for the parameter sets the walkthrough's *When training goes
wrong* tells students to try, and the edge sets of the other tests, each generated sentence's numbers are the run's
(a plain-float replay's), two numbers said to differ are shown differing, a promise ("watch w2 start to learn") holds
when tried, and nothing speaks of a STEP 3 that did not run or of "the original notebook" without naming it."""
import ast
import re

import nbformat
import pytest

import hnn
from hnn.views import log, narrative
from hnn.views.diagnose import diagnose
from tests.conftest import WALKTHROUGH
from tests.plain import replay
from tests.test_narrative import SETS as NOTEBOOK_SETS
from tests.test_networks import SEED_RUNS

NUMBER = re.compile(r"(?<![\w.])[-−]?\d+(?:\.\d+)?(?:e[-+]?\d+)?")
ASSIGNMENT = re.compile(r"`(\w+) = ([^`]+)`")


def when_training_goes_wrong() -> list[dict]:
    """The runs the walkthrough's *When training goes wrong* asks students to make, read from its bullets: each
    bullet's `name = value` settings, a new run where a name comes again (`learning_rate = 1` … `learning_rate = 5`)."""
    cell = next(c for c in nbformat.read(WALKTHROUGH, 4).cells if c.source.startswith("## When training goes wrong"))
    runs = []
    for bullet in re.split(r"\n- ", cell.source)[1:]:
        run = {}
        for name, value in ASSIGNMENT.findall(bullet):
            if name in run:
                runs.append(run)
                run = {}
            run[name] = ast.literal_eval(value)
        runs.append(run)
    return runs


RUNS = {**{f"wrong: {run}": run for run in when_training_goes_wrong()},
        **{f"edge: {name}": {k: v for k, v in run.items() if k != "view"} for name, run in NOTEBOOK_SETS.items()},
        **{f"seed: {name}": run for name, run in SEED_RUNS.items()}}


def test_the_walkthrough_names_the_runs_it_asks_for():
    assert {"learning_rate": 1} in when_training_goes_wrong() and {"epochs": 0} in when_training_goes_wrong()
    assert len(when_training_goes_wrong()) >= 6


def numbers(text: str) -> list[tuple[float, float]]:
    """Each number a text states, and half a unit of its last digit: how far off a number rounded to it may be."""
    found = []
    for x in NUMBER.findall(text.replace("STEP 3", "STEP")):
        mantissa, _, exponent = x.replace("−", "-").partition("e")
        places = len(mantissa.partition(".")[2])
        found.append((float(x.replace("−", "-")), 0.5 * 10 ** (int(exponent or 0) - places)))
    return found


def allowed(config: hnn.Config) -> list[float]:
    """Every number a sentence about this run may state: its settings, each number of its replay, and the formulas'
    own (½, squares, ranges, epoch counts)."""
    steps, final = replay(config)
    values = [v for v in config.to_dict().values() if not isinstance(v, str)]
    values += [x for step in steps for x in step] + list(final)
    return values + [-1.0, 0.0, 1.0, 2.0, *range(len(steps) + 2)]


def near(number: tuple[float, float], values: list[float]) -> bool:
    """A stated number is one of values, rounded as it is written (a narrative's six significant digits at most)."""
    x, half = number
    return any(abs(x - v) <= max(half, 5e-6 * abs(v)) * (1 + 1e-9) for v in values)


@pytest.mark.parametrize("name", list(RUNS))
def test_every_sentence_fits_its_run(name):
    config = hnn.Config(**RUNS[name])
    trace = hnn.train(config)
    passages = {passage: write(trace) for passage, write in narrative.PASSAGES.items()}
    notes = diagnose(trace)
    final = log.final_text(trace)
    written = [*passages.values(), *notes, final, log.walkthrough(trace)]
    ok = allowed(config)
    for text in [*passages.values(), *notes]:
        stray = [x for x, half in numbers(text) if not near((x, half), ok)]
        assert not stray, f"{stray} are none of the run's numbers:\n{text}"
    for text in written:
        assert "original notebook" not in text and "the original printed" not in text.lower(), text
        assert not re.search(r"[-−]0\.0+\b(?!\d)", text), f"a minus sign on zero:\n{text}"

    # Two numbers said to differ are shown differing: the trained network's loss and the last epoch's, in the prose
    # and in the log; where they are equal, the sentence says so.
    if trace.epochs:
        trained, before = re.search(r"loss \$([^$]+)\$\..*\(loss \$([^$]+)\$", passages["corrections"], re.S).groups()
        assert (trained != before) != ("the same here" in passages["corrections"]), passages["corrections"]
        said = re.search(r"\(the forward pass.*\)", final).group(0)
        shown = NUMBER.findall(said.replace(f"epoch {len(trace.epochs)}'s", ""))
        assert len(set(shown)) == len(shown) != 0 or "was the same" in said, said
        assert float(trained) == pytest.approx(trace.final.loss, rel=1e-5, abs=1e-12)
    else:  # no epoch: nothing about a STEP 3 or a last epoch
        assert "STEP 3" not in final and "Note:" not in final
        assert "no STEP 3" in passages["corrections"] and "epoch" not in final.lower()

    # A promise that a change makes a weight learn, tried: with that input set to 1, the weight moves.
    for weight, input_ in re.findall(r"watch \$(\w)_(\d)\$ start to learn", passages["backward"]):
        moved = hnn.train(config.replace(**{f"x{input_}": 1.0}))
        assert moved.final[f"{weight}{input_}"] != config.leaves[f"{weight}{input_}"], name
