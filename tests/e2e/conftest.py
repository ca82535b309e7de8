"""Fixtures of the end-to-end journey: the browser, the real JupyterHub on loopback, and a
real Celery worker on a real Redis of the journey's own."""

import shutil
import subprocess

import pytest

from lms.celery import app
from tests.grading.test_worker import (
    _free_port,
    _reachable,
    _use_broker,
    start_worker,
    stop_worker,
    wait_for,
)
from tests.hub.conftest import browser, hub, page, shoot  # noqa: F401 - the journey's fixtures


@pytest.fixture
def lab(hub):
    """The hub (its fixture also lets the site's forms lead to it: "Open in JupyterLab" on a
    running lab redirects the form's POST straight to the hub)."""
    return hub


@pytest.fixture
def grading_worker(django_db_serialized_rollback, live_server):
    """A real worker process (prefork, its own sandbox) on a Redis server started for the
    journey, which the web process (the live server) publishes to. Not the machine's shared
    Redis: a worker of a concurrent test run (another database) would take this run's tasks,
    and this run's worker theirs. Stopped before the database is flushed."""
    redis_server = shutil.which("redis-server")
    if redis_server is None:
        pytest.fail("redis-server is not installed (apt-get install redis-server)")
    port = _free_port()
    url = f"redis://127.0.0.1:{port}/0"
    redis = subprocess.Popen([redis_server, "--port", str(port), "--bind", "127.0.0.1",
                              "--save", "", "--appendonly", "no"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    original = app.conf.broker_url
    worker = None
    try:
        wait_for(lambda: _reachable(port), timeout=10, what="the journey's Redis")
        _use_broker(url)
        worker = start_worker(url)
        yield worker
    finally:
        if worker is not None:
            stop_worker(worker)
        _use_broker(original)
        redis.terminate()
        redis.wait(timeout=10)
