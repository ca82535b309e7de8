"""The grading figures observed where grading happens (the Celery worker's processes).

- ``aimd_grading_phase_seconds{phase}``: how long each grade took from phase to phase,
  observed once per stored grade from the times its submission recorded (so a message sent
  by a web process and graded by a worker on another host is measured whole, by the
  process that stores the grade): ``submitted_to_sent`` (the commit to the broker's
  acceptance; long when the broker was down), ``sent_to_started`` (waiting in the queue),
  ``started_to_graded`` (the grading itself), ``submitted_to_graded`` (what the learner
  waited). A regrade counts from when it was asked for.
- ``aimd_grading_grades_stored_total{status}``: grades stored (autograde, regrade, the
  sweep's give-up), by status.
- ``aimd_grading_sandbox_pool_size`` (warm sandbox pairs ready), ``..._capacity`` (the
  pool size configured) and ``aimd_grading_worker_processes``: summed over the live
  processes of the worker, read every few seconds in each child.

A worker serves them on ``GRADING_METRICS_PORT`` (its processes add up through
``PROMETHEUS_MULTIPROC_DIR``, ``lms.core.prometheus``): workers may run on other hosts than
the site, and Prometheus then scrapes each of them, whose ``up`` says when one is gone (a
figure pushed to a shared store would need a time-to-live to tell that, and loses
histograms). Figures counted in the database (grades by status, the waiting submissions,
certificates) are the site's (``lms.core.metrics``), the same from every host.

No label names a learner, a submission or an assignment: labels are phases and statuses.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from datetime import datetime

from celery.signals import worker_init, worker_process_init, worker_process_shutdown
from django.conf import settings
from prometheus_client import Counter, Gauge, Histogram, start_http_server

from grading.models import GradeStatus
from grading.workers import sandbox_pool_figures
from lms.core.prometheus import (
    multiprocess_dir,
    multiprocess_dir_clean,
    process_dead,
    processes_registry,
)

logger = logging.getLogger(__name__)

PHASES = ("submitted_to_sent", "sent_to_started", "started_to_graded", "submitted_to_graded")
# From a warm pool's fraction of a second to a backlog of an hour.
PHASE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 7.5, 10.0, 15.0, 20.0, 30.0, 60.0,
                 120.0, 300.0, 600.0, 1800.0, 3600.0)
# Seconds between two readings of a worker process's pool.
POOL_SAMPLE_SECONDS = 5.0

grading_phase_seconds = Histogram(
    "aimd_grading_phase_seconds",
    "Seconds each grade spent in each phase (submitted_to_sent, sent_to_started, "
    "started_to_graded, submitted_to_graded), observed when the grade is stored.",
    ["phase"], buckets=PHASE_BUCKETS)
grades_stored = Counter(
    "aimd_grading_grades_stored", "Grades stored by the grading pipeline, by status.",
    ["status"])
sandbox_pool_size = Gauge(
    "aimd_grading_sandbox_pool_size",
    "Warm sandbox pairs ready in the grading workers' pools (live processes, summed).",
    multiprocess_mode="livesum")
sandbox_pool_capacity = Gauge(
    "aimd_grading_sandbox_pool_capacity",
    "Sandbox pairs the grading workers' pools keep ready when idle (live processes, summed).",
    multiprocess_mode="livesum")
worker_processes = Gauge(
    "aimd_grading_worker_processes", "Grading worker processes running (live, summed).",
    multiprocess_mode="livesum")

for _phase in PHASES:  # every series exists from the start (rules and dashboards find them)
    grading_phase_seconds.labels(_phase)
for _status in GradeStatus.values:
    grades_stored.labels(_status)


def grading_phases_observe(*, status: str, requested_at: datetime | None,
                           sent_at: datetime | None, started_at: datetime | None,
                           graded_at: datetime) -> None:
    """Count a stored grade and the time of each of its phases; a phase whose two ends are
    not both known (a grade the sweep gave up on never started) or are out of order (a
    regrade asked for while the previous run was grading) is not observed."""
    grades_stored.labels(status).inc()
    points = {"submitted": requested_at, "sent": sent_at, "started": started_at,
              "graded": graded_at}
    for phase in PHASES:
        start, end = (points[name] for name in phase.split("_to_"))
        if start is not None and end is not None and end >= start:
            grading_phase_seconds.labels(phase).observe((end - start).total_seconds())


def _pool_sample(figures: Callable[[], tuple[int, int]], stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            ready, capacity = figures()
        except Exception:  # noqa: BLE001 - a figure is never worth a worker process
            logger.exception("reading the sandbox pool for the metrics failed")
        else:
            sandbox_pool_size.set(ready)
            sandbox_pool_capacity.set(capacity)
        stop.wait(POOL_SAMPLE_SECONDS)


_sampler_stop = threading.Event()


@worker_init.connect
def _worker_metrics_serve(**_kwargs) -> None:
    """In the worker's main process, before it starts its children: empty the figures'
    directory and serve the children's figures on GRADING_METRICS_PORT."""
    port = settings.GRADING_METRICS_PORT
    if not port:
        return
    if multiprocess_dir() is None:
        logger.error("GRADING_METRICS_PORT is set but PROMETHEUS_MULTIPROC_DIR is not: the "
                     "worker's processes cannot add up their figures; metrics are not served")
        return
    multiprocess_dir_clean()
    start_http_server(port, addr=settings.GRADING_METRICS_ADDRESS,
                      registry=processes_registry())
    logger.info("grading metrics served on %s:%s", settings.GRADING_METRICS_ADDRESS, port)


@worker_process_init.connect
def _worker_process_metrics(**_kwargs) -> None:
    worker_processes.set(1)
    _sampler_stop.clear()
    threading.Thread(target=_pool_sample, args=(sandbox_pool_figures, _sampler_stop),
                     name="sandbox-pool-metrics", daemon=True).start()


@worker_process_shutdown.connect
def _worker_process_metrics_end(**_kwargs) -> None:
    _sampler_stop.set()
    process_dead(os.getpid())
