"""A time limit counts the time the notebook had, not the time the machine spent on others.

In a deadline rush the sandboxes (at ``GRADING_NICE``) wait for the CPU while the site serves
pages: a cell that computes for well under its limit must not time out because it waited. A
notebook still cannot buy time: sleeping counts, its own threads queued behind each other
count, and the clock alone never passes three times the limit.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from grading.autograder.sandbox.clock import NotebookClock, Usage, tree_usage, wall_cap
from grading.autograder.sandbox.local import Limits, SandboxPair
from tests.grading.test_engine import grade

SQUARE = "def square(x):\n    return x * x\n"


def _computes(seconds: float) -> str:
    """An answer that computes for ``seconds`` of CPU time, then defines the function."""
    return ("import time\n_t = time.process_time()\n"
            f"while time.process_time() - _t < {seconds}:\n    pass\n" + SQUARE)


@pytest.fixture
def one_cpu():
    """This process and everything it starts on one CPU."""
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(before)})
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


@pytest.fixture
def one_busy_cpu(one_cpu):
    """The one CPU shared with a busy process at the default priority (in a session of its
    own: one scheduler group, as the site's processes are)."""
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"],  # noqa: S603
                           start_new_session=True)
    try:
        yield
    finally:
        hog.kill()
        hog.wait()


def _pair(nice: int):
    return lambda preload: SandboxPair(limits=Limits(nice=nice), preload=preload)


def _timed(answer: str, **kwargs):
    """The grade of ``answer`` and the seconds it took beyond grading a trivial answer the
    same way (the pair's start and end)."""
    started = time.monotonic()
    baseline = grade(SQUARE, **kwargs)
    assert baseline.status == "graded", baseline.message
    overhead = time.monotonic() - started
    started = time.monotonic()
    result = grade(answer, **kwargs)
    return result, time.monotonic() - started - overhead


needs_schedstat = pytest.mark.skipif(not os.path.exists("/proc/self/schedstat"),
                                     reason="this kernel keeps no scheduler statistics")


@needs_schedstat
def test_a_cell_that_waited_for_the_cpu_is_not_timed_out(one_busy_cpu):
    # Given a cell that computes for 0.6 s, limited to 1.5 s, in sandboxes that get about a
    # quarter of the one CPU they share with a busier process
    result, took = _timed(_computes(0.6), cell_timeout=1.5, timeout=6,
                          sandbox_factory=_pair(nice=5))
    # Then it is graded as on an idle machine, although it took longer than its limit
    assert (result.status, result.score) == ("graded", 3.0), result.message
    assert took > 1.5, f"the sandboxes were not starved ({took:.1f} s): nothing shown"


def test_a_sleeping_cell_still_times_out_on_time():
    result, took = _timed("import time\ntime.sleep(30)\n" + SQUARE, cell_timeout=1.0,
                          timeout=10)
    assert result.status == "timed_out"
    assert took < 1.0 + 1.0, f"{took:.1f} s"


@needs_schedstat
def test_a_cell_cannot_buy_time_by_queueing_its_own_threads(one_cpu):
    # Given a cell whose own threads keep each other waiting for the one CPU (three threads
    # and itself hashing, which runs outside the GIL; forking is refused in the sandbox)
    answer = ("import hashlib, threading, time\n"
              "_b = b'x' * (1 << 20)\n"
              "def _spin():\n"
              "    while True:\n"
              "        hashlib.sha256(_b).digest()\n"
              "for _ in range(3):\n"
              "    threading.Thread(target=_spin, daemon=True).start()\n"
              "_t = time.monotonic()\n"
              "while time.monotonic() - _t < 60:\n"
              "    hashlib.sha256(_b).digest()\n" + SQUARE)
    result, took = _timed(answer, cell_timeout=1.0, timeout=10, sandbox_factory=_pair(nice=0))
    # Then it times out at its limit: the time its threads queued behind each other is its
    # own computing (the wall-clock cap, three times the limit, is not reached)
    assert result.status == "timed_out"
    assert took < 1.0 + 1.0, f"{took:.1f} s"


