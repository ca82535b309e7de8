"""Completions with known follow-up answers, for the employment-rate tests.

``completers(run, n, issued_at=..., answers=...)`` makes ``n`` learners with a certificate of
``run`` issued at ``issued_at`` and the outcomes ``answers`` (each a dict of Outcome fields with
``months``). ``TODAY`` is the day the tests count on.
"""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

from django.utils import timezone

from courses.models import Enrolment
from lms.certificates.models import Certificate
from lms.outcomes.definitions import months_after
from lms.outcomes.models import Outcome
from tests.factories import UserFactory

SEOUL = ZoneInfo("Asia/Seoul")
TODAY = dt.date(2026, 12, 7)
_serials = itertools.count(1)


def seoul(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SEOUL)


def answer(months: int, status: str, *, employed_on=None, size="", pay="", ai=None,
           industry="") -> dict:
    return {"months": months, "status": status, "employed_on": employed_on,
            "employer_size": size, "pay_band": pay, "uses_ai": ai, "industry": industry}


def completers(run, n: int, *, issued_at: dt.datetime, answers=(), revoked=False) -> list:
    certificates = []
    for _ in range(n):
        user = UserFactory()
        enrolment = Enrolment.objects.create(learner=user, run=run, status="completed",
                                             enrolled_at=issued_at - dt.timedelta(days=90),
                                             completed_at=issued_at)
        certificate = Certificate.objects.create(
            enrolment=enrolment, serial=f"AIMD-{issued_at.year}-{next(_serials):06d}",
            holder_name="-", programme_title="-", hours=10, issued_at=issued_at,
            revoked_at=issued_at + dt.timedelta(days=5) if revoked else None,
            revoked_reason="부정 행위" if revoked else "")
        completed_on = timezone.localdate(issued_at)
        for item in answers:
            fields = dict(item)
            months = fields.pop("months")
            due = dt.datetime.combine(months_after(completed_on, months), dt.time(9), SEOUL)
            answered = fields["status"] != ""
            Outcome.objects.create(
                certificate=certificate, months=months, due_at=due, invited_at=due,
                source=("system" if fields["status"] == "no_answer" else "form")
                if answered else "",
                answered_at=due + dt.timedelta(days=3) if answered else None, **fields)
        certificates.append(certificate)
    return certificates
