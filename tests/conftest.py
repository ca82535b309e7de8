"""Shared fixtures. The suite runs against the real PostgreSQL and Redis of this machine and
stops at once, with a clear message, when either is missing: nothing is skipped silently."""

import gc
import socket
import threading
import time
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.db import connection

from tests.factories import UserFactory


def _reachable(url: str, default_port: int) -> tuple[bool, str]:
    parsed = urlparse(url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or default_port
    try:
        with socket.create_connection((host, port), timeout=2):
            return True, f"{host}:{port}"
    except OSError as exc:
        return False, f"{host}:{port} ({exc})"


def pytest_sessionstart(session):
    db = settings.DATABASES["default"]
    problems = []
    if not db["ENGINE"].endswith(".postgresql"):  # Django's, or counted by django-prometheus
        problems.append(f"DATABASE_URL must point at PostgreSQL, got {db['ENGINE']}")
    else:
        ok, where = _reachable(f"postgres://{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}",
                               5432)
        if not ok:
            problems.append(f"PostgreSQL is not reachable at {where}")
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        problems.append(f"CELERY_BROKER_URL must point at Redis, got {settings.CELERY_BROKER_URL}")
    else:
        ok, where = _reachable(settings.CELERY_BROKER_URL, 6379)
        if not ok:
            problems.append(f"Redis is not reachable at {where}")
    if problems:
        pytest.exit("The test suite needs the real services: " + "; ".join(problems)
                    + ". Start them (see .ci/run) and run again.", returncode=3)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache; no test may inherit another's."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def password():
    return "correct-horse-battery-staple-42"


@pytest.fixture(scope="session")
def live_server_requests_joined(django_db_setup, django_db_blocker):
    """For the fixtures that make a browser or the hub talk to the live server: at the end
    of the session, before the test database is dropped, let the connections to it that the
    session opened elsewhere than in this thread go, or the drop fails ("being accessed by
    other users"):

    - the live server's request threads (a browser's kept-alive connections end a moment
      after the browser closes) close theirs when they end: joined;
    - connections opened in Playwright's callbacks (asyncio tasks, each with a context of its
      own, see the browser fixture) are unreachable once the task ends, but closed only when
      collected: collected;
    - then up to 10 s for the server to see them gone.
    """
    yield
    for thread in threading.enumerate():
        if "process_request_thread" in thread.name:
            thread.join(timeout=10)
    gc.collect()
    with django_db_blocker.unblock():
        try:
            with connection.cursor() as cursor:
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:
                    cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                                   "current_database() AND pid <> pg_backend_pid()")
                    if not cursor.fetchone()[0]:
                        break
                    time.sleep(0.2)
        finally:
            connection.close()
