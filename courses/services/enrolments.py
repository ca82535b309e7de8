"""Writes of enrolment: enrolling (single and in bulk), approving, dropping.

An enrolment can complete a run at once (a learner who moves to another run of a programme
whose work is already done), so each service that makes an enrolment active ends in the
completion check of ``lms.certificates.services``, after its transaction commits. Each one
also tells the statistics which enrolments it changed (``lms.reports.aggregates``, counted
after the commit).
"""

from __future__ import annotations

import csv
import functools
import io
import logging
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courses.models import Enrolment, EnrolmentStatus, ProgrammeRun
from courses.models.runs import ACTIVE_STATUSES
from courses.selectors import REFUSALS, Refusal, RunState, enrolment_refusal
from lms.certificates.services import certificates_reconsider, certificates_reconsider_many
from lms.reports.aggregates import statistics_refresh_on_commit

logger = logging.getLogger(__name__)


def _reconsider_on_commit(enrolment: Enrolment) -> None:
    if enrolment.status == EnrolmentStatus.ENROLLED:
        transaction.on_commit(functools.partial(
            certificates_reconsider, learner=enrolment.learner,
            programme_key=enrolment.run.programme.translation_key))


class EnrolmentRefused(Exception):
    """Enrolment was refused for a reason the learner can act on."""

    def __init__(self, refusal: Refusal):
        super().__init__(str(refusal.message))
        self.refusal = refusal

    @property
    def code(self) -> str:
        return self.refusal.code


def _locked_state(run: ProgrammeRun, now):
    taken = run.enrolments.filter(status__in=ACTIVE_STATUSES).count()
    return RunState(run=run, taken=taken, now=now)


@transaction.atomic
def enrolment_create(*, learner, run: ProgrammeRun, now=None) -> Enrolment:
    """Enrol a learner in a run (or record their application when the run needs approval).

    The run row is locked so that two learners cannot take the last seat together. A learner
    who dropped out of this run before may enrol again while the window is open.
    Raises ``EnrolmentRefused`` with the reason otherwise.
    """
    now = now or timezone.now()
    run = ProgrammeRun.objects.select_for_update().get(pk=run.pk)
    enrolments = list(Enrolment.objects.select_for_update().filter(
        learner=learner, run__programme__translation_key=run.programme.translation_key))
    refusal = enrolment_refusal(state=_locked_state(run, now), enrolments=enrolments, run=run)
    if refusal:
        raise EnrolmentRefused(refusal)

    status = EnrolmentStatus.APPLIED if run.requires_approval else EnrolmentStatus.ENROLLED
    enrolment = next((e for e in enrolments if e.run_id == run.pk), None) or Enrolment(
        learner=learner, run=run)
    enrolment.status = status
    enrolment.applied_at = now
    enrolment.enrolled_at = now if status == EnrolmentStatus.ENROLLED else None
    enrolment.dropped_at = None
    enrolment.drop_reason = ""
    enrolment.save()
    logger.info("learner %s %s run %s", learner.pk, status, run.pk)
    statistics_refresh_on_commit(enrolment_ids=[enrolment.pk])
    _reconsider_on_commit(enrolment)
    return enrolment


@transaction.atomic
def enrolment_approve(*, enrolment: Enrolment, now=None) -> Enrolment:
    """Programme staff accept an application."""
    enrolment = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
    if enrolment.status != EnrolmentStatus.APPLIED:
        raise ValidationError(_("Only an application can be approved."))
    enrolment.status = EnrolmentStatus.ENROLLED
    enrolment.enrolled_at = now or timezone.now()
    enrolment.save(update_fields=["status", "enrolled_at"])
    statistics_refresh_on_commit(enrolment_ids=[enrolment.pk])
    _reconsider_on_commit(enrolment)
    return enrolment


@transaction.atomic
def enrolment_drop(*, enrolment: Enrolment, reason: str, now=None) -> Enrolment:
    """A learner leaves a run (or is removed from it); the reason is kept for the statistics."""
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Give a reason for dropping."))
    enrolment = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
    if enrolment.status == EnrolmentStatus.COMPLETED:
        raise ValidationError(_("A completed enrolment cannot be dropped."))
    if enrolment.status == EnrolmentStatus.DROPPED:
        raise ValidationError(_("This enrolment has already been dropped."))
    enrolment.status = EnrolmentStatus.DROPPED
    enrolment.dropped_at = now or timezone.now()
    enrolment.drop_reason = reason
    enrolment.save(update_fields=["status", "dropped_at", "drop_reason"])
    statistics_refresh_on_commit(enrolment_ids=[enrolment.pk])
    return enrolment


# --- Bulk enrolment from CSV -------------------------------------------------------------------

MAX_BULK_ROWS = 2000


