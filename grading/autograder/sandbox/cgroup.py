"""A control group per sandbox, where the worker may make one (root, or a delegated cgroup).

It caps what rlimits cannot: the tasks (threads) of the whole sandbox, whatever user its
processes map to (as root, bubblewrap maps the sandbox's user to root outside, where
``RLIMIT_NPROC`` does not apply), and the memory of the whole sandbox, tmpfs pages included.
cgroup v2 (a writable unified hierarchy with the pids and memory controllers) or v1 (the
``pids`` and ``memory`` hierarchies); without either the rlimits alone apply
(``RLIMIT_NPROC`` works for an unprivileged worker) and the disks' sizes are subtracted from
the address space (``Limits.address_space_bytes``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
PARENT = "aimd-grading"


def _writable(path: Path) -> bool:
    return path.is_dir() and os.access(path, os.W_OK)


def _layout() -> list[tuple[Path, dict[str, str]]] | None:
    """Where to make the groups and which files hold the limits, or None."""
    controllers = ROOT / "cgroup.controllers"
    if controllers.is_file():  # v2
        wanted = {"pids", "memory"}
        if wanted <= set(controllers.read_text().split()) and _writable(ROOT):
            return [(ROOT, {"pids": "pids.max", "memory": "memory.max"})]
        return None
    pids, memory = ROOT / "pids", ROOT / "memory"
    if _writable(pids) and _writable(memory):
        return [(pids, {"pids": "pids.max"}), (memory, {"memory": "memory.limit_in_bytes"})]
    return None


def cpu_weight(nice: int) -> int:
    """cgroup v2's cpu.weight (default 100) that matches a nice value: the kernel's weights
    fall by 1.25x a nice step (nice 10: 11)."""
    return max(1, round(100 * 1.25 ** -nice))


class SandboxCgroup:
    """The groups of one sandbox; ``enter`` runs in the child before bubblewrap starts."""

    def __init__(self, *, tasks: int, memory_bytes: int, nice: int = 0) -> None:
        self.paths: list[Path] = []
        layout = _layout()
        if layout is None:
            return
        name = uuid.uuid4().hex[:16]
        try:
            for hierarchy, files in layout:
                parent = hierarchy / PARENT
                parent.mkdir(exist_ok=True)
                if hierarchy == ROOT:  # v2: the parent hands its controllers down
                    with contextlib.suppress(OSError):
                        (parent / "cgroup.subtree_control").write_text("+pids +memory")
                    # With the cpu controller on, the groups compete with the site's processes
                    # as one unit, where the sandboxes' nice does not reach: the parent gets
                    # the weight of that nice instead (nice 0: the default weight back, which
                    # an earlier worker with another nice may have lowered).
                    if (parent / "cpu.weight").is_file():
                        with contextlib.suppress(OSError):
                            (parent / "cpu.weight").write_text(str(cpu_weight(nice)))
                path = parent / name
                path.mkdir()
                self.paths.append(path)
                for kind, file in files.items():
                    (path / file).write_text(str(tasks if kind == "pids" else memory_bytes))
        except OSError:
            self.remove()
            self.paths = []

    @property
    def active(self) -> bool:
        return bool(self.paths)

    def enter(self) -> None:
        """Move the calling process (the sandbox's first) into the groups."""
        pid = str(os.getpid())
        for path in self.paths:
            (path / "cgroup.procs").write_text(pid)

    def remove(self) -> None:
        """Kill whatever is left in the groups and remove them (a dying task keeps its group
        busy for a moment: retried for up to two seconds; ``sweep`` takes what is left)."""
        for path in self.paths:
            deadline = time.monotonic() + 2
            while True:
                try:
                    pids = [int(p) for p in (path / "cgroup.procs").read_text().split()]
                except OSError:
                    break  # already gone
                for pid in pids:
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGKILL)
                try:
                    path.rmdir()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.01)


def sweep(min_age: float = 60.0) -> int:
    """Remove the empty groups left by sandboxes of workers that died (a killed worker never
    removes its own); a group younger than ``min_age`` seconds may be about to be entered."""
    removed = 0
    layout = _layout() or []
    for hierarchy, _files in layout:
        parent = hierarchy / PARENT
        if not parent.is_dir():
            continue
        for path in parent.iterdir():
            try:
                if (not path.is_dir() or (path / "cgroup.procs").read_text().strip()
                        or time.time() - path.stat().st_mtime < min_age):
                    continue
                path.rmdir()
                removed += 1
            except OSError:
                continue
    return removed
