"""Fixtures of the employment-outcome tests: completions (certificates) at a chosen time, and
learners' consents. The schedule is tested by passing ``now`` to the services."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from courses.models import EnrolmentStatus
from lms.certificates.models import Certificate
from lms.outcomes.services import outcome_consent_set
from tests.courses.conftest import (  # noqa: F401 - the course fixtures
    catalogue,
    korean,
    learner,
    locales,
    ministry_officer,
    programme,
    programme_staff,
    run,
)
from tests.courses.factories import EnrolmentFactory
from tests.factories import UserFactory

SEOUL = dt.timezone(dt.timedelta(hours=9))
# A completion on 15 January 2026, 10:00 in Seoul: +3 months is 15 April, +6 months 15 July.
ISSUED = dt.datetime(2026, 1, 15, 10, 0, tzinfo=SEOUL)
_serials = itertools.count(1)


def certify(user, run, *, issued_at=ISSUED, revoked=False) -> Certificate:
    """A completed enrolment of ``user`` in ``run`` with its certificate."""
    enrolment = EnrolmentFactory(learner=user, run=run, status=EnrolmentStatus.COMPLETED,
                                 completed_at=issued_at)
    return Certificate.objects.create(
        enrolment=enrolment, serial=f"AIMD-{issued_at.year}-{next(_serials):06d}",
        holder_name=user.full_name or "김하늘", programme_title="제조 AI 기초",
        programme_title_en="AI for Manufacturing", hours=120, issued_at=issued_at,
        revoked_at=issued_at + dt.timedelta(days=1) if revoked else None,
        revoked_reason="부정 행위" if revoked else "")


def consent(user, *, follow_up=True, matching=False, birth_date=None, language="ko",
            now=None):
    return outcome_consent_set(user=user, follow_up=follow_up, matching=matching,
                               birth_date=birth_date, language=language,
                               now=now or ISSUED - dt.timedelta(days=1))


@pytest.fixture
def completion(learner, run):
    """The learner's certificate, issued on ISSUED, and their consent to the follow-up."""
    consent(learner)
    return certify(learner, run)


@pytest.fixture
def recent(learner, run):
    """A completion 3 months and a day ago (real time), consented: its +3 point is due now."""
    today = timezone.localdate()
    run.starts_on, run.ends_on = today - dt.timedelta(days=200), today - dt.timedelta(days=95)
    run.save(update_fields=["starts_on", "ends_on"])
    consent(learner, now=timezone.now() - dt.timedelta(days=120))
    issued = timezone.now() - dt.timedelta(days=93)
    return certify(learner, run, issued_at=issued)


@pytest.fixture
def other_learner(db):
    return UserFactory()
