"""The local sandboxes run learner code at a lower CPU priority than the site and the worker:
under a deadline rush the pages go first, and a submission that spins cannot slow down the
people browsing. The priority is inherited by everything inside and cannot be raised back
(an unprivileged process may only lower its own)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

from grading.autograder.sandbox import cgroup
from grading.autograder.sandbox.local import Limits, SandboxPair
from grading.workers import sandbox_limits


def _tree(pid: int) -> list[int]:
    """The process and all its descendants (bubblewrap forks the runner inside)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").iterdir():
            children = (task / "children").read_text().split()
            todo.extend(int(c) for c in children)
    return found


def test_every_process_of_both_sandboxes_runs_at_the_lower_priority():
    # (the worker's own priority as it is: a test runner may itself run under nice)
    worker = os.getpriority(os.PRIO_PROCESS, 0)
    # Given a pair started with nice 7, ready to grade
    pair = SandboxPair(limits=Limits(nice=7))
    try:
        assert pair.wait_ready(timeout=60)
        # Then bubblewrap and the runners inside it, learner and judge, all run at nice 7
        # (or the worker's own, when it is lower still)
        for sandbox in (pair.learner, pair.judge):
            processes = _tree(sandbox.process.pid)
            assert len(processes) >= 2  # bubblewrap and the runner it started
            assert {os.getpriority(os.PRIO_PROCESS, p) for p in processes} == {max(7, worker)}
        # And the worker itself keeps its own priority
        assert os.getpriority(os.PRIO_PROCESS, 0) == worker
    finally:
        pair.kill()


def test_nice_zero_keeps_the_workers_priority():
    worker = os.getpriority(os.PRIO_PROCESS, 0)
    pair = SandboxPair(limits=Limits(nice=0))
    try:
        assert pair.wait_ready(timeout=60)
        assert os.getpriority(os.PRIO_PROCESS, pair.learner.process.pid) == worker
    finally:
        pair.kill()


@pytest.mark.parametrize(("worker", "nice", "sandbox"), [(0, 10, 10), (5, 10, 10), (3, 7, 7),
                                                          (12, 10, 12)])
def test_the_nice_is_the_sandboxes_own_whatever_the_workers(worker, nice, sandbox):
    # Given a worker that runs at nice ``worker`` (systemd's Nice=, a niced CI runner)
    # When a sandbox's limits are applied in its child (as Popen's preexec_fn does)
    code = ("import os; from grading.autograder.sandbox.local import Limits, _limit; "
            f"_limit(Limits(nice={nice}))(); print(os.getpriority(os.PRIO_PROCESS, 0))")
    base = os.getpriority(os.PRIO_PROCESS, 0)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True,
        cwd=Path(__file__).resolve().parents[2],
        preexec_fn=lambda: os.nice(max(worker - base, 0)))  # noqa: PLW1509 - a test's child
    # Then the sandbox runs at that nice value, not at the worker's plus it; never above the
    # worker's priority
    assert int(result.stdout) == max(sandbox, base)


@override_settings(GRADING_NICE=12)
def test_the_worker_takes_the_priority_from_the_settings():
    assert sandbox_limits().nice == 12


def test_cgroup_v2_with_the_cpu_controller_gives_the_sandboxes_the_weight_of_their_nice(
        tmp_path, monkeypatch):
    # Given a cgroup v2 hierarchy whose root has the cpu controller (as systemd sets it up):
    # a directory laid out like /sys/fs/cgroup, since this machine may have v1
    (tmp_path / "cgroup.controllers").write_text("cpu pids memory\n")
    parent = tmp_path / cgroup.PARENT
    parent.mkdir()
    (parent / "cpu.weight").write_text("100\n")
    monkeypatch.setattr(cgroup, "ROOT", tmp_path)
    # When a sandbox's group is made with nice 10
    group = cgroup.SandboxCgroup(tasks=40, memory_bytes=2**30, nice=10)
    # Then the sandboxes' parent competes with the weight nice 10 has among processes
    assert group.active
    assert (parent / "cpu.weight").read_text() == "11"
    assert cgroup.cpu_weight(0) == 100
    assert (group.paths[0] / "pids.max").read_text() == "40"


def test_a_worker_started_again_with_nice_zero_gives_the_sandboxes_their_weight_back(
        tmp_path, monkeypatch):
    # Given the sandboxes' parent left at nice 10's weight by an earlier worker
    (tmp_path / "cgroup.controllers").write_text("cpu pids memory\n")
    parent = tmp_path / cgroup.PARENT
    parent.mkdir()
    (parent / "cpu.weight").write_text("11\n")
    monkeypatch.setattr(cgroup, "ROOT", tmp_path)
    # When a worker configured with GRADING_NICE=0 (keep the priority) makes a group
    group = cgroup.SandboxCgroup(tasks=40, memory_bytes=2**30, nice=0)
    # Then the parent competes at the default weight again, as the setting says
    assert group.active
    assert (parent / "cpu.weight").read_text() == "100"


def _autogroup(pid: int) -> tuple[str, int] | None:
    """(the scheduler group, its nice) of a process: ``/autogroup-12 nice 10``.

    None for a process still in the system's first session group, init's, which the kernel
    does not name (the file is empty): a container's processes stay there until one of them
    starts a session of its own, as the worker does for each sandbox.
    """
    fields = Path(f"/proc/{pid}/autogroup").read_text().split()
    if not fields:
        return None
    name, _word, nice = fields
    return name, int(nice)


@pytest.mark.skipif(not Path("/proc/self/autogroup").exists(),
                    reason="this kernel groups no sessions for the scheduler (no autogroup)")
def test_where_the_kernel_groups_sessions_the_sandboxes_group_yields_too():
    # Given a kernel that schedules each session as a group (autogroup: Debian's default),
    # where a process's nice only ranks it within its session: each sandbox is a session of
    # its own, and was competing with the site's processes as an equal whatever its nice
    if Path("/proc/sys/kernel/sched_autogroup_enabled").read_text().strip() != "1":
        pytest.skip("autogroup is turned off on this machine")
    worker_group = _autogroup(os.getpid())
    pair = SandboxPair(limits=Limits(nice=7))
    try:
        assert pair.wait_ready(timeout=60)
        for sandbox in (pair.learner, pair.judge):
            groups = {_autogroup(p) for p in _tree(sandbox.process.pid)}
            # Then bubblewrap and the runner share one group (no second session inside),
            # other than the worker's, which runs at the sandboxes' nice
            assert len(groups) == 1, groups
            (name, nice), = groups
            assert worker_group is None or name != worker_group[0]
            assert nice == 7
        # And the worker's own group is untouched
        assert _autogroup(os.getpid()) == worker_group
    finally:
        pair.kill()


def test_learner_code_has_no_controlling_terminal_to_inject_into():
    # The worker starts bubblewrap in a new session (setsid, what bubblewrap's own
    # --new-session did): nothing in the sandbox can reach a terminal (TIOCSTI)
    from tests.grading.test_engine import grade

    probe = ("import os\ntry:\n    os.close(os.open('/dev/tty', os.O_RDWR))\n    TTY = True\n"
             "except OSError:\n    TTY = False\n"
             "def square(x):\n    return 0 if TTY else x * x")
    result = grade(probe)
    assert result.status == "graded"
    assert result.score == result.max_score == 3
