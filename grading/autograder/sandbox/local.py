"""The local backend: the runner in bubblewrap namespaces with rlimits.

No network (its own empty network namespace), its own pid/ipc/uts namespaces, uid 65534,
a read-only view of the Python installation only (nothing of the project, its data or the
environment), a private writable work directory, and rlimits on CPU time, memory, file size
and open files. The wall-clock limit is the grader's: it kills the process group.

The work directory and ``/tmp`` are tmpfs mounts of ``Limits.disk_bytes`` each, private to the
sandbox: learner code that writes many files fills its own quota (``ENOSPC``), never the
worker's disk, and nothing it writes outlives the sandbox. The host directory
(``LocalSandbox.workdir``) only hands the data files in, read-only at ``INBOX``; the runner
copies them into its work directory before any learner code runs.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import json
import logging
import os
import queue
import resource
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from grading.autograder.sandbox.cgroup import SandboxCgroup
from grading.autograder.sandbox.cgroup import sweep as cgroup_sweep
from grading.autograder.sandbox.clock import Usage, tree_usage
from grading.autograder.seccomp import SeccompUnavailable, base_program

logger = logging.getLogger(__name__)

INSIDE = Path(__file__).resolve().parent.parent / "inside"  # judge.py, learner.py, wire.py
ROLES = ("learner", "judge")
# Inside the sandbox; not under /work, where the project itself may live.
WORKDIR = "/home/grader"
INBOX = "/run/aimd-inbox"  # the learner's copy of this path is in inside/learner.py
MAX_LINE = 8 * 1024 * 1024  # a control line longer than this is a broken sandbox
MIN_EXTENSION = 0.05  # a wait extended by less than this has ended (seconds)
SHM_BYTES = 16 * 1024 * 1024  # /dev/shm, counted in the sandbox's memory like its disks
WORKDIR_PREFIX = "grade-"


class SandboxUnavailable(RuntimeError):
    """The sandbox could not be started (bubblewrap missing or refused)."""


@dataclass(frozen=True)
class Limits:
    """Limits of one sandbox (the judge and the learner process each get these).

    ``memory_bytes`` is the whole sandbox: the process's address space plus its tmpfs
    mounts (the work directory, ``disk_bytes``, ``/tmp``, ``tmp_bytes``, and ``/dev/shm``,
    ``SHM_BYTES``; ``/dev`` itself is read-only), so that
    nothing a submission does, in memory or on its disks, goes past it. Processes cannot be
    made at all (seccomp); ``threads`` caps the threads. ``nice`` is the sandbox's CPU
    priority (a nice value, never above the worker's own): under load the site's pages and
    the workers' own bookkeeping go first, and a submission that spins cannot slow down the
    people browsing (0 keeps the worker's priority).
    """

    cpu_seconds: int = 60
    memory_bytes: int = 2 * 1024 * 1024 * 1024
    file_bytes: int = 64 * 1024 * 1024
    open_files: int = 256
    disk_bytes: int = 512 * 1024 * 1024
    tmp_bytes: int = 64 * 1024 * 1024
    threads: int = 32
    nice: int = 10

    @property
    def address_space_bytes(self) -> int:
        left = self.memory_bytes - self.disk_bytes - self.tmp_bytes - SHM_BYTES
        if left < 256 * 1024 * 1024:
            raise SandboxUnavailable(
                "GRADING_MEMORY_BYTES must exceed GRADING_DISK_BYTES by at least 320 MiB "
                "(the sandbox's disks count against its memory)")
        return left


def _python_paths() -> list[str]:
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             str(Path(sys.executable).resolve().parent.parent)}
    return sorted(p for p in paths if p and Path(p).exists())


# Imported by the runners before anything is graded: shared start-up cost, paid while the
# sandbox waits in the pool instead of while a learner waits for a grade.
DEFAULT_PRELOAD = ("numpy", "pandas", "matplotlib", "matplotlib.pyplot", "sklearn")
# One thread for the math libraries: the thread cap and the CPU limit are per sandbox.
THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def bwrap_command(*, role: str, workdir: Path, preload: tuple[str, ...] = (),
                  limits: Limits = Limits(), link_fd: int = 3,
                  seccomp_fd: int | None = None, hidden: Path | None = None) -> list[str]:
    """The bubblewrap argv of a ``role`` runner ("learner" or "judge"). Data files come in
    read-only at ``INBOX`` and the runner copies them to its tmpfs work directory before
    anything runs: the visible ones for the learner, visible and hidden ones for the judge."""
    if role not in ROLES:
        raise ValueError(f"unknown sandbox role {role!r}")
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed")
    command = [
        # No ``--new-session``: the worker starts bubblewrap in a session of its own
        # (``start_new_session``, the same setsid), so the sandbox has no controlling
        # terminal to inject input into, and its scheduler group keeps the nice set for it.
        bwrap, "--die-with-parent", "--unshare-all",
        "--uid", "65534", "--gid", "65534", "--hostname", "grader",
        "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin",
        "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
        "--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache",
        "--ro-bind-try", "/etc/localtime", "/etc/localtime",
        "--ro-bind-try", "/etc/fonts", "/etc/fonts",
        # No /proc: nothing of the process table, and no /proc/self/mem.
        "--dev", "/dev", "--size", str(SHM_BYTES), "--tmpfs", "/dev/shm",  # noqa: S108
        "--remount-ro", "/dev",  # nothing unbounded to write to under /dev
        "--size", str(limits.tmp_bytes), "--tmpfs", "/tmp",  # noqa: S108 - inside
    ]
    for path in _python_paths():
        command += ["--ro-bind", path, path]
    command += ["--ro-bind", str(INSIDE), "/aimd"]
    command += ["--size", str(limits.disk_bytes), "--tmpfs", WORKDIR,
                "--ro-bind", str(workdir), INBOX]
    command += ["--chdir", WORKDIR, "--clearenv", "--setenv", "HOME", WORKDIR,
                "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "PYTHONDONTWRITEBYTECODE", "1",
                "--setenv", "LANG", "C.UTF-8"]
    for name in THREAD_ENV:
        command += ["--setenv", name, "1"]
    if seccomp_fd is not None:
        command += ["--seccomp", str(seccomp_fd)]
    command += [sys.executable, "-I", f"/aimd/{role}.py", ",".join(preload), str(link_fd)]
    return command


def _limit(limits: Limits, group: SandboxCgroup | None = None):
    address_space = limits.address_space_bytes

    def apply() -> None:
        if group is not None and group.active:
            group.enter()
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
        resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        # The nice value itself, as the setting names it (``os.nice`` would add it to the
        # worker's own: a worker started at nice 5 would run its sandboxes at 15); never
        # above the worker's priority. Bubblewrap and the runner inherit it; they cannot undo
        # it.
        if limits.nice > os.getpriority(os.PRIO_PROCESS, 0):
            os.setpriority(os.PRIO_PROCESS, 0, limits.nice)
        # Where the kernel groups each session's processes for the scheduler (autogroup,
        # on by default in Debian's and most kernels), a nice value only ranks a process
        # against its own session: the sandbox, a session of its own (``start_new_session``),
        # would have competed with the site's processes as an equal. Its group's nice makes
        # it yield to them too. Only ever lowered; no autogroup, nothing to do.
        if limits.nice > 0:
            with contextlib.suppress(OSError):
                with open("/proc/self/autogroup", "w") as autogroup:
                    autogroup.write(str(limits.nice))

    return apply


class PipeSandbox:
    """The protocol over the stdin/stdout pipes of ``self.process`` (a binary-mode Popen).

    Shared by the backends whose runner is reached through a client process (``docker run
    -i``, ``kubectl attach -i``). Lines are split here, from raw reads, so that two messages
    arriving in one read can never hide the second one from ``select``.
    """

    process: subprocess.Popen
    ready: bool = False
    _buffer: bytes = b""

    def begin(self, *, deadline: float) -> bool:
        """Get the runner going, where that takes a step (Kubernetes attaches); False if it
        cannot by ``deadline``."""
        return True

    def wait_ready(self, *, timeout: float) -> bool:
        if not self.ready:
            hello = self.receive(timeout=timeout)
            self.ready = bool(hello and hello.get("op") == "ready")
        return self.ready and self.process.poll() is None

    def send(self, message: dict) -> None:
        self.process.stdin.write(json.dumps(message).encode("utf-8") + b"\n")
        self.process.stdin.flush()

    def receive(self, *, timeout: float,
                extend: Callable[[], float] | None = None) -> dict | None:
        deadline = time.monotonic() + max(timeout, 0)
        fd = self.process.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([fd], [], [], max(left, 0))
            if not ready:
                more = extend() if extend is not None else 0.0
                if more < MIN_EXTENSION:
                    return None
                deadline = time.monotonic() + more  # the machine's load is not the cell's
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                return None  # the runner (or the client carrying it) has ended
            self._buffer += chunk
            if len(self._buffer) > MAX_LINE:
                return None  # no line of the protocol is this long: a broken sandbox
        line, self._buffer = self._buffer.split(b"\n", 1)
        try:
            message = json.loads(line)
        except (ValueError, RecursionError):  # not JSON, too deep, an int too long...
            return None
        return message if isinstance(message, dict) else None

    def start(self, *, seccomp: bytes, threads: int, timeout: float, **extra) -> None:
        """Hand the runner its kernel limits (and the judge its names); once it says
        "started", they are in force. SandboxUnavailable if it cannot."""
        self.send({"op": "start", "seccomp": base64.b64encode(seccomp).decode(),
                   "threads": threads, **extra})
        answer = self.receive(timeout=timeout)
        if not answer or answer.get("op") != "started":
            reason = (answer or {}).get("error") or "no answer"
            raise SandboxUnavailable(f"the grading sandbox could not confine itself: {reason}")

    def _close_pipes(self) -> None:
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass

    def _end_process(self) -> None:
        """Kill the client process's whole group (the runner, or the docker/kubectl client
        carrying it), wait for it and close its pipes."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait(timeout=10)
        self._close_pipes()


class LocalSandbox(PipeSandbox):
    """One runner (``role``) in one fresh sandbox with its own work directory; used for one
    submission, then killed (``kill`` also removes the work directory). ``link`` is its end
    of the socket to the other runner of the pair."""

    def __init__(self, *, role: str = "learner", limits: Limits | None = None,
                 preload: tuple[str, ...] = (), link: socket.socket) -> None:
        try:
            program = base_program()
        except SeccompUnavailable as exc:
            raise SandboxUnavailable(str(exc)) from exc
        self.role = role
        self.limits = limits or Limits()
        # The owner's pid in the name: ``sweep_stale`` knows a dead worker's leftovers.
        self._tmp = tempfile.TemporaryDirectory(prefix=f"{WORKDIR_PREFIX}{os.getpid()}-{role}-")
        self.workdir = Path(self._tmp.name) / "work"
        self.workdir.mkdir()
        self.workdir.chmod(0o755)  # the sandbox's uid 65534 reads the data files from here
        self.ready = False
        self.preload = tuple(preload)
        self.disk_bytes = self.limits.disk_bytes  # the engine checks data against it
        # The whole sandbox's tasks and memory (tmpfs included), where a cgroup can be made.
        self.group = SandboxCgroup(tasks=self.limits.threads + 8,
                                   memory_bytes=self.limits.memory_bytes,
                                   nice=self.limits.nice)
        read_end, write_end = os.pipe()
        try:
            os.write(write_end, program)  # a few hundred bytes: fits the pipe's buffer
            os.close(write_end)
            self.process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                bwrap_command(role=role, workdir=self.workdir, preload=self.preload,
                              limits=self.limits, link_fd=link.fileno(),
                              seccomp_fd=read_end),
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                preexec_fn=_limit(self.limits, self.group), start_new_session=True,
                pass_fds=(link.fileno(), read_end),
            )
        except OSError as exc:  # out of processes or file descriptors: the machine's fault
            self._tmp.cleanup()
            self.group.remove()
            raise SandboxUnavailable(f"the sandbox could not be started: {exc}") from exc
        finally:
            os.close(read_end)
            link.close()  # the child has its copy

    def halt(self) -> None:
        """Stop the runner and everything it started at once (SIGKILL to its group); ``kill``
        then reaps it and removes its directories."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def kill(self) -> None:
        self._end_process()
        self.group.remove()
        self._tmp.cleanup()


class SandboxPairBase:
    """What every backend's pair offers the engine: ``learner`` and ``judge`` (each a
    ``Sandbox``), started together, joined by a link the grader never relays, and used for
    one submission."""

    learner: PipeSandbox
    judge: PipeSandbox
    preload: tuple[str, ...] = ()

    def wait_ready(self, *, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        # Both runners get going first: the learner waits for the judge's link before it
        # says ready (Docker, Kubernetes).
        if not all(s.begin(deadline=deadline) for s in (self.learner, self.judge)):
            return False
        return (self.learner.wait_ready(timeout=timeout)
                and self.judge.wait_ready(timeout=max(deadline - time.monotonic(), 0.1)))

    def alive(self) -> bool:
        return all(s.process is not None and s.process.poll() is None
                   for s in (self.learner, self.judge))

    def usage(self) -> Usage | None:
        """What the pair's processes computed and waited for a CPU (``clock``); None where
        this backend runs them out of sight."""
        return None

    def kill(self) -> None:
        self.learner.kill()
        self.judge.kill()


class SandboxPair(SandboxPairBase):
    """The local backend's pair: two bubblewrap sandboxes joined by a socket pair."""

    def halt(self) -> None:
        self.learner.halt()
        self.judge.halt()

    def usage(self) -> Usage | None:
        return tree_usage([self.learner.process.pid, self.judge.process.pid])

    def __init__(self, *, limits: Limits | None = None, preload: tuple[str, ...] = ()) -> None:
        learner_end, judge_end = socket.socketpair()
        self.preload = tuple(preload)
        try:
            self.learner = LocalSandbox(role="learner", limits=limits, preload=preload,
                                        link=learner_end)
        except BaseException:
            judge_end.close()
            raise
        try:
            self.judge = LocalSandbox(role="judge", limits=limits, preload=preload,
                                      link=judge_end)
        except BaseException:
            self.learner.kill()
            raise


