"""What runs inside a grading sandbox: one submission's cells, one after the other, each answer cell's answers taken
right after it ran, as plain data, and sent to the grader, which judges them outside.

The grader runs this file by its path with `python -I`, not as part of the hnn package: importing hnn would import
torch, seconds per submission, and nothing here needs it. So it imports the standard library alone at its top (and
IPython, to run cells as Jupyter does, in main()). The notebook's own checks describe an answer with answer() below
too, so that an answer is judged the same way in the student's notebook and by the grader.

The plan arrives as JSON on stdin:
    {"prelude": "import math", "cells": [{"source": ..., "task": "a", "kind": "value", "names": ["n", "o"]}, …,
               {"source": ..., "task": "g", "kind": "code", "names": ["softsign_slope"], "inputs": [[2.0], …],
                "outputs": 1, "seconds": 2}, …],
     "limits": {"cpu": seconds, "memory": bytes, "processes": count}}
where a cell without "task" is one of the student's own, and a task of kind "code" names the function its cell
defines, to be called on each of its inputs. One JSON line per message goes to the grader, on what was
stdout: {"ready": true} before the first cell, {"step": i, "task": ..., "error": ..., "answers": {...}} after each
answer cell, and {"done": true} at the end. What the cells print goes nowhere.
"""
import contextlib
import json
import math
import numbers
import os
import re
import reprlib
import signal
import sys
import threading

WIDTH = 40  # the most of an answer that feedback ever shows
_short = reprlib.Repr()  # a huge or long answer, such as 10**400, cut down to one line
_short.maxlong = _short.maxstring = _short.maxother = WIDTH
ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")  # in the repr of an object without one of its own


def printable(text: str, width: int = WIDTH) -> str:
    """text on one line, with every character that is not printable (newlines, bidirectional controls) escaped, cut to
    width."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)[:width]


def excerpt(value) -> str:
    """A short, one-line repr of any value: 10**5000 and an object whose repr raises are named by their type."""
    try:
        text = _short.repr(value)
    except BaseException:  # an int of more than 4300 digits has no repr; a student's __repr__ may raise anything
        text = f"<{type(value).__name__} that cannot be shown>"
    return printable(ADDRESS.sub("", text))  # the same answer, the same feedback: no memory address


def answer(value) -> dict:
    """An answer as plain data: {"number": x} for a real number a float holds (an int, a Fraction, a numpy float…, not
    True), {"placeholder": true} for the notebook's `...`, else {"shown": a short excerpt}."""
    if value is ...:
        return {"placeholder": True}
    try:
        if not isinstance(value, bool) and isinstance(value, numbers.Real):
            number = float(value)  # 10**400 raises OverflowError: not a number a float holds
            if math.isfinite(number):
                return {"number": number}
    except BaseException:  # whatever a student's number type raises, it is not a number here
        pass
    return {"shown": excerpt(value)}


class TimeUp(BaseException):
    """A student's function ran past its time: a BaseException, so that its own `except Exception` does not catch it."""


@contextlib.contextmanager
def _time_limit(seconds: float):
    """Raise TimeUp in what runs inside, once seconds of wall-clock time have passed. Only where a timer signal can
    interrupt it (the main thread of a Unix process, as a kernel's cells and the sandbox's are); elsewhere no limit."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def up(signum, frame):
        raise TimeUp

    previous = signal.signal(signal.SIGALRM, up)
    outer = signal.setitimer(signal.ITIMER_REAL, seconds)  # a timer already set (a test runner's) is set again after
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        signal.setitimer(signal.ITIMER_REAL, *outer)


def call(function, arguments: list, outputs: int) -> dict:
    """One call of a student's function, as plain data: {"returned": [answer(x) for each of its outputs]}, or
    {"shown": an excerpt} when it returns something else than `outputs` values, {"raised": "ErrorName: message"}."""
    try:
        value = function(*arguments)
    except (KeyboardInterrupt, TimeUp):  # the student stopping the kernel, or the time limit: not the function's error
        raise
    except BaseException as error:  # whatever the student's code raises, sys.exit() included, is its answer
        return {"raised": _raised(error)}
    if outputs == 1:
        return {"returned": [answer(value)]}
    if isinstance(value, (tuple, list)) and len(value) == outputs:
        return {"returned": [answer(v) for v in value]}
    return {"shown": excerpt(value)}


def called(function, inputs: list, outputs: int, seconds: float) -> dict:
    """A function a task asks for, as plain data: {"calls": [call() on each input]} up to the first that raised or ran
    out of its share of seconds (then {"timeout": true}); {"placeholder": true} or {"shown": …} for no function."""
    if function is ...:
        return {"placeholder": True}
    if not callable(function):
        return {"shown": excerpt(function)}
    calls = []
    try:
        with _time_limit(seconds):
            for arguments in inputs:
                calls.append(call(function, arguments, outputs))
                if "raised" in calls[-1]:
                    break
    except TimeUp:
        calls.append({"timeout": True})
    return {"calls": calls}


def values(namespace: dict, cell: dict) -> dict:
    """A task of kind "value": each of its names' answer as the cell left it; {"unset": true} for a name never set."""
    return {name: answer(namespace[name]) if name in namespace else {"unset": True} for name in cell["names"]}


