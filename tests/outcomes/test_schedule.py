"""The follow-up schedule, time-machine style: each step passes ``now`` to the services."""

from __future__ import annotations

import datetime as dt
import threading
from unittest import mock

import pytest
from celery import current_app
from django.core import mail
from django.db import connection

from lms.outcomes.definitions import Source, Status
from lms.outcomes.models import Outcome
from lms.outcomes.services import (
    outcome_invite,
    outcomes_follow_up,
    outcomes_schedule,
)
from lms.outcomes.tasks import outcomes_follow_up_task
from tests.outcomes.conftest import ISSUED, certify, consent

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)
APRIL_15 = dt.datetime(2026, 4, 15, 10, 0, tzinfo=ISSUED.tzinfo)  # ISSUED + 3 months
JULY_15 = dt.datetime(2026, 7, 15, 10, 0, tzinfo=ISSUED.tzinfo)  # ISSUED + 6 months


def test_nothing_is_due_before_three_months(completion):
    run = outcomes_follow_up(now=APRIL_15 - dt.timedelta(minutes=1))

    assert run.created == 0
    assert not Outcome.objects.exists()
    assert mail.outbox == []


def test_at_three_months_the_point_is_created_and_one_invitation_sent(completion, learner):
    run = outcomes_follow_up(now=APRIL_15 + dt.timedelta(minutes=5))

    outcome = Outcome.objects.get()
    assert (outcome.months, outcome.status, outcome.certificate) == (3, "", completion)
    assert outcome.due_at == APRIL_15
    assert outcome.invited_at == APRIL_15 + dt.timedelta(minutes=5)
    assert (run.created, run.invited) == (1, 1)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [learner.email]
    assert "/ko/outcomes/answer/" in mail.outbox[0].body


def test_running_twice_sends_one_email(completion):
    now = APRIL_15 + DAY
    outcomes_follow_up(now=now)
    second = outcomes_follow_up(now=now + dt.timedelta(hours=1))

    assert (second.created, second.invited, second.reminded) == (0, 0, 0)
    assert Outcome.objects.count() == 1
    assert len(mail.outbox) == 1


def test_the_six_month_point_follows(completion):
    outcomes_follow_up(now=APRIL_15 + DAY)
    outcomes_follow_up(now=JULY_15 + DAY)

    assert sorted(Outcome.objects.values_list("months", flat=True)) == [3, 6]
    invitations = [m for m in mail.outbox if "6" in m.subject and "3" not in m.subject]
    assert len(invitations) == 1


def test_one_reminder_after_the_reminder_days(completion, settings):
    settings.OUTCOMES_REMINDER_DAYS = 10
    outcomes_follow_up(now=APRIL_15)
    outcomes_follow_up(now=APRIL_15 + 9 * DAY)
    assert len(mail.outbox) == 1

    outcomes_follow_up(now=APRIL_15 + 10 * DAY)
    outcomes_follow_up(now=APRIL_15 + 11 * DAY)
    outcomes_follow_up(now=APRIL_15 + 20 * DAY)

    assert len(mail.outbox) == 2
    assert Outcome.objects.get().reminded_at == APRIL_15 + 10 * DAY
    assert mail.outbox[1].subject != mail.outbox[0].subject  # "Reminder: ..."


def test_no_reminder_once_answered(completion):
    outcomes_follow_up(now=APRIL_15)
    Outcome.objects.update(status=Status.NOT_EMPLOYED, source=Source.LEARNER,
                           answered_at=APRIL_15 + DAY)

    outcomes_follow_up(now=APRIL_15 + 15 * DAY)

    assert len(mail.outbox) == 1


def test_no_answer_is_recorded_after_the_window(completion, settings):
    settings.OUTCOMES_ANSWER_WINDOW_DAYS = 30
    outcomes_follow_up(now=APRIL_15)
    outcomes_follow_up(now=APRIL_15 + 29 * DAY)
    assert Outcome.objects.get().status == ""

    closed = outcomes_follow_up(now=APRIL_15 + 30 * DAY).closed

    outcome = Outcome.objects.get()
    assert closed == 1
    assert (outcome.status, outcome.source) == (Status.NO_ANSWER, Source.SYSTEM)
    assert outcome.answered_at == APRIL_15 + 30 * DAY


