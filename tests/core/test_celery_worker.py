"""A task goes through the real Redis broker and a real worker process (not eager mode)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from kombu import Connection

from lms.celery import app
from lms.core.mail import message_to_dict

ROOT = Path(__file__).resolve().parents[2]


def _start_worker(*, broker_url: str, outbox: Path, extra_env: dict | None = None):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "CELERY_BROKER_URL": broker_url,
        "EMAIL_URL": f"filemail:///{outbox}",
        **(extra_env or {}),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "lms", "worker", "-Q", "default,grading",
         "--pool", "solo", "--loglevel", "INFO", "--hostname", f"pytest-{os.getpid()}@%h"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        out, _ = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    print(out)  # noqa: T201 - shown by pytest when the test fails


@pytest.fixture
def outbox(tmp_path):
    folder = tmp_path / "outbox"
    folder.mkdir()
    return folder


@pytest.fixture
def worker(outbox):
    """A Celery worker in its own process on the Redis broker, delivering mail to files."""
    app.control.purge()
    proc = _start_worker(broker_url=settings.CELERY_BROKER_URL, outbox=outbox)
    try:
        yield outbox
    finally:
        _stop(proc)


def _wait_for_file(folder: Path, timeout: float = 60) -> Path:
    """The first message file once it is whole: Django's file backend creates the file, then
    writes the message and a line of 79 dashes (a read in between saw an empty file)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        files = sorted(folder.iterdir())
        if files and files[0].read_text().endswith("-" * 79 + "\n"):
            return files[0]
        time.sleep(0.2)
    raise AssertionError(f"no mail delivered to {folder} within {timeout}s")


@pytest.mark.django_db
def test_queued_email_is_delivered_by_a_real_worker(worker, django_capture_on_commit_callbacks):
    message = EmailMultiAlternatives(
        subject="이메일 주소를 확인해 주세요", body="본문 text", to=["learner@example.com"],
    )
    message.attach_alternative("<p>본문 html</p>", "text/html")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        sent = get_connection("lms.core.mail.CeleryEmailBackend").send_messages([message])

    assert sent == 1
    assert len(callbacks) == 1
    delivered = _wait_for_file(worker).read_text()
    assert "learner@example.com" in delivered
    assert "text/html" in delivered


def test_demo_embedded_broker_carries_tasks_to_a_real_worker(tmp_path, outbox):
    """The demo's default broker (kombu's SQLAlchemy transport on SQLite) needs no server."""
    broker_url = f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"
    proc = _start_worker(broker_url=broker_url, outbox=outbox)
    try:
        payload = message_to_dict(EmailMultiAlternatives(subject="demo broker", body="b",
                                                         to=["demo@example.com"]))
        with Connection(broker_url) as conn:
            app.send_task("lms.core.tasks.email_send_task", args=[payload], connection=conn,
                          queue="default")

        assert "demo@example.com" in _wait_for_file(outbox).read_text()
    finally:
        _stop(proc)


def test_email_is_not_queued_before_the_transaction_commits(django_capture_on_commit_callbacks,
                                                           db):
    message = EmailMultiAlternatives(subject="s", body="b", to=["x@example.com"])

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        get_connection("lms.core.mail.CeleryEmailBackend").send_messages([message])

    assert len(callbacks) == 1  # queued only when the surrounding transaction commits


def test_grading_tasks_are_routed_to_their_own_queue():
    route = app.amqp.router.route({}, "grading.tasks.submission_autograde_task")

    assert route["queue"].name == "grading"
    assert app.amqp.router.route({}, "lms.core.tasks.email_send_task")["queue"].name == "default"


def test_celery_uses_json_and_time_limits():
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_time_limit > app.conf.task_soft_time_limit > 0


def test_beat_schedule_names_registered_tasks():
    app.loader.import_default_modules()

    for entry in app.conf.beat_schedule.values():
        assert entry["task"] in app.tasks
