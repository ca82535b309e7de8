"""What operators read at /metrics once learners submit: a graded submission moves the grades
by status, the grading phases' histograms and the stored grades' counter; pages move the
request latency by view and the database query counter; a message waiting in the broker (Redis
here, the demo's SQLite broker too) shows in the queue's length and age. The submission
records each step's time, in order, and the gradebook shows them in Seoul time."""

from __future__ import annotations

import re
import time
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse
from kombu import Connection
from prometheus_client.parser import text_string_to_metric_families

from grading.services.grades import submission_autograde
from grading.services.submissions import submission_create
from lms.celery import app
from tests.courses.conftest import admin_login
from tests.grading.conftest import RIGHT, notebook_with
from tests.grading.test_worker import _use_broker

pytestmark = pytest.mark.django_db

TOKEN = "metrics-test-token"  # noqa: S105


def scrape(client) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted labels): value} of one scrape of /metrics with the token."""
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.content.decode())
            for sample in family.samples}


def value(samples, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def total(samples, name: str, **labels) -> float:
    """The sum over every series of ``name`` having ``labels`` (whatever its other labels)."""
    return sum(v for (n, ls), v in samples.items()
               if n == name and set(labels.items()) <= set(ls))


def _purge() -> None:
    with app.connection_for_write() as conn:
        for queue in ("grading", "default"):
            conn.default_channel.queue_purge(queue)


@pytest.fixture
def purged_broker():
    _purge()
    yield
    _purge()


@pytest.fixture
def graded_through_the_broker(released_assignment, enrolled_learner, purged_broker,
                              django_capture_on_commit_callbacks):
    """The right answer submitted (its message sent to the real Redis on commit), then graded
    here, as the worker would (the grade's figures are observed on commit)."""
    with django_capture_on_commit_callbacks(execute=True):
        submission = submission_create(assignment=released_assignment,
                                       learner=enrolled_learner,
                                       data=notebook_with(RIGHT)).submission
    with django_capture_on_commit_callbacks(execute=True):
        submission_autograde(submission_id=submission.pk)
    submission.refresh_from_db()
    return submission


@override_settings(HEALTH_CHECK_TOKEN=TOKEN)
def test_a_graded_submission_moves_the_counters_and_histograms(
        client, released_assignment, enrolled_learner, purged_broker, instructor,
        django_capture_on_commit_callbacks):
    before = scrape(client)
    with django_capture_on_commit_callbacks(execute=True):
        submission = submission_create(assignment=released_assignment,
                                       learner=enrolled_learner,
                                       data=notebook_with(RIGHT)).submission
    queued = scrape(client)
    with django_capture_on_commit_callbacks(execute=True):
        submission_autograde(submission_id=submission.pk)
    admin_login(client, instructor)
    page = client.get(reverse("grading_admin:submission", args=[submission.pk]))
    assert page.status_code == 200
    after = scrape(client)

    # While it waited: one message in the grading queue, one submission queued.
    assert value(queued, "aimd_task_queue_length", queue="grading") == 1
    assert value(queued, "aimd_grading_submissions_waiting", state="queued") == (
        value(before, "aimd_grading_submissions_waiting", state="queued") + 1)
    # Graded: the grades by status (the database's count) and the stored grades' counter.
    for name in ("aimd_grading_grades", "aimd_grading_grades_stored_total"):
        assert value(after, name, status="graded") == value(before, name, status="graded") + 1
        assert value(after, name, status="error") == value(before, name, status="error")
    # Each phase observed once, for the learner's whole wait too.
    for phase in ("submitted_to_sent", "sent_to_started", "started_to_graded",
                  "submitted_to_graded"):
        assert value(after, "aimd_grading_phase_seconds_count", phase=phase) == (
            value(before, "aimd_grading_phase_seconds_count", phase=phase) + 1), phase
        assert value(after, "aimd_grading_phase_seconds_sum", phase=phase) >= value(
            before, "aimd_grading_phase_seconds_sum", phase=phase)
    # The page's request, timed under its view's name; the queries counted.
    view = {"view": "grading_admin:submission", "method": "GET"}
    assert value(after, "django_http_requests_latency_seconds_by_view_method_count",
                 **view) == value(before, "django_http_requests_latency_seconds_by_view_method_"
                                          "count", **view) + 1
    assert total(after, "django_db_execute_total") > total(before, "django_db_execute_total")
    assert value(after, "aimd_metrics_source_up", source="database") == 1
    assert value(after, "aimd_metrics_source_up", source="broker") == 1


@override_settings(HEALTH_CHECK_TOKEN=TOKEN)
def test_no_label_names_a_learner_a_submission_or_an_assignment(
        client, graded_through_the_broker):
    samples = scrape(client)
    submission = graded_through_the_broker
    labels = {f"{k}={v}" for _name, ls in samples for k, v in ls}
    for private in (submission.learner.email, str(submission.learner.pk),
                    submission.assignment.key, submission.sha256):
        assert not any(private == label.split("=", 1)[1] for label in labels), private
    allowed = {"status", "state", "phase", "queue", "view", "method", "source", "le", "alias",
               "vendor", "type", "transport", "templatename", "charset", "quantile",
               # prometheus_client's own process and platform collectors
               "generation", "implementation", "major", "minor", "patchlevel", "version"}
    assert {label.split("=", 1)[0] for label in labels} <= allowed


def test_the_submission_records_each_step_in_order(graded_through_the_broker):
    submission = graded_through_the_broker

    assert submission.submitted_at <= submission.sent_at <= submission.grading_started_at
    assert submission.grading_started_at <= submission.grade.graded_at


def test_the_gradebook_shows_the_steps_in_seoul_time(client, graded_through_the_broker,
                                                     instructor):
    submission = graded_through_the_broker
    admin_login(client, instructor)

    html = client.get(reverse("grading_admin:submission", args=[submission.pk])).content.decode()

    seoul = ZoneInfo("Asia/Seoul")
    for step, moment in (("sent", submission.sent_at),
                         ("started", submission.grading_started_at),
                         ("graded", submission.grade.graded_at)):
        cell = re.search(rf'data-grading-time="{step}">(.*?)</dd>', html).group(1)
        assert moment.astimezone(seoul).strftime("%Y-%m-%d %H:%M:%S") in cell, step
        assert "+09:00" in cell  # the machine-readable time is Seoul's too


def test_the_gradebook_labels_the_steps_in_korean(client, graded_through_the_broker,
                                                  instructor):
    admin_login(client, instructor, language="ko")

    html = client.get(reverse("grading_admin:submission",
                              args=[graded_through_the_broker.pk])).content.decode()

    for step, label in (("sent", "채점 요청 전송"), ("started", "채점 시작"),
                        ("graded", "채점 완료")):
        assert f'<dt>{label}</dt><dd data-grading-time="{step}">' in html


@override_settings(HEALTH_CHECK_TOKEN=TOKEN)
def test_the_oldest_message_age_is_read_from_the_message(client, monkeypatch, purged_broker,
                                                         released_assignment, enrolled_learner,
                                                         django_capture_on_commit_callbacks):
    # A message published ten minutes ago (the stamp's clock moved back for the publish).
    published = time.time() - 600
    monkeypatch.setattr("lms.celery.time", SimpleNamespace(time=lambda: published))
    with django_capture_on_commit_callbacks(execute=True):
        submission_create(assignment=released_assignment, learner=enrolled_learner,
                          data=notebook_with(RIGHT))
    monkeypatch.undo()

    samples = scrape(client)

    assert value(samples, "aimd_task_queue_length", queue="grading") == 1
    assert 600 <= value(samples, "aimd_task_queue_oldest_message_age_seconds",
                        queue="grading") < 3600
    assert value(samples, "aimd_task_queue_oldest_message_age_seconds", queue="default") == 0


def test_the_demo_brokers_queue_is_measured_too(client, tmp_path, monkeypatch,
                                                released_assignment, enrolled_learner,
                                                django_capture_on_commit_callbacks):
    # The demo's embedded broker: kombu's SQLAlchemy transport on a SQLite file.
    url = f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"
    published = time.time() - 600
    site_broker, site_options = settings.CELERY_BROKER_URL, app.conf.broker_transport_options
    app.conf.broker_transport_options = {}  # Redis's visibility timeout means nothing there
    _use_broker(url)
    try:
        monkeypatch.setattr("lms.celery.time", SimpleNamespace(time=lambda: published))
        with django_capture_on_commit_callbacks(execute=True):
            submission_create(assignment=released_assignment, learner=enrolled_learner,
                              data=notebook_with(RIGHT))
        monkeypatch.undo()
        with override_settings(HEALTH_CHECK_TOKEN=TOKEN, CELERY_BROKER_URL=url,
                               CELERY_BROKER_TRANSPORT_OPTIONS={}):
            samples = scrape(client)
    finally:
        app.conf.broker_transport_options = site_options
        _use_broker(site_broker)

    assert value(samples, "aimd_task_queue_length", queue="grading") == 1
    assert 600 <= value(samples, "aimd_task_queue_oldest_message_age_seconds",
                        queue="grading") < 3600
    with Connection(url) as conn:  # the scrape took nothing off the queue
        assert conn.default_channel.queue_declare(queue="grading",
                                                  passive=True).message_count == 1


@override_settings(HEALTH_CHECK_TOKEN=TOKEN, CELERY_BROKER_URL="redis://127.0.0.1:1/0",
                   HEALTH_CHECK_TIMEOUT=0.5)
def test_a_broker_that_is_down_is_a_figure_not_an_error(client):
    samples = scrape(client)

    assert value(samples, "aimd_metrics_source_up", source="broker") == 0
    assert value(samples, "aimd_metrics_source_up", source="database") == 1
    assert ("aimd_grading_grades", (("status", "graded"),)) in samples