class Reaper:
    """Reaps used pairs off the grading path: ``dispose`` stops a pair's processes at once
    (nothing of the learner's runs after it returns) and leaves the waiting, the cgroup's
    removal and the directories (some 30 ms a pair, mostly waiting) to a thread, so the next
    grade starts without them. Backends without ``halt`` are killed in the caller, as
    before. One reaper per process, made where it is used (never before a fork)."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._pending = 0
        self._idle = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="sandbox-reaper", daemon=True)
        self._thread.start()

    def dispose(self, pair) -> None:
        halt = getattr(pair, "halt", None)
        if halt is None:
            pair.kill()
            return
        halt()
        with self._idle:
            self._pending += 1
        self._queue.put(pair)

    def _run(self) -> None:
        while True:
            pair = self._queue.get()
            try:
                pair.kill()
            except Exception:  # noqa: BLE001 - one pair's leftovers are swept later
                logger.exception("a used sandbox pair could not be cleaned up")
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until every pair handed in is reaped; False if ``timeout`` passed first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout=timeout)


_reaper: Reaper | None = None
_reaper_pid: int | None = None
_reaper_lock = threading.Lock()


def reaper() -> Reaper:
    """This process's reaper."""
    global _reaper, _reaper_pid
    with _reaper_lock:
        if _reaper is None or _reaper_pid != os.getpid():
            _reaper, _reaper_pid = Reaper(), os.getpid()
        return _reaper


