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

import json
import os
import resource
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

RUNNER = Path(__file__).with_name("runner.py")
# Inside the sandbox; not under /work, where the project itself may live.
WORKDIR = "/home/grader"
INBOX = "/run/aimd-inbox"  # the runner's copy of this path is in runner.py


class SandboxUnavailable(RuntimeError):
    """The sandbox could not be started (bubblewrap missing or refused)."""


@dataclass(frozen=True)
class Limits:
    cpu_seconds: int = 60
    memory_bytes: int = 1024 * 1024 * 1024
    file_bytes: int = 64 * 1024 * 1024
    open_files: int = 256
    disk_bytes: int = 512 * 1024 * 1024  # each of the work directory and /tmp (tmpfs)


def _python_paths() -> list[str]:
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             str(Path(sys.executable).resolve().parent.parent)}
    return sorted(p for p in paths if p and Path(p).exists())


# Imported by the runner before learner code: shared start-up cost, paid while the sandbox
# waits in the pool instead of while a learner waits for a grade.
DEFAULT_PRELOAD = ("numpy", "pandas", "matplotlib", "matplotlib.pyplot", "sklearn")


def bwrap_command(*, workdir: Path, preload: tuple[str, ...] = (),
                  disk_bytes: int = Limits.disk_bytes) -> list[str]:
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        raise SandboxUnavailable("bubblewrap (bwrap) is not installed")
    command = [
        bwrap, "--die-with-parent", "--new-session", "--unshare-all",
        "--uid", "65534", "--gid", "65534", "--hostname", "grader",
        "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin",
        "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
        "--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache",
        "--ro-bind-try", "/etc/localtime", "/etc/localtime",
        "--ro-bind-try", "/etc/fonts", "/etc/fonts",
        # No /proc: learner code cannot read its own memory through /proc/self/mem (where
        # the grader's nonces live) nor see the process table.
        "--dev", "/dev", "--size", str(disk_bytes), "--tmpfs", "/tmp",  # noqa: S108 - inside
    ]
    for path in _python_paths():
        command += ["--ro-bind", path, path]
    command += [
        "--ro-bind", str(RUNNER), "/runner/runner.py",
        "--size", str(disk_bytes), "--tmpfs", WORKDIR, "--ro-bind", str(workdir), INBOX,
        "--chdir", WORKDIR,
        "--clearenv", "--setenv", "HOME", WORKDIR, "--setenv", "PATH", "/usr/bin:/bin",
        "--setenv", "PYTHONDONTWRITEBYTECODE", "1", "--setenv", "LANG", "C.UTF-8",
        sys.executable, "-I", "/runner/runner.py", ",".join(preload),
    ]
    return command


def _limit(limits: Limits):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
        resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

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

    def wait_ready(self, *, timeout: float) -> bool:
        if not self.ready:
            hello = self.receive(timeout=timeout)
            self.ready = bool(hello and hello.get("op") == "ready")
        return self.ready and self.process.poll() is None

    def send(self, message: dict) -> None:
        self.process.stdin.write(json.dumps(message).encode("utf-8") + b"\n")
        self.process.stdin.flush()

    def receive(self, *, timeout: float) -> dict | None:
        deadline = time.monotonic() + max(timeout, 0)
        fd = self.process.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([fd], [], [], max(left, 0))
            if not ready:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                return None  # the runner (or the client carrying it) has ended
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        try:
            message = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return None
        return message if isinstance(message, dict) else None

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
    """One runner in one fresh sandbox with its own work directory; used for one
    submission, then killed (``kill`` also removes the work directory)."""

    def __init__(self, *, limits: Limits | None = None, preload: tuple[str, ...] = ()) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="grade-")
        self.workdir = Path(self._tmp.name) / "work"
        self.workdir.mkdir()
        self.workdir.chmod(0o755)  # the sandbox's uid 65534 reads the data files from here
        self.ready = False
        self.preload = tuple(preload)
        self.disk_bytes = (limits or Limits()).disk_bytes  # the engine checks data against it
        try:
            self.process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                bwrap_command(workdir=self.workdir, preload=preload,
                              disk_bytes=self.disk_bytes),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                preexec_fn=_limit(limits or Limits()), start_new_session=True,
            )
        except OSError as exc:  # out of processes or file descriptors: the machine's fault
            self._tmp.cleanup()
            raise SandboxUnavailable(f"the sandbox could not be started: {exc}") from exc

    def kill(self) -> None:
        self._end_process()
        self._tmp.cleanup()


class SandboxPool:
    """Sandboxes started ahead of time (runner up, libraries imported), each used once.

    A background thread keeps ``size`` of them ready; ``take`` hands one out at once, or
    starts one when none fits. One pool per worker process.

    What a sandbox imports ahead is what the notebooks being graded import, among the
    libraries ``allowed`` (the expensive ones: scikit-learn alone takes 0.6 s): ``take``
    says what the next notebook needs, any ready sandbox with at least that is used, and the
    pool refills with what was last asked for. A trivial notebook then costs a 0.1 s
    sandbox, not a 1.3 s one, and a deadline rush on one assignment is served by sandboxes
    made for it.
    """

    def __init__(self, *, size: int = 2, limits: Limits | None = None,
                 preload: tuple[str, ...] = DEFAULT_PRELOAD) -> None:
        self.size, self.limits = size, limits
        self.allowed = tuple(preload)
        self.preload = tuple(preload)  # what the filler imports in new sandboxes
        self._ready: list[LocalSandbox] = []
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._filler = threading.Thread(target=self._fill, name="sandbox-pool", daemon=True)
        self._filler.start()

    def _start(self, preload: tuple[str, ...]) -> LocalSandbox:
        return LocalSandbox(limits=self.limits, preload=preload)

    def _fill(self) -> None:
        while not self._closed.is_set():
            with self._lock:
                missing = len(self._ready) < self.size
                preload = self.preload
            if not missing:
                self._closed.wait(0.02)
                continue
            sandbox = self._start(preload)
            if sandbox.wait_ready(timeout=60):
                with self._lock:
                    self._ready.append(sandbox)
                    surplus = self._ready[:-self.size] if len(self._ready) > self.size else []
                    del self._ready[:len(surplus)]
                for old in surplus:
                    old.kill()
            else:
                sandbox.kill()
                self._closed.wait(1)  # do not spin when sandboxes cannot start

    def take(self, preload: tuple[str, ...] | None = None) -> LocalSandbox:
        """A fresh sandbox that has imported at least ``preload`` (default: everything
        allowed); the pool's next sandboxes will import exactly that."""
        wanted = tuple(m for m in (self.allowed if preload is None else preload)
                       if m in self.allowed)
        with self._lock:
            if wanted != self.preload:
                self.preload = wanted
                # Sandboxes that imported less than needed are of no use any more.
                stale = [s for s in self._ready if not set(wanted) <= set(s.preload)]
                self._ready = [s for s in self._ready if s not in stale]
            else:
                stale = []
            chosen = None
            while self._ready:
                candidate = self._ready.pop(0)
                if candidate.process.poll() is None:
                    chosen = candidate
                    break
                stale.append(candidate)
        for sandbox in stale:
            sandbox.kill()
        return chosen or self._start(wanted)

    def ready_count(self) -> int:
        with self._lock:
            return len(self._ready)

    def close(self) -> None:
        self._closed.set()
        self._filler.join(timeout=70)
        with self._lock:
            ready, self._ready = self._ready, []
        for sandbox in ready:
            sandbox.kill()
