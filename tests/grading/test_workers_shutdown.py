"""A worker that shuts down makes no sandbox pool any more: not in a child it forks to replace
one that died of the signal, not for a grade still running (it starts its own sandbox)."""

import pytest
from celery.signals import worker_shutting_down

from grading import workers


class FakePool:
    made = 0

    def __init__(self, **_kwargs):
        FakePool.made += 1

    def close(self):
        pass


@pytest.fixture
def pooling(settings, monkeypatch):
    settings.GRADING_POOL_SIZE = 2
    settings.GRADING_SANDBOX_BACKEND = "local"
    FakePool.made = 0
    monkeypatch.setattr(workers, "SandboxPool", FakePool)
    monkeypatch.setattr(workers, "_pool", None)
    yield
    workers._shutting_down.clear()  # this test process goes on grading after the test


def test_no_pool_is_made_once_the_worker_shuts_down(pooling):
    # When Celery says the worker shuts down (in the main process, before any new fork)
    worker_shutting_down.send(sender="celery@test", sig="SIGINT", how="Warm", exitcode=0)

    # Then neither a new child's warm-up nor a grade makes a pool
    workers._warm_up()
    assert workers.sandbox_pool() is None
    assert FakePool.made == 0


def test_a_closed_pool_is_not_made_again(pooling):
    assert workers.sandbox_pool() is not None

    workers.sandbox_pool_close()

    assert workers.sandbox_pool() is None
