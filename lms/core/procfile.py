"""``python -m lms.core.procfile [--env FILE] [--timeout S] PROCFILE [NAME ...]``: the demo's
processes (site, worker, beat, hub), started together and stopped together.

What honcho did for ``make demo``, with the one difference that matters: stopping is clean.
Ctrl-C reaches this runner alone (it takes the terminal's foreground, as a shell does for a
job, so ``make`` does not see the signal either); it then sends SIGINT to each process's own
process group (the worker's pool children and sandboxes included), once, and waits up to
``--timeout`` seconds for all of them before SIGTERM and, last, SIGKILL. It exits 0 when every
process stopped because it was asked to, 1 when one of them ended by itself (then the others
are stopped as after Ctrl-C) or had to be killed.

Without Django: it reads a Procfile (``name: command`` lines) and an env file (``KEY=value``
lines; the variables already set win, as in the settings) and nothing else.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

COLOURS = ("36", "33", "32", "35", "34", "31")


def procfile_read(path: Path) -> dict[str, str]:
    """The Procfile's processes by name, in file order (comments and blank lines skipped)."""
    processes = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, command = line.partition(":")
        if not sep or not name.strip() or not command.strip():
            raise ValueError(f"{path}:{number}: expected 'name: command', got {line!r}")
        processes[name.strip()] = command.strip()
    return processes


def env_file_read(path: Path) -> dict[str, str]:
    """``KEY=value`` lines of an env file (``#`` comments, optional quotes, ``export``)."""
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


@dataclass
class Process:
    name: str
    command: str
    colour: str
    popen: subprocess.Popen | None = None
    reader: threading.Thread | None = field(default=None, repr=False)


class Runner:
    """Starts the processes, prefixes their output with their names, stops them together."""

    def __init__(self, processes: dict[str, str], *, env: dict[str, str], timeout: float,
                 out=None) -> None:
        width = max(map(len, processes), default=6)
        self.width = max(width, len("system"))
        self.processes = [Process(name, command, COLOURS[i % len(COLOURS)])
                          for i, (name, command) in enumerate(processes.items())]
        self.env, self.timeout = env, timeout
        self.out = out or sys.stdout
        self.colour = self.out.isatty()
        self._print_lock = threading.Lock()
        self._stop = threading.Event()
        self.stop_reason: str | None = None

    # --- output ---------------------------------------------------------------------------
    def say(self, name: str, text: str, colour: str = "1") -> None:
        stamp = time.strftime("%H:%M:%S")
        prefix = f"{stamp} {name:<{self.width}} | "
        if self.colour:
            prefix = f"\033[{colour}m{prefix}\033[0m"
        with self._print_lock:
            self.out.write(prefix + text.rstrip("\n") + "\n")
            self.out.flush()

    def _pump(self, process: Process) -> None:
        for raw in process.popen.stdout:
            self.say(process.name, raw.decode("utf-8", "replace"), process.colour)

    # --- life cycle -----------------------------------------------------------------------
    def start(self) -> None:
        for process in self.processes:
            # A session of its own: the terminal's Ctrl-C never reaches it directly, and one
            # killpg reaches the process with everything it started.
            process.popen = subprocess.Popen(  # noqa: S602 - the Procfile's commands are shell lines
                process.command, shell=True, env=self.env, stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
            process.reader = threading.Thread(target=self._pump, args=(process,), daemon=True)
            process.reader.start()
            self.say("system", f"{process.name} started (pid {process.popen.pid})")

    def request_stop(self, reason: str) -> None:
        if self.stop_reason is None:
            self.stop_reason = reason
        self._stop.set()

    def _signal_all(self, signum: int) -> None:
        for process in self.processes:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.popen.pid, signum)

    def _groups_alive(self) -> list[Process]:
        alive = []
        for process in self.processes:
            try:
                os.killpg(process.popen.pid, 0)
            except ProcessLookupError:
                continue
            except PermissionError:
                pass
            alive.append(process)
        return alive

    def _wait_groups(self, deadline: float) -> list[Process]:
        while True:
            for process in self.processes:
                process.popen.poll()  # reap the leader so its group can empty
            alive = self._groups_alive()
            if not alive or time.monotonic() >= deadline:
                return alive
            time.sleep(0.1)

    def run(self) -> int:
        """Start, wait for Ctrl-C / SIGTERM or a process ending, stop everything; exit code."""
        self.start()
        ended_by_itself = None
        while not self._stop.wait(0.2):
            for process in self.processes:
                if process.popen.poll() is not None:
                    ended_by_itself = process
                    self.request_stop(f"{process.name} ended (exit code "
                                      f"{process.popen.returncode})")
                    break
        clean = ended_by_itself is None
        self.say("system", f"{self.stop_reason}: stopping every process (SIGINT)")
        self._signal_all(signal.SIGINT)
        alive = self._wait_groups(time.monotonic() + self.timeout)
        if alive:
            clean = False
            self.say("system", "still running after {:g}s: {} (SIGTERM)".format(
                self.timeout, ", ".join(p.name for p in alive)))
            self._signal_all(signal.SIGTERM)
            alive = self._wait_groups(time.monotonic() + 5)
        if alive:
            self.say("system", "killing " + ", ".join(p.name for p in alive))
            self._signal_all(signal.SIGKILL)
            self._wait_groups(time.monotonic() + 5)
        for process in self.processes:
            process.reader.join(timeout=2)
            self.say("system", f"{process.name} stopped (exit code {process.popen.returncode})")
        return 0 if clean else 1


@contextlib.contextmanager
def terminal_foreground():
    """Make this process the terminal's foreground job while it runs (as a shell does), so
    the terminal's Ctrl-C signals it and not ``make`` above it; the terminal is given back
    after. Without a terminal, nothing to do."""
    try:
        fd = os.open("/dev/tty", os.O_RDWR)
        previous = os.tcgetpgrp(fd)
    except OSError:
        yield
        return
    handler = signal.signal(signal.SIGTTOU, signal.SIG_IGN)  # we write to the tty's settings
    try:
        if previous != os.getpgrp():  # started in the background: leave the terminal alone
            yield
            return
        with contextlib.suppress(OSError):
            os.setpgid(0, 0)
        os.tcsetpgrp(fd, os.getpgrp())
        try:
            yield
        finally:
            with contextlib.suppress(OSError):
                os.tcsetpgrp(fd, previous)
    finally:
        signal.signal(signal.SIGTTOU, handler)
        os.close(fd)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lms.core.procfile", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("procfile", type=Path)
    parser.add_argument("names", nargs="*", help="the processes to run (default: all)")
    parser.add_argument("--env", type=Path, action="append", default=[],
                        help="an env file for the processes (repeatable; set variables win)")
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="seconds to wait for the processes after SIGINT (default 30)")
    args = parser.parse_args(argv)
    try:
        processes = procfile_read(args.procfile)
        env = {}
        for path in args.env:
            env.update(env_file_read(path))
    except (OSError, ValueError) as exc:
        parser.exit(2, f"error: {exc}\n")
    unknown = [name for name in args.names if name not in processes]
    if unknown:
        parser.exit(2, f"error: not in {args.procfile}: {', '.join(unknown)}\n")
    if args.names:
        processes = {name: processes[name] for name in args.names}
    env.update(os.environ)
    env.setdefault("PYTHONUNBUFFERED", "1")
    runner = Runner(processes, env=env, timeout=args.timeout)
    with terminal_foreground():
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, lambda s, _f: runner.request_stop(signal.Signals(s).name))
        return runner.run()


if __name__ == "__main__":
    sys.exit(main())