@dataclass
class BulkRow:
    line: int
    email: str
    outcome: str  # "enrolled", "applied", "refused", "malformed"
    message: str = ""


@dataclass
class BulkReport:
    rows: list[BulkRow] = field(default_factory=list)
    error: str = ""

    @property
    def malformed(self) -> list[BulkRow]:
        return [r for r in self.rows if r.outcome == "malformed"]

    @property
    def done(self) -> list[BulkRow]:
        return [r for r in self.rows if r.outcome in ("enrolled", "applied")]

    @property
    def refused(self) -> list[BulkRow]:
        return [r for r in self.rows if r.outcome == "refused"]


def _parse_bulk_csv(data: bytes) -> tuple[list[BulkRow], str]:
    """Rows of (line, email); malformed rows are marked. Returns (rows, file-level error)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], str(_("The file is not UTF-8 text. Save it as CSV UTF-8 and try again."))
    rows: list[BulkRow] = []
    seen: dict[str, int] = {}
    for line, record in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [c.strip() for c in record]
        if not any(cells):
            continue
        email = cells[0]
        if line == 1 and email.lower() in ("email", "e-mail", "이메일"):
            continue  # header
        if len(cells) > 1 and any(cells[1:]):
            rows.append(BulkRow(line, email, "malformed",
                                str(_("Expected one email address per row."))))
            continue
        try:
            validate_email(email)
        except ValidationError:
            rows.append(BulkRow(line, email, "malformed", str(_("Not an email address."))))
            continue
        key = email.lower()
        if key in seen:
            rows.append(BulkRow(line, email, "malformed",
                                str(_("Repeats row %(line)s.") % {"line": seen[key]})))
            continue
        seen[key] = line
        rows.append(BulkRow(line, email, "pending"))
        if len(rows) > MAX_BULK_ROWS:
            return [], str(_("The file has more than %(max)s rows.") % {"max": MAX_BULK_ROWS})
    if not rows:
        return [], str(_("The file has no email addresses."))
    return rows, ""


def enrolments_bulk_create(*, run: ProgrammeRun, data: bytes, now=None) -> BulkReport:
    """Enrol the learners listed in a CSV file (one email address per row).

    All or nothing for the file: if any row is malformed, nothing is enrolled and the report
    lists the rows to fix. Otherwise each listed learner is enrolled, and each one who cannot
    be (no account, already in the run, no seat left) is reported with the reason.
    Staff enrolment ignores the enrolment window but never the capacity.
    """
    rows, error = _parse_bulk_csv(data)
    report = BulkReport(rows=rows, error=error)
    if error or report.malformed:
        for row in rows:
            if row.outcome == "pending":
                row.outcome, row.message = "skipped", str(_("Not processed: fix the file."))
        return report

    now = now or timezone.now()
    User = get_user_model()
    with transaction.atomic():
        run = ProgrammeRun.objects.select_for_update().get(pk=run.pk)
        users = {u.email_lower: u for u in User.objects.annotate(email_lower=Lower("email"))
                 .filter(email_lower__in=[r.email.lower() for r in rows])}
        taken = run.enrolments.filter(status__in=ACTIVE_STATUSES).count()
        existing = {e.learner_id: e for e in Enrolment.objects.filter(
            run__programme__translation_key=run.programme.translation_key,
            learner__in=users.values())}
        status = EnrolmentStatus.APPLIED if run.requires_approval else EnrolmentStatus.ENROLLED
        enrolled: list[int] = []
        changed: list[int] = []
        for row in rows:
            user = users.get(row.email.lower())
            if user is None:
                row.outcome, row.message = "refused", str(_("No account with this email."))
                continue
            current = existing.get(user.pk)
            if current and current.status in ACTIVE_STATUSES:
                row.outcome = "refused"
                row.message = str(REFUSALS["already_in_run" if current.run_id == run.pk
                                          else "already_in_programme"])
                continue
            if taken >= run.capacity:
                row.outcome, row.message = "refused", str(REFUSALS["full"])
                continue
            enrolment = current if current and current.run_id == run.pk else Enrolment(
                learner=user, run=run)
            enrolment.status = status
            enrolment.applied_at = now
            enrolment.enrolled_at = now if status == EnrolmentStatus.ENROLLED else None
            enrolment.dropped_at, enrolment.drop_reason = None, ""
            enrolment.save()
            enrolled.append(user.pk)
            changed.append(enrolment.pk)
            taken += 1
            row.outcome = str(status)
        statistics_refresh_on_commit(enrolment_ids=changed)
        if status == EnrolmentStatus.ENROLLED and enrolled:
            transaction.on_commit(functools.partial(
                certificates_reconsider_many, learner_ids=enrolled,
                programme_key=run.programme.translation_key))
    logger.info("bulk enrolment into run %s: %d done, %d refused", run.pk, len(report.done),
                len(report.refused))
    return report
