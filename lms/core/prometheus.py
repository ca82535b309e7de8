"""Prometheus figures of several processes of one host, read as one (no Django here: gunicorn's
configuration file and the Celery worker's main process use it too).

prometheus_client keeps each metric in the memory of the process that observes it. gunicorn
runs several web processes and Celery's prefork pool several children, and a scrape reaches
only one of them, so both run in prometheus_client's multiprocess mode: every process writes
its figures to files in ``PROMETHEUS_MULTIPROC_DIR`` (set in the environment before the
process starts) and the process that answers a scrape adds them up. The directory is one per
gunicorn master or Celery worker (never shared by both: each empties it when it starts, so
that figures of an earlier run are not counted again), and it is emptied by that master
before its processes start.

Gauges of the live processes only (the sandbox pools) are kept per process id; the files of a
process that died without saying so (a child killed by the out-of-memory killer) are removed
when the figures are read, so a dead process's pool is not counted.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from pathlib import Path

from prometheus_client import REGISTRY, CollectorRegistry, multiprocess

logger = logging.getLogger(__name__)

_LIVE_GAUGE_FILE = re.compile(r"^gauge_live\w*?_(?P<pid>\d+)\.db$")


def multiprocess_dir() -> Path | None:
    """The directory of this host's processes' figures, or None (one process: no files)."""
    value = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
    return Path(value) if value else None


def multiprocess_dir_clean() -> None:
    """Empty the directory (create it when missing): called by the master process before it
    starts the processes that write there."""
    path = multiprocess_dir()
    if path is None:
        return
    if path.is_dir():
        for entry in path.iterdir():
            if entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
    else:
        path.mkdir(parents=True, exist_ok=True)
    logger.info("prometheus multiprocess directory %s emptied", path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def dead_processes_forget(path: Path) -> None:
    """Remove the live-gauge files of processes of this host that no longer run."""
    for entry in path.glob("gauge_live*_*.db"):
        match = _LIVE_GAUGE_FILE.match(entry.name)
        if match and not _alive(int(match["pid"])):
            multiprocess.mark_process_dead(int(match["pid"]), str(path))


def process_dead(pid: int) -> None:
    """Called for a process that ends (gunicorn's child_exit, a Celery child's shutdown)."""
    path = multiprocess_dir()
    if path is not None:
        multiprocess.mark_process_dead(pid, str(path))


class _HostProcesses:
    """Collects the figures of every process writing to ``path``, dead ones' gauges pruned."""

    def __init__(self, path: Path):
        self.path = path
        self._collector = multiprocess.MultiProcessCollector(None, path=str(path))

    def collect(self):
        dead_processes_forget(self.path)
        return self._collector.collect()


def processes_registry() -> CollectorRegistry:
    """What a scrape of this process returns for this host's processes: the multiprocess
    files when the directory is set, else this process's own registry."""
    path = multiprocess_dir()
    if path is None:
        return REGISTRY
    registry = CollectorRegistry(auto_describe=False)
    path.mkdir(parents=True, exist_ok=True)
    registry.register(_HostProcesses(path))
    return registry
