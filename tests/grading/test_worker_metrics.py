"""A real Celery worker (prefork, two children, their sandbox pools) serves its processes'
figures on its metrics port, added up through PROMETHEUS_MULTIPROC_DIR: the warm pools, the
worker processes, and once a submission is graded, the grading phases and the stored grades.
A child killed without warning is not counted once its replacement runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from grading.models import Grade
from grading.services.submissions import submission_create
from tests.grading.conftest import RIGHT, notebook_with
from tests.grading.test_worker import (
    ROOT,
    _children,
    _database_url,
    _free_port,
    broker,  # noqa: F401 - the fixture
    stop_worker,
    wait_for,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _scrape(port: int) -> dict[tuple[str, tuple], float]:
    try:
        response = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
    except httpx.HTTPError:
        return {}
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text)
            for s in family.samples}


def _value(samples, name, **labels) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


@pytest.fixture
def worker_with_metrics(broker, tmp_path):  # noqa: F811 - the fixture
    port = _free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings",
           "DATABASE_URL": _database_url(), "CELERY_BROKER_URL": broker,
           "GRADING_POOL_SIZE": "1", "GRADING_METRICS_PORT": str(port),
           "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus")}
    (tmp_path / "prometheus").mkdir()
    (tmp_path / "prometheus" / "counter_1.db").write_bytes(b"left by an earlier run")
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "lms", "worker", "-Q", "grading",
         "--pool", "prefork", "--concurrency", "2", "--loglevel", "INFO",
         "--hostname", f"metrics-{os.getpid()}-{time.monotonic_ns()}@%h"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)
    try:
        yield proc, port, tmp_path / "prometheus"
    finally:
        stop_worker(proc)


def test_the_worker_serves_its_processes_figures(worker_with_metrics, released_assignment,
                                                 enrolled_learner):
    worker, port, directory = worker_with_metrics
    # Both children running, each with its pool of one warm pair.
    wait_for(lambda: _value(_scrape(port), "aimd_grading_worker_processes") == 2,
             timeout=90, what="two worker processes in the figures")
    wait_for(lambda: _value(_scrape(port), "aimd_grading_sandbox_pool_size") == 2,
             timeout=120, what="both pools warm")
    samples = _scrape(port)
    assert _value(samples, "aimd_grading_sandbox_pool_capacity") == 2
    assert not (directory / "counter_1.db").exists()  # emptied when the worker started

    submission = submission_create(assignment=released_assignment, learner=enrolled_learner,
                                   data=notebook_with(RIGHT)).submission
    wait_for(lambda: Grade.objects.filter(submission=submission).exists(), timeout=90,
             what="the grade")

    samples = wait_for(lambda: (s := _scrape(port)) and _value(
        s, "aimd_grading_grades_stored_total", status="graded") == 1 and s,
        timeout=30, what="the stored grade in the figures")
    for phase in ("submitted_to_sent", "sent_to_started", "started_to_graded",
                  "submitted_to_graded"):
        assert _value(samples, "aimd_grading_phase_seconds_count", phase=phase) == 1, phase


def test_a_killed_child_is_not_counted(worker_with_metrics):
    worker, port, directory = worker_with_metrics
    # Both children up and settled (one killed while starting stops the whole worker).
    wait_for(lambda: _value(_scrape(port), "aimd_grading_sandbox_pool_size") == 2,
             timeout=120, what="both pools warm")
    children = wait_for(lambda: len(c := _children(worker.pid)) == 2 and c, timeout=30,
                        what="the two children")

    os.kill(children[0], signal.SIGKILL)
    wait_for(lambda: len(set(_children(worker.pid)) - {children[0]}) == 2, timeout=60,
             what="the replacement child")
    wait_for(lambda: _value(_scrape(port), "aimd_grading_worker_processes") == 2,
             timeout=60, what="the replacement in the figures")

    assert not list(directory.glob(f"gauge_live*_{children[0]}.db"))
