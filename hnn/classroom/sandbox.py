"""A sandbox for one submission, made with bubblewrap (bwrap, from the distribution): the process that runs its cells
(capture.py) sees the Python that runs hnn, read-only, an empty /tmp of its own and nothing else of the machine.

It gets a fresh pid, network, IPC and UTS namespace: no network, no other process to see or signal, and when its first
process ends the kernel ends every other one it started, whatever session it made. Its limits: the time, kept by the
grader, which the sandbox cannot see, pause or signal; CPU seconds, address space per process, processes (threads
count), all set as hard limits before any cell runs; 64 MB of files; 1 MB of messages to the grader; what the cells
print goes to /dev/null. Run by root, bwrap mounts as root and the cells run as a uid of their own, one per parallel
slot, with no capabilities; run by anyone else, bwrap makes a user namespace, in which the cells' processes count alone
against the process limit.
"""
from __future__ import annotations

import contextlib
import functools
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import hnn
from hnn.classroom import capture
from hnn.classroom.links import NOTEBOOKS

MEMORY = 1 << 30  # bytes of address space per process: torch imports in 0.7 GB
PROCESSES = 16  # processes and threads together; the cells' own numeric libraries are held to one thread each
SCRATCH = 64 << 20  # bytes of files in its /tmp, its home
CHANNEL = 1 << 20  # bytes of messages to the grader: a dozen short lines are all it needs
UID = 2_000_000_000  # run by root: the uid of the sandbox in slot 0; slot k runs as UID + k. No account uses these.
HOME = "/tmp"


def environment(home: str) -> dict[str, str]:
    """All the cells see of environment variables: nothing of the grader's own."""
    return {"HOME": home, "TMPDIR": home, "IPYTHONDIR": f"{home}/.ipython", "MPLCONFIGDIR": f"{home}/.matplotlib",
            "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "MPLBACKEND": "Agg",
            "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}  # threads count as processes

INSTALL = "Debian, Ubuntu: apt-get install bubblewrap; Fedora: dnf install bubblewrap"

_live: dict[subprocess.Popen, int | None] = {}  # the sandboxes running now, for kill_all(), and their first pids
_live_lock = threading.Lock()


def folders() -> list[Path]:
    """What a sandbox reads: the Python that runs hnn (its installation, the environment's packages) and hnn itself,
    where it is not among them (an editable install)."""
    found = {Path(p).resolve() for p in (sys.base_prefix, sys.prefix, Path(hnn.__file__).parent, NOTEBOOKS)}
    return sorted(path for path in found if not any(other in path.parents for other in found))


def visible(path: Path) -> Path | None:
    """The folder of folders() that holds path, if a sandbox could read it."""
    resolved = Path(path).resolve()
    return next((folder for folder in folders() if folder == resolved or folder in resolved.parents), None)


def _mounts() -> list[str]:
    """bwrap's arguments for the file system: the system's /usr and its links, the dynamic linker's cache, the Python
    folders read-only (each folder above them made readable), /proc, a minimal /dev, and an empty /tmp."""
    args = ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    if os.path.isfile("/etc/ld.so.cache"):  # where the libraries in /usr/lib/<architecture> are found
        args += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    made = set()
    for folder in folders():
        if folder.parts[1] == "usr":
            continue
        for above in reversed(folder.parents[:-1]):  # bwrap would make them 0700: unreadable for the sandbox's uid
            if above not in made:
                args += ["--perms", "0755", "--dir", str(above)]
                made.add(above)
        args += ["--ro-bind", str(folder), str(folder)]
    return args + ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--size", str(SCRATCH), "--tmpfs", HOME,
                   "--remount-ro", "/", "--chdir", HOME]


