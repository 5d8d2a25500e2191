"""The grading sandbox on its own: what a submission's cells can reach in it (nothing of the machine's but the Python
that runs hnn, read-only), its limits, and how an answer travels from it to the grader as plain, checked data."""
import math
import os
import socket
import threading
from fractions import Fraction

import numpy as np
import pytest

from hnn.classroom import capture, grade, sandbox
from tests.conftest import processes

needs_sandbox = pytest.mark.skipif(sandbox.unavailable() is not None,
                                   reason=f"no sandbox here: {sandbox.unavailable()} (scripts/install-system-deps adds bwrap)")


class Broken:
    def __float__(self):
        raise RuntimeError("no")

    def __repr__(self):
        raise RuntimeError("no")


@pytest.mark.parametrize("value, described", [
    (Fraction(5, 4), {"number": 1.25}),
    (np.float32(0.3), {"number": float(np.float32(0.3))}),
    (np.int64(3), {"number": 3.0}),
    (..., {"placeholder": True}),
    (True, {"shown": "True"}),
    (math.nan, {"shown": "nan"}),
    (10**400, {"shown": capture._short.repr(10**400)}),
    (10**5000, {"shown": "<int that cannot be shown>"}),
    (Broken(), {"shown": "<Broken instance>"}),
    (object(), {"shown": "<object object>"}),
    ("a\nb\u202ec", {"shown": "'a\\nb\\u202ec'"}),
    ("x" * 10**6, {"shown": "'" + "x" * 17 + "..." + "x" * 18 + "'"}),
], ids=lambda v: type(v).__name__)
def test_an_answer_travels_as_plain_data(value, described):
    assert capture.answer(value) == described
    assert len(capture.answer(value).get("shown", "")) <= capture.WIDTH


PLAN = [{"source": "n = 1.25\no = ...", "task": "a", "kind": "value", "names": ["n", "o"]},
        {"source": "x = 1"},
        {"source": "dL_db = 1 / 0", "task": "b", "kind": "value", "names": ["dL_db"]}]
GOOD = [{"ready": True},
        {"step": 0, "task": "a", "error": None, "answers": {"n": {"number": 1.25}, "o": {"placeholder": True}}},
        {"step": 2, "task": "b", "error": "ZeroDivisionError: division by zero", "answers": {}},
        {"done": True}]


def test_the_grader_takes_each_answer_cells_message_in_order():
    taken, misbehaved = grade.answers({"cells": PLAN}, GOOD)
    assert misbehaved is None
    assert taken == {"a": (None, {"n": {"number": 1.25}, "o": {"placeholder": True}}),
                     "b": ("ZeroDivisionError: division by zero", {"dL_db": None})}


@pytest.mark.parametrize("message", [
    {"step": 2, "task": "a", "error": None, "answers": {"n": {"number": 1}, "o": {"number": 1}}},  # not (a)'s cell
    {"step": 0, "task": "a", "error": None, "answers": {"n": {"number": 1}}},  # o missing
    {"step": 0, "task": "a", "error": None, "answers": {"n": 5, "o": [1]}},  # entries that are no objects
    {"step": 0, "task": "a", "error": None, "answers": {"n": {"number": True}, "o": {"number": 1}}},  # True is no number
    {"step": 0, "task": "a", "error": None, "answers": {"n": {"number": 1, "shown": "1"}, "o": {"number": 1}}},
    {"step": 0, "task": "a", "error": 3, "answers": {}},
    {"step": "0", "task": "a", "error": None, "answers": {}},
    {"step": 0, "task": "a", "error": None, "answers": {}, "points": 6},
    {"ready": True},
])
def test_any_other_message_stops_the_reading_and_keeps_what_came_before(message):
    taken, misbehaved = grade.answers({"cells": PLAN}, [GOOD[0], message, *GOOD[1:]])
    assert (taken, misbehaved) == ({}, grade.MISBEHAVED)


