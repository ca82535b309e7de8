"""What each grading worker process keeps warm: its own pool of fresh sandboxes.

The pool is made lazily in the process that uses it (never before a fork: its filler thread
would not survive one), and started as soon as a Celery worker child starts, so the first
submission after a restart is graded from a warm pool too. Each sandbox serves one
submission and is then destroyed; nothing of one learner's run reaches another's.

Once the worker shuts down no pool is made or refilled: a child forked after the shutdown
began (the main process replaces one that died of the signal) inherits the flag, and a grade
still running starts its own sandbox.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading

from celery.signals import worker_process_init, worker_process_shutdown, worker_shutting_down
from django.conf import settings

from grading.autograder.sandbox.local import Limits, SandboxPool, reaper_drain

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_pool: SandboxPool | None = None
_pool_pid: int | None = None
_shutting_down = threading.Event()


def sandbox_limits() -> Limits:
    """The sandbox limits from the settings (every backend, pooled or not)."""
    return Limits(cpu_seconds=settings.GRADING_CPU_SECONDS,
                  memory_bytes=settings.GRADING_MEMORY_BYTES,
                  file_bytes=settings.GRADING_FILE_BYTES,
                  open_files=settings.GRADING_OPEN_FILES,
                  disk_bytes=settings.GRADING_DISK_BYTES,
                  nice=settings.GRADING_NICE)


def sandbox_pool() -> SandboxPool | None:
    """This process's pool, or None when pooling is off (GRADING_POOL_SIZE=0)."""
    global _pool, _pool_pid
    if settings.GRADING_POOL_SIZE <= 0 or settings.GRADING_SANDBOX_BACKEND != "local":
        return None
    with _lock:
        if _shutting_down.is_set():
            return None
        if _pool is None or _pool_pid != os.getpid():
            _pool = SandboxPool(size=settings.GRADING_POOL_SIZE, limits=sandbox_limits(),
                                preload=tuple(settings.GRADING_PRELOAD))
            _pool_pid = os.getpid()
            logger.info("sandbox pool of %d started in process %d", settings.GRADING_POOL_SIZE,
                        _pool_pid)
        return _pool


def sandbox_pool_figures() -> tuple[int, int]:
    """(pairs ready, pairs kept ready when idle) of this process's pool, without making one
    (the metrics read it; (0, 0) without a pool)."""
    pool = _pool if _pool_pid == os.getpid() else None
    return (pool.ready_count(), pool.size) if pool is not None else (0, 0)


def sandbox_pool_close() -> None:
    """Stop this process's pool for good: later calls of :func:`sandbox_pool` return None."""
    global _pool
    with _lock:
        _shutting_down.set()
        if _pool is not None and _pool_pid == os.getpid():
            _pool.close()
        _pool = None
    reaper_drain()


@worker_process_init.connect
def _warm_up(**_kwargs) -> None:
    sandbox_pool()


@worker_shutting_down.connect
def _shutdown_begins(**_kwargs) -> None:
    # In the main process, before it forks any replacement child.
    _shutting_down.set()


@worker_process_shutdown.connect
def _shut_down(**_kwargs) -> None:
    sandbox_pool_close()


atexit.register(sandbox_pool_close)
