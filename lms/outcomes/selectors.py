"""Reads of employment outcomes: a learner's own consent and outcomes, and the matching list
for programme operators."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.accounts.models import Role
from lms.accounts.selectors import user_roles
from lms.certificates.models import Certificate
from lms.outcomes.models import Outcome, OutcomeConsent

MIN_YEAR, MAX_YEAR = 2000, 2100


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


class MatchingFilterError(ValueError):
    """A filter that cannot select a matching list; the message is for the operator."""


@dataclass(frozen=True)
class MatchingFilters:
    year: int
    programme_key: str | None = None
    run_id: int | None = None


def matching_filters_parse(*, year, programme=None, run=None) -> MatchingFilters:
    """Filters from the command line or the admin form, checked (a readable error, never a
    database error later)."""
    try:
        year_value = int(year)
    except (TypeError, ValueError):
        raise MatchingFilterError(_("The year must be a number, like 2024.")) from None
    if not MIN_YEAR <= year_value <= MAX_YEAR:
        raise MatchingFilterError(_("The year must be between %(low)s and %(high)s.")
                                  % {"low": MIN_YEAR, "high": MAX_YEAR})
    programme_key = None
    if programme:
        try:
            programme_key = str(uuid.UUID(str(programme)))
        except ValueError:
            raise MatchingFilterError(_("Unknown programme: use a programme key.")) from None
    run_id = None
    if run not in (None, ""):
        try:
            run_id = int(run)
        except (TypeError, ValueError):
            raise MatchingFilterError(_("The run must be a run id (a number), like 12.")) \
                from None
    return MatchingFilters(year=year_value, programme_key=programme_key, run_id=run_id)


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