def test_a_later_step_cannot_come_before_an_earlier_one():
    taken, misbehaved = grade.answers({"cells": PLAN}, [GOOD[0], GOOD[2], GOOD[1]])
    assert taken == {"b": ("ZeroDivisionError: division by zero", {"dL_db": None})} and misbehaved == grade.MISBEHAVED


def test_a_shown_answer_is_cut_and_escaped_whatever_arrives():
    long = {"step": 0, "task": "a", "error": "E" * 500, "answers": {}}
    taken, _ = grade.answers({"cells": PLAN}, [GOOD[0], long])
    assert taken["a"][0] == "E" * 80
    shown = {"step": 0, "task": "a", "error": None, "answers": {"n": {"shown": "\x1b[31m" + "y" * 100}, "o": {"unset": True}}}
    taken, _ = grade.answers({"cells": PLAN}, [GOOD[0], shown])
    assert taken["a"][1] == {"n": {"shown": ("\\x1b[31m" + "y" * 100)[:40]}, "o": {"unset": True}}


PROBES = """
import os, socket, resource
def tried(action):
    try:
        action()
        return 1.0
    except BaseException:
        return 0.0
secret = tried(lambda: open({secret!r}).read())
folder = tried(lambda: os.listdir({folder!r}))
written = max(tried(lambda: open(path, 'w').write('x')) for path in ['/x', '/usr/x', {package!r}, '/proc/1/x'])
network = tried(lambda: socket.create_connection(('127.0.0.1', {port}), timeout=2))
grader = tried(lambda: os.kill({grader}, 0))
root = float(os.getuid() == 0 or os.geteuid() == 0)
token = float('HNN_TOKEN' in os.environ or {token!r} in str(os.environ))
memory = tried(lambda: bytearray(2 << 30))
files = tried(lambda: open('/tmp/big', 'wb').write(b'x' * (100 << 20)))
children = []
def fork():
    for _ in range(40):
        pid = os.fork()
        if pid == 0:
            import time
            time.sleep(5)
            os._exit(0)
        children.append(pid)
processes = tried(fork)
limit = float(resource.getrlimit(resource.RLIMIT_CPU)[1])
"""
NAMES = ["secret", "folder", "written", "network", "grader", "root", "token", "memory", "files", "processes", "limit"]


@needs_sandbox
def test_a_sandbox_reaches_nothing_it_should_not(tmp_path, monkeypatch):
    (tmp_path / "course.secret").write_text("s3cret" * 8)
    monkeypatch.setenv("HNN_TOKEN", "hnn-canary-token")
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        source = PROBES.format(secret=str(tmp_path / "course.secret"), folder=str(tmp_path), port=server.getsockname()[1],
                               package=str(sandbox.folders()[-1] / "x"), grader=os.getpid(), token="hnn-canary-token")
        plan = {"prelude": grade.PRELUDE, "cells": [{"source": source, "task": "a", "kind": "value", "names": NAMES}],
                "limits": sandbox.limits(30)}
        messages, stopped = sandbox.run(plan, 60, 0, threading.Event())
    assert stopped is None and messages[-1] == {"done": True}
    found = {name: entry["number"] for name, entry in messages[1]["answers"].items()}
    assert found == {**dict.fromkeys(NAMES, 0.0), "limit": 31.0}


@needs_sandbox
def test_the_time_limit_ends_a_sandbox_and_everything_in_it():
    plan = {"prelude": "", "cells": [{"source": "import subprocess\nsubprocess.Popen(['sleep', '600'])\nwhile True:\n    pass"}],
            "limits": sandbox.limits(30)}
    messages, stopped = sandbox.run(plan, 8, 0, threading.Event())
    assert (messages, stopped) == ([{"ready": True}], "did not finish within 8 s")
    assert not any("sleep 600" in line for line in processes())


def test_unsafe_runs_the_same_plan_without_a_sandbox():
    plan = {"prelude": grade.PRELUDE, "cells": PLAN, "limits": sandbox.limits(30)}
    messages, stopped = sandbox.run(plan, 60, 0, threading.Event(), unsafe=True)
    assert (messages, stopped) == (GOOD, None)