def test_no_consent_no_outcome_and_no_email(learner, run):
    certify(learner, run)

    outcomes_follow_up(now=JULY_15 + DAY)

    assert not Outcome.objects.exists()
    assert mail.outbox == []


def test_consent_to_matching_only_starts_no_follow_up(learner, run):
    consent(learner, follow_up=False, matching=True, birth_date=dt.date(1995, 3, 1))
    certify(learner, run)

    outcomes_follow_up(now=APRIL_15 + DAY)

    assert not Outcome.objects.exists()


def test_withdrawing_consent_stops_further_emails(completion, learner):
    outcomes_follow_up(now=APRIL_15)
    consent(learner, follow_up=False, now=APRIL_15 + DAY)

    outcomes_follow_up(now=APRIL_15 + 15 * DAY)  # the reminder would be due
    outcomes_follow_up(now=JULY_15 + DAY)  # and the six-month point

    assert len(mail.outbox) == 1
    assert list(Outcome.objects.values_list("months", flat=True)) == [3]


def test_a_revoked_certificate_is_not_followed_up(learner, run):
    consent(learner)
    certify(learner, run, revoked=True)

    outcomes_follow_up(now=APRIL_15 + DAY)

    assert not Outcome.objects.exists()


def test_a_point_whose_window_has_passed_is_not_asked_about(learner, run):
    certify(learner, run)
    consent(learner, now=JULY_15 + DAY)  # consents late: only +6 is still open

    outcomes_follow_up(now=JULY_15 + DAY)

    assert list(Outcome.objects.values_list("months", flat=True)) == [6]
    assert len(mail.outbox) == 1


def test_the_email_speaks_the_learners_language(learner, run):
    consent(learner, language="en")
    certify(learner, run)

    outcomes_follow_up(now=APRIL_15)

    message = mail.outbox[0]
    assert message.subject.endswith("How are you doing 3 months after the programme?")
    assert "/en/outcomes/answer/" in message.body
    assert "AI for Manufacturing" in message.body


def test_the_korean_email(completion):
    outcomes_follow_up(now=APRIL_15)

    message = mail.outbox[0]
    assert "3개월" in message.subject
    assert "제조 AI 기초" in message.body


def test_emails_are_queued_when_the_transaction_commits(completion, learner, settings,
                                                        django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "lms.core.mail.CeleryEmailBackend"
    with mock.patch("lms.core.mail.email_send_task.delay") as delay:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            outcomes_follow_up(now=APRIL_15)
            assert delay.call_count == 0  # nothing leaves inside the transaction

    assert len(callbacks) == 1
    assert delay.call_count == 1
    assert delay.call_args.args[0]["to"] == [learner.email]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_runs_send_one_invitation(learner, run):
    consent(learner)
    certify(learner, run)
    outcomes_follow_up(now=APRIL_15 - DAY)  # nothing yet
    outcomes_schedule(now=APRIL_15)
    outcome_id = Outcome.objects.get().pk
    barrier = threading.Barrier(2)
    results = []

    def invite():
        try:
            barrier.wait()
            results.append(outcome_invite(outcome_id=outcome_id, now=APRIL_15))
        finally:
            connection.close()

    threads = [threading.Thread(target=invite) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [False, True]
    assert len(mail.outbox) == 1


def test_the_beat_runs_the_follow_up_task_hourly(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["outcomes-follow-up"]

    assert entry["task"] == "lms.outcomes.tasks.outcomes_follow_up_task"
    assert entry["task"] in current_app.tasks


def test_the_task_runs_the_follow_up(recent):
    first = outcomes_follow_up_task()
    second = outcomes_follow_up_task()

    assert (first["created"], first["invited"]) == (1, 1)
    assert (second["created"], second["invited"]) == (0, 0)
    assert len(mail.outbox) == 1