def pair_dispose(pair) -> None:
    """End a used pair: its processes now, the rest in this process's reaper."""
    reaper().dispose(pair)


def reaper_drain(timeout: float = 30.0) -> bool:
    """Wait for this process's reaper to finish (at shutdown, and in tests)."""
    with _reaper_lock:
        current = _reaper if _reaper_pid == os.getpid() else None
    return True if current is None else current.drain(timeout)


atexit.register(reaper_drain)


def sweep_stale() -> None:
    """Remove what sandboxes of dead workers left (a worker killed with SIGKILL, or its whole
    machine, cleans up nothing): their host directories, named with the owner's pid, and
    their empty cgroups. Called when a pool starts."""
    for path in Path(tempfile.gettempdir()).glob(f"{WORKDIR_PREFIX}*-*-*"):
        owner = path.name[len(WORKDIR_PREFIX):].split("-", 1)[0]
        if not owner.isdigit() or _alive(int(owner)):
            continue
        shutil.rmtree(path, ignore_errors=True)
    cgroup_sweep()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class SandboxPool:
    """Sandbox pairs started ahead of time (runners up, libraries imported), each used once.

    A background thread keeps ``size`` of them ready; ``take`` hands one out at once, or
    starts one when none fits. One pool per worker process.

    What a pair imports ahead is what the notebooks being graded import, among the
    libraries ``allowed`` (the expensive ones: scikit-learn alone takes 0.6 s): ``take``
    says what the next notebook needs, any ready pair with at least that is used, and the
    pool refills with what was last asked for. A trivial notebook then costs a light pair,
    and a deadline rush on one assignment is served by pairs made for it.
    """

    def __init__(self, *, size: int = 2, limits: Limits | None = None,
                 preload: tuple[str, ...] = DEFAULT_PRELOAD) -> None:
        self.size, self.limits = size, limits
        self.allowed = tuple(preload)
        self.preload = tuple(preload)  # what the filler imports in new pairs
        self._ready: list[SandboxPair] = []
        self._lock = threading.Lock()
        self._closed = threading.Event()
        sweep_stale()
        self._filler = threading.Thread(target=self._fill, name="sandbox-pool", daemon=True)
        self._filler.start()

    def _start(self, preload: tuple[str, ...]) -> SandboxPair:
        return SandboxPair(limits=self.limits, preload=preload)

    def _fill(self) -> None:
        while not self._closed.is_set():
            with self._lock:
                missing = len(self._ready) < self.size
                preload = self.preload
            if not missing:
                self._closed.wait(0.02)
                continue
            try:
                pair = self._start(preload)
            except SandboxUnavailable:
                self._closed.wait(1)
                continue
            if pair.wait_ready(timeout=60):
                with self._lock:
                    self._ready.append(pair)
                    surplus = self._ready[:-self.size] if len(self._ready) > self.size else []
                    del self._ready[:len(surplus)]
                for old in surplus:
                    old.kill()
            else:
                pair.kill()
                self._closed.wait(1)  # do not spin when sandboxes cannot start

    def take(self, preload: tuple[str, ...] | None = None) -> SandboxPair:
        """A fresh pair that has imported at least ``preload`` (default: everything
        allowed); the pool's next pairs will import exactly that."""
        wanted = tuple(m for m in (self.allowed if preload is None else preload)
                       if m in self.allowed)
        with self._lock:
            if wanted != self.preload:
                self.preload = wanted
                # Pairs that imported less than needed are of no use any more.
                stale = [p for p in self._ready if not set(wanted) <= set(p.preload)]
                self._ready = [p for p in self._ready if p not in stale]
            else:
                stale = []
            chosen = None
            while self._ready:
                candidate = self._ready.pop(0)
                if candidate.alive():
                    chosen = candidate
                    break
                stale.append(candidate)
        for pair in stale:
            pair.kill()
        return chosen or self._start(wanted)

    def ready_count(self) -> int:
        with self._lock:
            return len(self._ready)

    def close(self) -> None:
        self._closed.set()
        self._filler.join(timeout=70)
        with self._lock:
            ready, self._ready = self._ready, []
        for pair in ready:
            pair.kill()
