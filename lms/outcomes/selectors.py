"""Reads of employment outcomes: a learner's own consent and outcomes, the matching list for
programme operators, and how each completion of a year counts in the employment rate
(``definitions.rate_class``, the one rule) with the answer that describes the job it counts."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.accounts.models import Role
from lms.accounts.selectors import user_roles
from lms.certificates.models import Certificate
from lms.core.filters import FilterError, YearFilters, year_filters_parse
from lms.outcomes.definitions import (
    EMPLOYED,
    RATE_MONTHS,
    RateClass,
    months_after,
    rate_class,
)
from lms.outcomes.models import Outcome, OutcomeConsent


def consent_of(*, user) -> OutcomeConsent | None:
    """The learner's consents, or None when they never answered."""
    return OutcomeConsent.objects.filter(user=user).first()


def learner_outcomes(*, user) -> QuerySet[Outcome]:
    """The learner's own outcomes (one query), newest completion first."""
    return (Outcome.objects.filter(certificate__enrolment__learner=user)
            .select_related("certificate__enrolment__run")
            .order_by("-certificate__issued_at", "months"))


def user_may_export_matching(*, user) -> bool:
    """Programme staff (and superusers) with the export permission; never ministry officers,
    who see counts only."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return Role.PROGRAMME_STAFF in user_roles(user=user) \
        and user.has_perm("outcomes.export_matching")


# The matching list takes the dashboard's filters (``lms.core.filters``), with the year required.
MatchingFilterError = FilterError
MatchingFilters = YearFilters


def matching_filters_parse(*, year, programme=None, run=None) -> MatchingFilters:
    """Filters from the command line or the admin form, checked (a readable error, never a
    database error later)."""
    return year_filters_parse(year=year, programme=programme, run=run, year_required=True)


@dataclass(frozen=True)
class MatchingRow:
    name: str
    birth_date: datetime.date
    completed_on: datetime.date
    programme: str
    run: str
    serial: str


def matching_rows(*, filters: MatchingFilters) -> list[MatchingRow]:
    """Completers of ``filters.year`` (by the certificate's issue date, Korea time) with a
    valid certificate who consent to matching with employment records (one query)."""
    start = datetime.datetime(filters.year, 1, 1, tzinfo=timezone.get_current_timezone())
    end = start.replace(year=filters.year + 1)
    certificates = (Certificate.objects
                    .filter(revoked_at__isnull=True, issued_at__gte=start, issued_at__lt=end,
                            enrolment__learner__outcome_consent__matching=True,
                            enrolment__learner__outcome_consent__birth_date__isnull=False)
                    .select_related("enrolment__run",
                                    "enrolment__learner__outcome_consent")
                    .order_by("issued_at", "serial"))
    if filters.programme_key:
        certificates = certificates.filter(
            enrolment__run__programme__translation_key=filters.programme_key)
    if filters.run_id:
        certificates = certificates.filter(enrolment__run_id=filters.run_id)
    return [MatchingRow(
        name=c.enrolment.learner.full_name or c.holder_name,
        birth_date=c.enrolment.learner.outcome_consent.birth_date,
        completed_on=timezone.localdate(c.issued_at),
        programme=c.programme_title,
        run=_("%(year)s run %(number)s") % {"year": c.enrolment.run.year,
                                            "number": c.enrolment.run.number},
        serial=c.serial) for c in certificates]


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