def functions(namespace: dict, cell: dict) -> dict:
    """A task of kind "code": the function the cell defined, called on the plan's inputs."""
    return {name: called(namespace[name], cell["inputs"], cell["outputs"], cell["seconds"]) if name in namespace
            else {"unset": True} for name in cell["names"]}


# How each kind of task's answers are taken from what its cell left.
KINDS = {"value": values, "code": functions}


def _error(result) -> str | None:
    """What the cell raised, as `ErrorName: message`, cut short; None if it ran through."""
    error = result.error_before_exec or result.error_in_exec
    return None if error is None else _raised(error)


def _raised(error: BaseException) -> str:
    """An error as `ErrorName: message`, on one line, cut short."""
    try:
        message = str(error)
    except BaseException:
        message = ""
    return printable(f"{type(error).__name__}: {message}" if message else type(error).__name__, 2 * WIDTH)


def _limit(limits: dict) -> None:
    """The submission's limits, on this process and all it starts; set hard, so that no cell can raise them again."""
    try:
        import resource  # here, not at the top: the notebook's checks import this module on Windows too, which has none
    except ImportError:
        return
    cpu = math.ceil(limits["cpu"])
    for kind, value in ((resource.RLIMIT_CPU, (cpu, cpu + 1)),  # SIGXCPU, then SIGKILL a second later
                        (resource.RLIMIT_AS, (limits["memory"],) * 2),
                        (resource.RLIMIT_NPROC, (limits["processes"],) * 2),
                        (resource.RLIMIT_CORE, (0, 0))):
        try:
            resource.setrlimit(kind, value)
        except (ValueError, OSError):
            if sys.platform.startswith("linux"):  # where the sandbox runs, every limit must hold
                raise  # macOS refuses some (an address-space limit): there, --unsafe runs without them


def main() -> None:
    plan = json.loads(sys.stdin.buffer.read())
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8")  # the grader's end; os.dup's copy is not inherited by children
    quiet = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):  # the cells' input, output and errors: nothing, nowhere
        os.dup2(quiet, fd)
    encode = json.JSONEncoder(allow_nan=False).encode  # bound now: a cell that replaces json.dumps changes nothing here

    def report(message: dict) -> None:
        channel.write(encode(message) + "\n")
        channel.flush()

    _limit(plan["limits"])
    from IPython.core.interactiveshell import InteractiveShell  # cells run as in Jupyter: magics, `_`, display()
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False  # no history database
    shell = InteractiveShell.instance(config=config)
    shell.run_cell(plan["prelude"], store_history=False)
    report({"ready": True})
    for step, cell in enumerate(plan["cells"]):
        try:
            error = _error(shell.run_cell(cell["source"], store_history=True))
        except BaseException as raised:  # a cell that broke IPython itself, say by replacing print, which it uses
            error = printable(f"{type(raised).__name__}: {raised}", 2 * WIDTH)
        if "task" in cell:
            answers = {} if error else KINDS[cell["kind"]](shell.user_ns, cell)
            report({"step": step, "task": cell["task"], "error": error, "answers": answers})
    report({"done": True})


if __name__ == "__main__":
    main()