def command(slot: int, info: int | None = None) -> list[str]:
    """The command that runs capture.py in a sandbox of its own; bwrap writes the pid of the sandbox's first process
    to the file descriptor info."""
    args = ["bwrap", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--new-session", "--clearenv", *(["--info-fd", str(info)] if info is not None else [])]
    for name, value in environment(HOME).items():
        args += ["--setenv", name, value]
    args += _mounts()
    if os.geteuid() == 0:  # bwrap mounts as root; the cells run as a uid of their own, without root's rights
        uid = str(UID + slot)
        args += ["--", "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all",
                 "--bounding-set=-all", "--no-new-privs"]
    else:
        args[1:1] = ["--unshare-user"]
        args += ["--"]
    return args + [sys.executable, "-I", capture.__file__]


@functools.cache
def unavailable() -> str | None:
    """Why no sandbox can be made on this machine, in a few words; None where one can."""
    if not sys.platform.startswith("linux"):
        return f"grading in a sandbox needs Linux and bubblewrap, and this is {sys.platform}"
    if shutil.which("bwrap") is None:
        return f"grading in a sandbox needs bubblewrap (bwrap), which is not installed ({INSTALL})"
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        return "grading as root needs setpriv (util-linux), which is not installed"
    trial = command(0)
    trial[-2:] = ["-c", "pass"]  # Python started in the sandbox, and nothing else
    try:
        done = subprocess.run(trial, stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    except subprocess.TimeoutExpired:
        return "bubblewrap did not start a sandbox within 60 s"
    if done.returncode:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines() or [f"exit status {done.returncode}"]
        return f"bubblewrap cannot make a sandbox here: {said[0][:200]}"
    return None


def limits(seconds: float) -> dict:
    return {"cpu": seconds, "memory": MEMORY, "processes": PROCESSES}


def run(plan: dict, seconds: float, slot: int, stopping: threading.Event,
        unsafe: bool = False) -> tuple[list[dict], str | None]:
    """Run a plan (see capture.py) in a sandbox, or with --unsafe as a plain process of this user, for at most
    seconds: the messages it sent, in order, and what stopped it early (None when it ran to its end). Once stopping
    is set (and kill_all() called), no sandbox runs on."""
    with tempfile.TemporaryDirectory(prefix="hnn-grade-") as home:  # the home of an unsafe run; a sandbox has its own
        info, told = os.pipe()
        if unsafe:  # the cells get this user's rights: only an empty folder of their own and the limits set them apart
            args, cwd, env = [sys.executable, "-I", capture.__file__], home, environment(home)
        else:
            args, cwd, env = command(slot, told), "/", {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        deadline = time.monotonic() + seconds
        try:
            process = subprocess.Popen(args, cwd=cwd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                       stderr=subprocess.DEVNULL, pass_fds=() if unsafe else (told,),
                                       start_new_session=True)  # Ctrl-C in a terminal: the grader's alone
        finally:
            os.close(told)
        with _live_lock:
            _live[process] = None
        try:
            if stopping.is_set():  # set, and kill_all() done, while this one was starting: it goes at once
                return [], "was stopped with the grading"
            first = None if unsafe else _first(info, deadline)
            with _live_lock:
                _live[process] = first
            with contextlib.suppress(BrokenPipeError):  # it died at once: its messages say so
                process.stdin.write(json.dumps(plan).encode("utf-8"))
                process.stdin.close()
            messages, stopped = _read(process, deadline, seconds)
            if stopped is None:  # it said done: it may still be ending
                try:
                    status = process.wait(max(deadline - time.monotonic(), 0.1))
                    stopped = _ended(status, seconds) if status else None
                except subprocess.TimeoutExpired:
                    stopped = f"did not finish within {seconds:g} s"
        finally:
            os.close(info)
            with _live_lock:
                first = _live.pop(process)
            _kill(process, first)
    return messages, stopped


def _first(info: int, deadline: float) -> int | None:
    """The pid of the sandbox's first process, from the JSON that bwrap writes to --info-fd once it has started it."""
    data = b""
    with selectors.DefaultSelector() as selector:
        selector.register(info, selectors.EVENT_READ)
        while selector.select(max(deadline - time.monotonic(), 0)):
            chunk = os.read(info, 4096)
            if not chunk:
                break
            data += chunk
    try:
        return int(json.loads(data)["child-pid"])
    except (ValueError, KeyError, TypeError):
        return None


def _read(process: subprocess.Popen, deadline: float, seconds: float) -> tuple[list[dict], str | None]:
    """The messages, one JSON object a line, until the sandbox closes its end, the time is up or it sends too much."""
    messages, pending, total = [], b"", 0
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return messages, f"did not finish within {seconds:g} s"
            if not selector.select(left):
                continue
            chunk = os.read(process.stdout.fileno(), 65536)
            if not chunk:  # every process in the sandbox is gone
                return messages, None if messages and messages[-1] == {"done": True} else _ended(process.wait(), seconds)
            total += len(chunk)
            if total > CHANNEL:
                return messages, f"sent the grader more than {CHANNEL >> 20} MB"
            *lines, pending = (pending + chunk).split(b"\n")
            for line in lines:
                try:
                    message = json.loads(line, parse_constant=_reject)
                except (ValueError, RecursionError):
                    message = None
                if not isinstance(message, dict):
                    return messages, "sent the grader something that is not its answers"
                messages.append(message)


def _reject(constant: str):
    raise ValueError(f"{constant} is not an answer")  # NaN and Infinity: capture.py never sends them


def _ended(status: int, seconds: float) -> str:
    """Why the sandbox ended before its last cell, from its exit status (bwrap's is 128 + a signal that killed it)."""
    signum = -status if status < 0 else status - 128 if status > 128 else 0
    if signum == signal.SIGXCPU:
        return f"used up its {seconds:g} s of CPU time"
    if signum in signal.valid_signals():
        return f"was ended by {signal.Signals(signum).name} before its last cell"
    return f"stopped before its last cell (exit status {status})"


def _kill(process: subprocess.Popen, first: int | None) -> None:
    """The sandbox and everything in it, gone when this returns. Its first process goes first: the kernel then ends
    every other process of its pid namespace before that one's end is reported, and bwrap, which waits for it, ends
    last. Its session's group goes too, and with --unsafe that is all there is."""
    if first is not None and process.poll() is None:  # while bwrap lives, it has not reaped its child: the pid is its
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(first, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(30)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.kill()
    process.wait()
    process.stdout.close()


def kill_all() -> None:
    """Every sandbox running now, at once: Ctrl-C or SIGTERM stopped the grading. Each run() then returns, once its
    sandbox is gone."""
    with _live_lock:
        for process, first in list(_live.items()):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                if first is not None and process.poll() is None:
                    os.kill(first, signal.SIGKILL)  # bwrap then ends, once its namespace is empty
                else:
                    os.killpg(process.pid, signal.SIGKILL)
