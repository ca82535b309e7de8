"""Reading employment outcomes: how each completion of a year counts in the employment rate
(``definitions.rate_class``, the one rule), and which answer describes the job it counts."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from lms.certificates.models import Certificate
from lms.outcomes.definitions import (
    EMPLOYED,
    RATE_MONTHS,
    RateClass,
    months_after,
    rate_class,
)
from lms.outcomes.models import Outcome


@dataclass(frozen=True)
class CompletionRate:
    """One completion (a certificate not revoked) as the employment rate counts it: its run,
    its class and, when employed, the job it is counted for (the latest answer at a point of
    at most 6 months that says employed within 6 months; blank when not given)."""

    certificate_id: int
    run_id: int
    programme_key: str
    completed_on: datetime.date
    rate_class: RateClass
    employer_size: str = ""
    pay_band: str = ""
    uses_ai: bool | None = None


def year_bounds(*, year: int) -> tuple[datetime.datetime, datetime.datetime]:
    """The first moment of ``year`` and of the next, in Korean time."""
    seoul = ZoneInfo(settings.TIME_ZONE)
    return (datetime.datetime(year, 1, 1, tzinfo=seoul),
            datetime.datetime(year + 1, 1, 1, tzinfo=seoul))


def completions_rated(*, year: int, today: datetime.date | None = None
                      ) -> list[CompletionRate]:
    """Every completion of ``year`` (certificates not revoked, issued that year in Korean
    time) with its class in the employment rate on ``today`` (default: today). Two queries
    however many completions there are."""
    today = today or timezone.localdate()
    window = settings.OUTCOMES_ANSWER_WINDOW_DAYS
    start, end = year_bounds(year=year)
    certificates = list(
        Certificate.objects.filter(revoked_at__isnull=True, issued_at__gte=start,
                                   issued_at__lt=end)
        .order_by("pk")
        .values_list("pk", "issued_at", "enrolment__run_id",
                     "enrolment__run__programme__translation_key"))
    answers: dict[int, list] = {}
    for row in (Outcome.objects.filter(certificate__revoked_at__isnull=True,
                                       certificate__issued_at__gte=start,
                                       certificate__issued_at__lt=end,
                                       months__lte=RATE_MONTHS)
                .exclude(status="")
                .values_list("certificate_id", "months", "status", "employed_on",
                             "employer_size", "pay_band", "uses_ai")):
        answers.setdefault(row[0], []).append(row[1:])
    rated = []
    for pk, issued_at, run_id, programme_key in certificates:
        completed_on = timezone.localdate(issued_at)
        own = answers.get(pk, [])
        kind = rate_class(completed_on=completed_on, today=today, window_days=window,
                          answers=[(months, status, employed_on)
                                   for months, status, employed_on, *_job in own])
        job = ("", "", None)
        if kind == RateClass.EMPLOYED:
            limit = months_after(completed_on, RATE_MONTHS)
            counted = sorted((a for a in own if a[1] in EMPLOYED
                              and (a[2] is None or a[2] <= limit)), key=lambda a: a[0])
            job = tuple(counted[-1][3:])
        rated.append(CompletionRate(
            certificate_id=pk, run_id=run_id, programme_key=str(programme_key),
            completed_on=completed_on, rate_class=kind, employer_size=job[0] or "",
            pay_band=job[1] or "", uses_ai=job[2]))
    return rated
