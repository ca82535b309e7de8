"""Fixtures for the fault tests: the grading fixtures (course tree, a released assignment, an
enrolled learner) and a private Redis that a test may stop and start again.

The private Redis runs without persistence (``--save "" --appendonly no``), as a broker
that crashes and comes back empty: the harshest case, where every queued message is gone.
"""

from __future__ import annotations

import socket
import subprocess

import pytest

from tests.grading.conftest import (  # noqa: F401 - fixtures shared with the grading tests
    _english,
    assignment,
    assignment_module,
    catalogue,
    course,
    enrolled_learner,
    instructor,
    learner,
    locales,
    ministry_officer,
    modules,
    other_course,
    other_instructor,
    programme,
    programme_staff,
    released_assignment,
    run,
    source_bytes,
    tree_en,
)
from tests.grading.test_worker import _free_port, _reachable, _use_broker, wait_for


class PrivateRedis:
    """A redis-server of this test's own on a free loopback port (stop and start again)."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: _reachable(self.port), timeout=10, what="the private Redis")

    def stop(self) -> None:
        """SIGTERM, as a service manager stops it; its queues are gone (no persistence)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", self.port)) != 0, "Redis is still up"


@pytest.fixture
def private_broker():
    """A private Redis, started, that this process publishes to; all undone afterwards."""
    from lms.celery import app

    redis = PrivateRedis()
    redis.start()
    original = app.conf.broker_url
    _use_broker(redis.url)
    try:
        yield redis
    finally:
        _use_broker(original)
        redis.stop()
