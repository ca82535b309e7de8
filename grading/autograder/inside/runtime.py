"""What both runners share: the grader's channel, start-up (shared imports, data files, the
kernel's limits, set by a runner on itself before anything it runs can act), output sinks.

``confine`` installs the grader's seccomp program (built outside the sandbox by
``grading.autograder.seccomp``, handed in as bytes) on every thread of the process
(``SECCOMP_FILTER_FLAG_TSYNC``), and caps the number of threads (``RLIMIT_NPROC``, counted
per user in the sandbox's own user namespace). Once set, neither can be undone by the process:
the kernel enforces them, whatever code runs later (docs/grading-engine.md).
"""

from __future__ import annotations

import base64
import ctypes
import io
import json
import os
import platform
import resource
import sys

PR_SET_NO_NEW_PRIVS = 38
SECCOMP_SET_MODE_FILTER = 1
SECCOMP_FILTER_FLAG_TSYNC = 1
SECCOMP_SYSCALL = {"x86_64": 317, "aarch64": 277}
INBOX = "/run/aimd-inbox"  # the local backend hands data files in here, read-only


class _Filter(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def install_seccomp(program: bytes) -> None:
    """Load the BPF ``program`` (8-byte instructions) on all threads; OSError on failure."""
    if not program or len(program) % 8:
        raise OSError("the seccomp program is empty or malformed")
    number = SECCOMP_SYSCALL.get(platform.machine())
    if number is None:
        raise OSError(f"seccomp is not wired for {platform.machine()}")
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    buffer = ctypes.create_string_buffer(program, len(program))
    prog = _Filter(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    result = libc.syscall(ctypes.c_long(number), ctypes.c_long(SECCOMP_SET_MODE_FILTER),
                          ctypes.c_long(SECCOMP_FILTER_FLAG_TSYNC), ctypes.byref(prog))
    if result != 0:
        raise OSError(ctypes.get_errno(), f"seccomp() failed ({result})")


def cap_threads(limit: int) -> None:
    """At most ``limit`` tasks (threads; processes are refused outright) for this user."""
    resource.setrlimit(resource.RLIMIT_NPROC, (limit, limit))


def confine(*, seccomp: bytes, threads: int) -> None:
    install_seccomp(seccomp)
    cap_threads(threads)


def copy_inbox() -> None:
    """Copy the data files the local backend handed in into the working directory (a tmpfs
    of the sandbox's own). Docker and Kubernetes put them in the working directory."""
    import shutil

    if not os.path.isdir(INBOX):
        return
    for name in os.listdir(INBOX):
        source = os.path.join(INBOX, name)
        if os.path.isdir(source):
            shutil.copytree(source, name, dirs_exist_ok=True)
        else:
            shutil.copyfile(source, name)


class Control:
    """The grader's channel: one JSON object per line, in on stdin and out on stdout. The
    runner keeps private copies of both; descriptors 0-2 then point to /dev/null, so nothing
    printed can pass for a line of the protocol."""

    def __init__(self) -> None:
        self.input = os.fdopen(os.dup(0), "r", encoding="utf-8")
        self.output = os.dup(1)
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)

    def say(self, message: dict) -> None:
        view = memoryview((json.dumps(message, ensure_ascii=True) + "\n").encode())
        while view:
            view = view[os.write(self.output, view):]

    def read(self) -> dict | None:
        """The next command; None when the grader has gone."""
        line = self.input.readline()
        return json.loads(line) if line else None


def preload(names: str) -> None:
    """Import the comma-separated ``names`` (shared start-up work, done while the sandbox
    waits in the pool); a missing library only costs speed later."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    for name in filter(None, names.split(",")):
        try:
            __import__(name)
        except Exception:  # noqa: BLE001, S112
            continue


def ipython_shell(user_ns: dict | None = None):
    """IPython's shell without history or rich output (plain text is what feedback shows),
    on ``user_ns`` when given (the judge's namespace: magics in tests run there)."""
    from IPython.core.interactiveshell import InteractiveShell

    class Shell(InteractiveShell):
        def enable_gui(self, gui=None):
            """``%matplotlib inline`` and friends: figures are made with the Agg backend
            here, there is no GUI event loop to start."""

        def init_completer(self):
            """No tab completion in a graded run (importing the completer alone cost a
            quarter of the shell's start)."""
            self.Completer = None

    options = {"user_ns": user_ns} if user_ns is not None else {}
    shell = Shell.instance(colors="NoColor", history_length=0, **options)
    shell.history_manager.enabled = False
    shell.display_formatter.active_types = ["text/plain"]
    return shell


def start(control: Control) -> dict:
    """Say "ready", wait for the grader's "start", copy the data files in and confine this
    process; the start message is returned. Any failure ends the process (nothing has run)."""
    control.say({"op": "ready"})
    message = control.read()
    if not message or message.get("op") != "start":
        os._exit(0)
    try:
        copy_inbox()
        confine(seccomp=base64.b64decode(message["seccomp"]), threads=message["threads"])
    except Exception as error:  # noqa: BLE001 - the grader reports it
        control.say({"op": "failed", "error": describe(error)})
        os._exit(1)
    control.say({"op": "started"})
    return message


def arguments() -> tuple[str, int]:
    """``PRELOAD LINK`` from the command line; the link is a descriptor number (the local
    backend hands in its end of a socket pair), or ``listen:PATH`` / ``connect:PATH``: a Unix
    socket in a directory both containers of a pair mount (Docker, Kubernetes), which the
    learner listens on and the judge connects to. Either way the descriptor is returned."""
    preload = sys.argv[1] if len(sys.argv) > 1 else ""
    link = sys.argv[2] if len(sys.argv) > 2 else "3"
    if link.isdigit():
        return preload, int(link)
    return preload, _unix_link(link)


LINK_WAIT = 60.0


def _unix_link(spec: str) -> int:
    import socket
    import time

    mode, _, path = spec.partition(":")
    if mode == "listen":
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(path)
        server.listen(1)
        server.settimeout(LINK_WAIT)
        connection, _address = server.accept()
        server.close()
        os.unlink(path)  # nobody else may connect: the path is gone once the judge is in
    elif mode == "connect":
        deadline = time.monotonic() + LINK_WAIT
        while True:
            connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                connection.connect(path)
                break
            except OSError:
                connection.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
    else:
        raise SystemExit(f"unknown link {spec!r}")
    connection.settimeout(None)
    return connection.detach()


OUTPUT_CAP = 20_000


class Sink(io.TextIOBase):
    """sys.stdout / sys.stderr while a cell or test runs: text up to OUTPUT_CAP, and whether
    anything was written at all (nbgrader fails a test that wrote to stderr)."""

    def __init__(self) -> None:
        self.parts, self.size, self.written = [], 0, False

    def writable(self) -> bool:
        return True

    def write(self, text) -> int:
        text = str(text)
        if text:
            self.written = True
        if self.size < OUTPUT_CAP:
            piece = text[: OUTPUT_CAP - self.size]
            self.parts.append(piece)
            self.size += len(piece)
        return len(text)

    def text(self) -> str:
        return "".join(self.parts)[:OUTPUT_CAP]


class captured:  # noqa: N801 - used as a context manager, like contextlib's
    """``with captured() as (stdout, stderr):`` swaps sys.stdout and sys.stderr for sinks."""

    def __enter__(self) -> tuple[Sink, Sink]:
        self.saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = self.sinks = Sink(), Sink()
        return self.sinks

    def __exit__(self, *exc) -> None:
        sys.stdout, sys.stderr = self.saved


def describe(error: BaseException) -> str:
    """``"Type: message"`` of an exception, at most 2,000 characters."""
    try:
        text = f"{type(error).__name__}: {error}"
    except BaseException:  # noqa: BLE001 - a learner's __str__ may raise
        text = type(error).__name__ if isinstance(type(error).__name__, str) else "error"
    return text[:2000]
