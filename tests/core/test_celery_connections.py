"""A grading worker keeps its PostgreSQL connection from one task to the next, and checks it
as Django does between requests.

Celery's Django fix-up closes the connection around every task unless CELERY_DB_REUSE_MAX is
set: each grade paid for a new PostgreSQL server process (``bench/deadline_rush.py`` saw a new
connection a task). With it set, the connection is kept, and ``lms.celery`` closes it when it
failed or outlived CONN_MAX_AGE, as Django's request signals do."""

import time

import pytest
from celery.fixups.django import DjangoWorkerFixup
from celery.signals import task_postrun, task_prerun
from django.conf import settings
from django.db import connection

from lms.celery import app


def test_the_worker_keeps_its_connection_between_tasks():
    assert settings.CELERY_DB_REUSE_MAX >= 10
    # Celery's fix-up reads the setting through the app's configuration
    assert DjangoWorkerFixup(app).db_reuse_max == settings.CELERY_DB_REUSE_MAX


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_around_each_task_an_old_or_broken_connection_is_closed():
    # Given the worker's connection, still young
    connection.ensure_connection()
    kept = connection.connection
    connection.close_at = time.monotonic() + 60
    # When a task starts and ends, it is kept
    task_prerun.send(sender=None, task_id="t1", task=None)
    task_postrun.send(sender=None, task_id="t1", task=None)
    assert connection.connection is kept
    # But once it is older than CONN_MAX_AGE, the next task starts on a new one
    connection.close_at = time.monotonic() - 1
    task_prerun.send(sender=None, task_id="t2", task=None)
    assert connection.connection is None
    # And one that failed (the database restarted) is not used again unchecked
    connection.ensure_connection()
    connection.close_at = time.monotonic() + 60
    broken = connection.connection
    connection.errors_occurred = True
    broken.close()  # the server went away under it
    task_postrun.send(sender=None, task_id="t2", task=None)
    assert connection.connection is None
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


@app.task(name="tests.core.test_celery_connections.one")
def one() -> int:
    return 1


@pytest.mark.django_db
def test_a_task_run_in_the_callers_process_leaves_its_transaction_alone():
    # Given a request's transaction (the test's own), with its connection in use
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    kept = connection.connection
    # When a task runs eagerly inside it (as tasks do in tests and ``apply``)
    assert one.apply().get() == 1
    # Then the caller's connection and transaction are as they were
    assert connection.connection is kept
    assert connection.in_atomic_block
    with connection.cursor() as cursor:
        cursor.execute("SELECT 2")
        assert cursor.fetchone() == (2,)