@needs_schedstat
def test_however_starved_a_cell_ends_at_three_times_its_limit(one_cpu):
    # Given sandboxes that get almost nothing once started (nice 19 beside a busy process):
    # the cell's own clock barely moves
    hogs = []

    def starved_pair(preload):
        pair = SandboxPair(limits=Limits(nice=19), preload=preload)
        assert pair.wait_ready(timeout=60)
        hogs.append(subprocess.Popen([sys.executable, "-c", "while True: pass"],  # noqa: S603
                                     start_new_session=True))
        return pair

    started = time.monotonic()
    try:
        result = grade(_computes(30), cell_timeout=1.0, timeout=10,
                       sandbox_factory=starved_pair)
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    took = time.monotonic() - started
    # Then the wall clock ends it at three times its limit
    assert result.status == "timed_out"
    assert 3.0 <= took < 3.0 + 8.0, f"{took:.1f} s"


def _clock(*readings: Usage | None, seconds: float) -> NotebookClock:
    """A clock of a 30 s notebook with 30 s cells, ``seconds`` into a step."""
    values = iter(readings)
    clock = NotebookClock(lambda: next(values), timeout=30, cell_timeout=30)
    clock.step()
    clock.started -= seconds
    clock._step_started -= seconds
    return clock


def test_the_clock_credits_only_the_time_waited_beyond_the_pairs_own_computing():
    # 10 s on the clock: 0.5 s computed, 7 s waited for the CPU: charged 3 s
    clock = _clock(Usage(cpu=1.0, queued=2.0), Usage(cpu=1.5, queued=9.0), seconds=10)
    assert clock.more() == pytest.approx(27.0, abs=0.05)
    assert clock.charged() == pytest.approx(3.0, abs=0.05)
    # Its processes computed 9 s of the 10: the 8 s they queued were behind each other
    busy = _clock(Usage(cpu=0.0, queued=0.0), Usage(cpu=9.0, queued=8.0), seconds=10)
    assert busy.more() == pytest.approx(21.0, abs=0.05)
    # Processes out of sight: the wall clock
    unseen = _clock(None, seconds=4)
    assert unseen.more() == pytest.approx(26.0, abs=0.05)
    # However starved, the clock ends a 30 s step at 90 s
    starved = _clock(Usage(cpu=0.0, queued=0.0), Usage(cpu=0.1, queued=89.0), seconds=89.5)
    assert starved.more() == pytest.approx(0.5, abs=0.05)


def test_a_notebook_within_its_limits_reads_the_processes_once():
    reads = []

    def usage():
        reads.append(1)
        return Usage(cpu=0.0, queued=0.0)

    clock = NotebookClock(usage, timeout=30, cell_timeout=10)
    for _ in range(20):
        assert clock.step() == pytest.approx(10.0, abs=0.1)
        assert not clock.over()
    assert len(reads) == 1


def test_a_process_trees_cpu_time_is_read():
    child = subprocess.Popen([sys.executable, "-c",  # noqa: S603
                              "import time\nt = time.process_time()\n"
                              "while time.process_time() - t < 0.3: pass\n"
                              "print('computed', flush=True)\ntime.sleep(60)"],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "computed"
        usage = tree_usage([child.pid])
        assert usage is not None
        assert usage.cpu >= 0.25
        assert usage.queued >= 0.0
    finally:
        child.kill()
        child.wait()


def test_the_longest_notebook_ends_before_its_task_is_cut_or_taken_for_stuck(settings):
    # However starved, a notebook at the longest limit an assignment may have ends within the
    # grading task's soft time limit, and before the sweep sends its grading again
    from grading.models import Assignment
    from grading.services.grades import submission_autograde_task

    longest = Assignment._meta.get_field("time_limit_seconds").validators[-1].limit_value
    assert wall_cap(longest) + 60 <= submission_autograde_task.soft_time_limit
    assert wall_cap(longest) < longest + settings.GRADING_STUCK_AFTER_SECONDS
    assert wall_cap(10) == 30  # three times a short limit
