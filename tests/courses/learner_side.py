"""Helpers for the learner-side tests (pages, enrolment, progress, dashboard)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from courses.models import ModulePage
from lms.accounts.models import LearnerProfile
from tests.courses.factories import EnrolmentFactory, ProgrammeRunFactory


def profile_complete(user) -> None:
    """Give the learner every profile answer the statistics require."""
    LearnerProfile.objects.update_or_create(user=user, defaults={
        "participant_status": "employed", "ai_major": False, "birth_year": 1990,
        "region": "seoul"})


def enrol(user, run, status="enrolled"):
    return EnrolmentFactory(learner=user, run=run, status=status)


def closed_run(programme, number):
    now = timezone.now()
    return ProgrammeRunFactory(programme=programme, number=number,
                               enrolment_opens_at=now - dt.timedelta(days=30),
                               enrolment_closes_at=now - dt.timedelta(days=1))


def upcoming_run(programme, number):
    now = timezone.now()
    return ProgrammeRunFactory(programme=programme, number=number,
                               enrolment_opens_at=now + dt.timedelta(days=10),
                               enrolment_closes_at=now + dt.timedelta(days=40))


def reading_modules(course, count, start=1, prefix="m") -> list[ModulePage]:
    from tests.courses.factories import module_create

    return [module_create(parent=course, title=f"모듈 {i}", slug=f"{prefix}{i}")
            for i in range(start, start + count)]


def body(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()
