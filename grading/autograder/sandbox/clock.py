"""What a time limit counts: the time a notebook had, not the time the machine spent on others.

The sandboxes run at a lower priority than the site (``GRADING_NICE``), so in a deadline rush
they wait for a CPU while the pages are served. A cell that needs 5 seconds of computing can
then take 40 on the clock, and a wall-clock limit would fail the learner for the machine's
load. A step is charged its wall-clock time less the time the pair's processes waited,
runnable, for a CPU that something else had (``/proc/<pid>/schedstat``) — but never less than
the CPU time they used themselves, so that a notebook cannot buy time by keeping its own
processes queued behind each other. Sleeping, reading and waiting on a child count in full,
as before.

However starved the sandboxes are, a step (and a notebook) ends once ``wall_cap`` of its
limit has passed on the clock: three times the limit, but never more than three minutes over
it, so that a machine that never frees up does not hold a worker forever, and the longest
notebook (600 s) still ends within the grading task's soft time limit (840 s) and before the
sweep takes its grading for stuck (its limit plus ``GRADING_STUCK_AFTER_SECONDS``, 300). Where the
processes cannot be seen (the Docker and Kubernetes backends run them elsewhere) or the
kernel keeps no scheduler statistics, the limits are the wall-clock ones.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
TICKS = os.sysconf("SC_CLK_TCK")
WALL_FACTOR = 3.0
WALL_EXTRA_MAX = 180.0  # seconds


def wall_cap(limit: float) -> float:
    """The wall-clock time after which a step or notebook limited to ``limit`` ends."""
    return limit + min((WALL_FACTOR - 1) * limit, WALL_EXTRA_MAX)


@dataclass(frozen=True)
class Usage:
    """Of a set of process trees, since they started: ``cpu``, the CPU seconds of their
    processes (with their children's, once reaped); ``queued``, the seconds their live tasks
    waited, runnable, for a CPU."""

    cpu: float
    queued: float


def _children(pid: int) -> list[int]:
    found = []
    try:
        tasks = os.listdir(PROC / str(pid) / "task")
    except OSError:
        return found
    for tid in tasks:
        try:
            found += [int(child) for child in
                      (PROC / str(pid) / "task" / tid / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return found


def _process(pid: int) -> tuple[float, float] | None:
    """(CPU seconds, queued seconds) of one process and its reaped children; None if gone."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
        tasks = os.listdir(PROC / str(pid) / "task")
    except OSError:
        return None
    # After "(comm)": the state is field 3; utime, stime, cutime, cstime are fields 14-17.
    fields = stat[stat.rindex(")") + 2:].split()
    cpu = sum(int(value) for value in fields[11:15]) / TICKS
    queued = 0
    for tid in tasks:
        try:
            queued += int((PROC / str(pid) / "task" / tid / "schedstat").read_text().split()[1])
        except (OSError, ValueError, IndexError):
            continue
    return cpu, queued / 1e9


def tree_usage(roots: list[int]) -> Usage | None:
    """The usage of the process trees under ``roots``; None where it cannot be read."""
    if not (PROC / "self" / "schedstat").exists():
        return None  # a kernel without scheduler statistics: wall-clock limits
    cpu = queued = 0.0
    seen: set[int] = set()
    pending = list(roots)
    while pending:
        pid = pending.pop()
        if pid in seen:
            continue
        seen.add(pid)
        process = _process(pid)
        if process is None:
            continue
        cpu += process[0]
        queued += process[1]
        pending += _children(pid)
    return Usage(cpu=cpu, queued=queued)


class NotebookClock:
    """The time a notebook, and each of its steps, is charged (see the module's docstring).

    ``usage`` reads the pair's processes (None: not visible, and the clock is the wall
    clock). It is read once at the start and then only when a limit is reached on the wall
    clock: a notebook that keeps within its limits costs one reading. A step's credit is what
    the notebook gained since the last reading before the step (so it may include an earlier
    step's waiting that nobody had claimed), never more than the step's own time.
    """

    def __init__(self, usage: Callable[[], Usage | None], *, timeout: float,
                 cell_timeout: float) -> None:
        self._usage = usage
        self.timeout = timeout
        self.cell_timeout = cell_timeout
        self.started = time.monotonic()
        self._base = usage()
        self._credit = 0.0
        self._step_started = self.started
        self._step_base = 0.0

    def wall(self) -> float:
        return time.monotonic() - self.started

    def _refresh(self) -> None:
        if self._base is None:
            return
        now = self._usage()
        if now is None:
            return
        waited = now.queued - self._base.queued
        idle = self.wall() - (now.cpu - self._base.cpu)  # not spent computing by the pair
        self._credit = max(self._credit, min(waited, idle))

    def charged(self) -> float:
        """The notebook's charged time, by the last reading."""
        return max(self.wall() - self._credit, 0.0)

    def over(self) -> bool:
        """Has the notebook used its limit (or its cap on the wall clock)?"""
        if self.wall() >= wall_cap(self.timeout) - 0.05:
            return True
        if self.charged() < self.timeout - 0.05:
            return False
        self._refresh()
        return self.charged() >= self.timeout - 0.05

    def step(self) -> float:
        """A step begins: how long to wait for it before asking ``more``."""
        self._step_started = time.monotonic()
        self._step_base = self._credit
        return max(min(self.cell_timeout, self.timeout - self.charged(),
                       wall_cap(self.timeout) - self.wall()), 0.1)

    def more(self) -> float:
        """The step's wait ran out: how much longer it may take (<= 0: it has timed out)."""
        self._refresh()
        step_wall = time.monotonic() - self._step_started
        step_charged = step_wall - min(self._credit - self._step_base, step_wall)
        return min(self.cell_timeout - step_charged, self.timeout - self.charged(),
                   wall_cap(self.cell_timeout) - step_wall,
                   wall_cap(self.timeout) - self.wall())
