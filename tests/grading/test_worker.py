"""The pipeline with real parts: a Celery worker process (prefork, its own sandbox pool), a
real Redis broker, PostgreSQL, the bubblewrap sandbox. Nothing is mocked.

- a submission committed in the web process is graded by the worker and stored once;
- a worker child killed with SIGKILL in the middle of a grade: the task is delivered again
  (``acks_late`` + reject on worker lost) and the submission ends with exactly one grade;
- the broker down at submit time: the submission stays queued, and once the broker is back
  the sweep sends it and the worker grades it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from kombu import pools

from grading.models import Grade, Submission, SubmissionState
from grading.services.grades import grade_feedback_ensure
from grading.services.submissions import submission_create, submissions_sweep
from lms.celery import app
from tests.grading.conftest import notebook_with

ROOT = Path(__file__).resolve().parents[2]
# serialized_rollback: the flush after each test would remove the migrations' data (the
# Wagtail root page, the role groups) that later tests need.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

RIGHT = "def square(x):\n    return x * x"
SLOW_RIGHT = "import time\ntime.sleep(4)\n" + RIGHT


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url() -> str:
    db = settings.DATABASES["default"]
    return (f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"
            f"{db['NAME']}")


def start_worker(broker_url: str, *, concurrency: int = 1) -> subprocess.Popen:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings",
           "DATABASE_URL": _database_url(), "CELERY_BROKER_URL": broker_url,
           "GRADING_POOL_SIZE": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "lms", "worker", "-Q", "grading",
         "--pool", "prefork", "--concurrency", str(concurrency), "--loglevel", "INFO",
         "--hostname", f"grading-{os.getpid()}-{time.monotonic_ns()}@%h"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)


def stop_worker(proc: subprocess.Popen) -> str:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        out, _ = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
    print(out)  # noqa: T201 - shown by pytest when a test fails
    return out


def wait_for(predicate, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def submission_being_graded(assignment, learner, *, timeout: float = 90) -> Submission:
    """A right answer that sleeps a few seconds, submitted; returned once a worker is grading
    it and inside the slow cell (the moment to kill something)."""
    submission = submission_create(assignment=assignment, learner=learner,
                                   data=notebook_with(SLOW_RIGHT)).submission
    wait_for(lambda: Submission.objects.filter(pk=submission.pk,
                                               state=SubmissionState.GRADING).exists(),
             timeout=timeout, what="grading to start")
    time.sleep(1)  # inside the slow cell
    return submission


def _use_broker(url: str) -> None:
    """Point this (web) process's publisher at ``url``."""
    app.conf.broker_url = app.conf.broker_write_url = app.conf.broker_read_url = url
    # kombu keeps its connection pools in a registry by broker URL: closing a pool leaves it
    # there, closed, for the next switch back to that URL ("Acquire on closed pool"), so
    # every pool is closed and forgotten.
    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker():
    """The machine's Redis (a database of its own for these tests), purged before."""
    url = settings.CELERY_BROKER_URL
    app.control.purge()
    return url


def test_a_real_worker_grades_a_committed_submission_once(broker, released_assignment,
                                                           enrolled_learner):
    worker = start_worker(broker)
    try:
        outcome = submission_create(assignment=released_assignment, learner=enrolled_learner,
                                    data=notebook_with(RIGHT))
        grade = wait_for(lambda: Grade.objects.filter(
            submission=outcome.submission).first(), timeout=90, what="the grade")
    finally:
        stop_worker(worker)
    assert (grade.status, grade.auto_score) == ("graded", 3)
    assert grade.feedback == {}  # made on the first view, not by the worker
    assert grade_feedback_ensure(grade)
    assert set(grade.feedback) == {"ko", "en"}
    assert Grade.objects.get(pk=grade.pk).feedback == grade.feedback  # kept
    submission = Submission.objects.get(pk=outcome.submission.pk)
    assert submission.state == SubmissionState.DONE
    assert submission.enqueue_count == 1


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True,
                         text=True, check=False).stdout
    return [int(p) for p in out.split()]


def test_a_worker_killed_mid_grade_leads_to_exactly_one_grade(broker, released_assignment,
                                                              enrolled_learner):
    worker = start_worker(broker)
    try:
        submission = submission_being_graded(released_assignment, enrolled_learner)
        victims = _children(worker.pid)
        assert victims, "the prefork worker has no child process"
        for pid in victims:
            os.kill(pid, signal.SIGKILL)
        grade = wait_for(lambda: Grade.objects.filter(submission=submission).first(),
                         timeout=120, what="the grade after the kill")
        time.sleep(2)  # a duplicate delivery would store (or fail to store) a second grade
    finally:
        log = stop_worker(worker)
    assert Grade.objects.filter(submission=submission).count() == 1
    assert (grade.status, grade.auto_score) == ("graded", 3)
    assert "WorkerLostError" in log or "exited prematurely" in log or "signal 9" in log


def test_a_broker_outage_at_submit_time_loses_nothing(released_assignment, enrolled_learner):
    port = _free_port()
    url = f"redis://127.0.0.1:{port}/0"
    redis = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                              "--save", "", "--appendonly", "no"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = None
    original = app.conf.broker_url
    try:
        wait_for(lambda: _reachable(port), timeout=10, what="the private Redis")
        _use_broker(url)
        redis.terminate()
        redis.wait(timeout=10)  # the broker is down

        started = time.monotonic()
        submission = submission_create(assignment=released_assignment,
                                       learner=enrolled_learner,
                                       data=notebook_with(RIGHT)).submission
        assert time.monotonic() - started < 10  # the learner is not kept waiting
        submission.refresh_from_db()
        assert submission.state == SubmissionState.QUEUED
        assert submission.enqueued_at is None

        redis = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                                  "--save", "", "--appendonly", "no"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: _reachable(port), timeout=10, what="Redis to come back")
        worker = start_worker(url)
        Submission.objects.filter(pk=submission.pk).update(
            submitted_at=submission.submitted_at - timedelta(minutes=1))
        assert submissions_sweep()["requeued"] == 1
        grade = wait_for(lambda: Grade.objects.filter(submission=submission).first(),
                         timeout=90, what="the grade after the broker came back")
        assert grade.status == "graded"
    finally:
        _use_broker(original)
        if worker is not None:
            stop_worker(worker)
        redis.terminate()
        redis.wait(timeout=10)


def _reachable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False
