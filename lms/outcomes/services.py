"""Writes of employment outcomes: consents, the follow-up schedule (rows, invitations,
reminders, no answer), the one-time links and the answers, and the logged matching export.

Every function that depends on the clock takes ``now`` (default: ``timezone.now()``), so the
schedule can be tested by moving ``now`` instead of waiting or freezing time.
"""

from __future__ import annotations

import csv
import datetime
import logging
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lms.certificates.models import Certificate
from lms.core.spreadsheet import spreadsheet_safe
from lms.outcomes.definitions import (
    EMPLOYED,
    EmployerSize,
    Industry,
    PayBand,
    Source,
    Status,
    months_after,
)
from lms.outcomes.models import ExportChannel, MatchingExport, Outcome, OutcomeConsent
from lms.outcomes.selectors import MatchingFilters, matching_rows

logger = logging.getLogger(__name__)

LINK_SALT = "lms.outcomes.link"


class ConsentRefused(ValueError):
    """A consent that cannot be recorded as asked; the message is for the learner."""


class LinkInvalid(Exception):
    """A follow-up link that cannot be used: ``reason`` is ``tampered``, ``expired``, ``used``,
    ``answered`` (a person already answered otherwise: the learner from My learning, or staff)
    or ``unknown``."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# --- Consent ---------------------------------------------------------------------------------

def outcome_consent_set(*, user, follow_up: bool, matching: bool,
                        birth_date: datetime.date | None = None, language: str | None = None,
                        now: datetime.datetime | None = None) -> OutcomeConsent:
    """Record the learner's two consents. A consent newly given gets its time (a consent kept
    keeps its first time); matching needs the date of birth, and withdrawing matching clears
    it. Withdrawing the follow-up stops every email not yet sent."""
    now = now or timezone.now()
    if matching and birth_date is None:
        raise ConsentRefused(_("Matching with employment records needs your date of birth."))
    languages = {code for code, _name in settings.LANGUAGES}
    with transaction.atomic():
        consent, _created = OutcomeConsent.objects.select_for_update().get_or_create(user=user)
        consent.follow_up_at = (consent.follow_up_at if consent.follow_up else now) \
            if follow_up else None
        consent.follow_up = follow_up
        consent.matching_at = (consent.matching_at if consent.matching else now) \
            if matching else None
        consent.matching = matching
        consent.birth_date = birth_date if matching else None
        if language in languages:
            consent.language = language
        consent.save()
    logger.info("outcome consent of user %s: follow-up=%s matching=%s", user.pk, follow_up,
                matching)
    return consent


# --- The schedule ----------------------------------------------------------------------------

def _months() -> list[int]:
    return sorted(set(settings.OUTCOMES_FOLLOW_UP_MONTHS))


def _due_at(issued_at: datetime.datetime, months: int) -> datetime.datetime:
    local = timezone.localtime(issued_at)
    day = months_after(local.date(), months)
    return local.replace(year=day.year, month=day.month, day=day.day)


def outcomes_schedule(*, now: datetime.datetime | None = None) -> int:
    """Create the outcome rows that have come due: for each valid (not revoked) certificate of
    a learner who consents to the follow-up, one row per follow-up point whose date has passed
    and whose answer window is still open (a learner who consents late is not asked about
    points long gone). Safe to run twice: the unique constraint keeps one row per point."""
    now = now or timezone.now()
    window = datetime.timedelta(days=settings.OUTCOMES_ANSWER_WINDOW_DAYS)
    months = _months()
    if not months:
        return 0
    # Certificates so old that every point's window has closed are not read.
    candidates = (Certificate.objects
                  .filter(revoked_at__isnull=True,
                          enrolment__learner__outcome_consent__follow_up=True,
                          issued_at__lte=now)
                  .only("pk", "issued_at"))
    oldest = now - window - datetime.timedelta(days=31 * max(months) + 1)
    candidates = candidates.filter(issued_at__gte=oldest)
    existing = set(Outcome.objects.filter(certificate__in=candidates.values("pk"))
                   .values_list("certificate_id", "months"))
    new = []
    for certificate in candidates:
        for point in months:
            due_at = _due_at(certificate.issued_at, point)
            if due_at <= now < due_at + window and (certificate.pk, point) not in existing:
                new.append(Outcome(certificate_id=certificate.pk, months=point, due_at=due_at))
    created = Outcome.objects.bulk_create(new, ignore_conflicts=True)
    if new:
        logger.info("outcomes: %d follow-up point(s) came due", len(new))
    return len(created)


def _consenting() -> Q:
    return Q(certificate__enrolment__learner__outcome_consent__follow_up=True,
             certificate__revoked_at__isnull=True)


def outcome_link_token(*, outcome: Outcome, now: datetime.datetime | None = None) -> str:
    """The signed token of the outcome's one-time link: its id, its nonce and when it was
    made (the link expires ``OUTCOMES_LINK_MAX_AGE_DAYS`` later)."""
    now = now or timezone.now()
    return signing.dumps({"o": outcome.pk, "n": outcome.link_nonce, "t": int(now.timestamp())},
                         salt=LINK_SALT, compress=True)


def outcome_link_url(*, outcome: Outcome, language: str,
                     now: datetime.datetime | None = None) -> str:
    with translation.override(language):
        path = reverse("outcomes:answer", args=[outcome_link_token(outcome=outcome, now=now)])
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path


def _send(*, outcome: Outcome, reminder: bool, now: datetime.datetime) -> None:
    learner = outcome.certificate.enrolment.learner
    consent = learner.outcome_consent
    language = consent.language or settings.LANGUAGE_CODE
    with translation.override(language):
        context = {
            "name": learner.get_short_name(),
            "programme": (outcome.certificate.programme_title_en
                          if language == "en" and outcome.certificate.programme_title_en
                          else outcome.certificate.programme_title),
            "months": outcome.months,
            "url": outcome_link_url(outcome=outcome, language=language, now=now),
            "max_age_days": settings.OUTCOMES_LINK_MAX_AGE_DAYS,
            "reminder": reminder,
            "my_learning": settings.WAGTAILADMIN_BASE_URL.rstrip("/")
            + reverse("outcomes:mine"),
        }
        subject = (_("Reminder: how are you doing %(months)s months after the programme?")
                   if reminder else
                   _("How are you doing %(months)s months after the programme?")) \
            % {"months": outcome.months}
        body = render_to_string("outcomes/email/follow_up.txt", context)
    # The platform's mail backend queues the message when this transaction commits.
    send_mail(settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject, body, None, [learner.email])


def _claim(*, outcome_id: int, field: str, now: datetime.datetime,
           **conditions) -> Outcome | None:
    """Lock the outcome row and mark it sent (``field`` = now) if it still meets
    ``conditions`` and the learner still consents; None otherwise. Called in a transaction:
    a second run waits for the first one's lock, then sees the field set and sends nothing."""
    outcome = (Outcome.objects.select_for_update(of=("self",))
               .select_related("certificate__enrolment__learner__outcome_consent")
               .filter(pk=outcome_id, status="", **{f"{field}__isnull": True}, **conditions)
               .first())
    if outcome is None or not outcome.certificate.is_valid:
        return None
    consent = getattr(outcome.certificate.enrolment.learner, "outcome_consent", None)
    if consent is None or not consent.follow_up:
        return None
    setattr(outcome, field, now)
    outcome.save(update_fields=[field])
    return outcome


def outcome_invite(*, outcome_id: int, now: datetime.datetime | None = None) -> bool:
    """Send the invitation of one outcome, once: the row is locked and claimed
    (``invited_at``) before the email is queued, so two runs at the same time send one
    email. Nothing is sent when the learner has withdrawn the follow-up consent or already
    answered."""
    now = now or timezone.now()
    with transaction.atomic():
        outcome = _claim(outcome_id=outcome_id, field="invited_at", now=now)
        if outcome is None:
            return False
        _send(outcome=outcome, reminder=False, now=now)
    logger.info("outcome %s: invitation sent (+%s months)", outcome_id, outcome.months)
    return True


def outcome_remind(*, outcome_id: int, now: datetime.datetime | None = None) -> bool:
    """Send the one reminder of an unanswered outcome ``OUTCOMES_REMINDER_DAYS`` after the
    invitation (claimed like the invitation: ``reminded_at``)."""
    now = now or timezone.now()
    before = now - datetime.timedelta(days=settings.OUTCOMES_REMINDER_DAYS)
    with transaction.atomic():
        outcome = _claim(outcome_id=outcome_id, field="reminded_at", now=now,
                         invited_at__lte=before, link_used_at__isnull=True)
        if outcome is None:
            return False
        _send(outcome=outcome, reminder=True, now=now)
    logger.info("outcome %s: reminder sent (+%s months)", outcome_id, outcome.months)
    return True


def outcomes_close_unanswered(*, now: datetime.datetime | None = None) -> int:
    """Record "no answer" (source: system) for every outcome still unanswered
    ``OUTCOMES_ANSWER_WINDOW_DAYS`` after its invitation (or after its due date when no
    invitation went out, e.g. the consent was withdrawn)."""
    now = now or timezone.now()
    since = now - datetime.timedelta(days=settings.OUTCOMES_ANSWER_WINDOW_DAYS)
    closed = (Outcome.objects.annotate(started=Coalesce("invited_at", "due_at"))
              .filter(status="", started__lte=since)
              .update(status=Status.NO_ANSWER, source=Source.SYSTEM, answered_at=now))
    if closed:
        logger.info("outcomes: %d recorded as no answer after the window", closed)
    return closed


@dataclass(frozen=True)
class FollowUpRun:
    created: int
    invited: int
    reminded: int
    closed: int


def outcomes_follow_up(*, now: datetime.datetime | None = None) -> FollowUpRun:
    """One pass of the follow-up (the hourly beat task): create the rows that came due, send
    the invitations and reminders that are due, close the unanswered. Idempotent."""
    now = now or timezone.now()
    created = outcomes_schedule(now=now)
    invited = sum(outcome_invite(outcome_id=pk, now=now) for pk in (
        Outcome.objects.filter(_consenting(), invited_at__isnull=True, status="",
                               due_at__lte=now).values_list("pk", flat=True)))
    before = now - datetime.timedelta(days=settings.OUTCOMES_REMINDER_DAYS)
    reminded = sum(outcome_remind(outcome_id=pk, now=now) for pk in (
        Outcome.objects.filter(_consenting(), status="", invited_at__lte=before,
                               reminded_at__isnull=True, link_used_at__isnull=True)
        .values_list("pk", flat=True)))
    closed = outcomes_close_unanswered(now=now)
    return FollowUpRun(created=created, invited=invited, reminded=reminded, closed=closed)


# --- Links and answers -----------------------------------------------------------------------

def outcome_from_link(*, token: str, now: datetime.datetime | None = None) -> Outcome:
    """The outcome a follow-up link is for, or :class:`LinkInvalid` saying why not."""
    now = now or timezone.now()
    try:
        data = signing.loads(token, salt=LINK_SALT)
        outcome_id, nonce, made = int(data["o"]), str(data["n"]), int(data["t"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise LinkInvalid("tampered") from None
    age = now - datetime.datetime.fromtimestamp(made, tz=datetime.UTC)
    if age > datetime.timedelta(days=settings.OUTCOMES_LINK_MAX_AGE_DAYS):
        raise LinkInvalid("expired")
    outcome = (Outcome.objects.select_related("certificate__enrolment__run")
               .filter(pk=outcome_id, link_nonce=nonce).first())
    if outcome is None:
        raise LinkInvalid("unknown")
    if outcome.link_used_at is not None:
        raise LinkInvalid("used")
    if outcome.status and outcome.source != Source.SYSTEM:
        raise LinkInvalid("answered")
    return outcome


def _link_open() -> Q:
    """Outcomes a link may still answer: unanswered, or recorded as no answer by the system."""
    return Q(status="") | Q(source=Source.SYSTEM)


@dataclass(frozen=True)
class Answer:
    """An answer as the form gives it; the employment details only count when employed."""

    status: str
    employed_on: datetime.date | None = None
    employer_size: str = ""
    industry: str = ""
    uses_ai: bool | None = None
    pay_band: str = ""


def _write_answer(outcome: Outcome, answer: Answer, *, source: str,
                  now: datetime.datetime) -> None:
    if answer.status not in Status.values or (answer.status == Status.NO_ANSWER
                                              and source != Source.STAFF):
        raise ValueError(f"not an answer: {answer.status!r}")
    employed = answer.status in EMPLOYED
    outcome.status = answer.status
    outcome.employed_on = answer.employed_on if employed else None
    outcome.employer_size = answer.employer_size if employed \
        and answer.employer_size in EmployerSize.values else ""
    outcome.industry = answer.industry if employed and answer.industry in Industry.values \
        else ""
    outcome.uses_ai = answer.uses_ai if employed else None
    outcome.pay_band = answer.pay_band if employed and answer.pay_band in PayBand.values else ""
    outcome.source = source
    outcome.answered_at = now


_ANSWER_FIELDS = ["status", "employed_on", "employer_size", "industry", "uses_ai", "pay_band",
                  "source", "answered_at"]


def outcome_answer_by_link(*, token: str, answer: Answer,
                           now: datetime.datetime | None = None) -> Outcome:
    """Record the answer sent through a one-time link and use the link up. Two posts of the
    same link record one answer, and a link never overwrites an answer a person gave
    otherwise (the learner, staff): the link is claimed by a conditional update."""
    now = now or timezone.now()
    outcome = outcome_from_link(token=token, now=now)
    with transaction.atomic():
        claimed = (Outcome.objects.filter(_link_open(), pk=outcome.pk,
                                          link_nonce=outcome.link_nonce,
                                          link_used_at__isnull=True)
                   .update(link_used_at=now))
        if not claimed:
            outcome_from_link(token=token, now=now)  # raises the reason
            raise LinkInvalid("used")
        outcome.link_used_at = now
        _write_answer(outcome, answer, source=Source.FORM, now=now)
        outcome.save(update_fields=_ANSWER_FIELDS)
    logger.info("outcome %s: answered through the link (%s)", outcome.pk, outcome.status)
    return outcome


def outcome_answer_by_learner(*, outcome_id: int, learner, answer: Answer,
                              now: datetime.datetime | None = None) -> Outcome:
    """The learner's own answer (or correction) from "My learning"; only their own outcomes
    (``Outcome.DoesNotExist`` otherwise)."""
    now = now or timezone.now()
    with transaction.atomic():
        outcome = Outcome.objects.select_for_update().get(
            pk=outcome_id, certificate__enrolment__learner=learner)
        _write_answer(outcome, answer, source=Source.LEARNER, now=now)
        outcome.save(update_fields=_ANSWER_FIELDS)
    logger.info("outcome %s: answered by the learner (%s)", outcome.pk, outcome.status)
    return outcome


def outcome_answer_by_staff(*, outcome: Outcome, actor,
                            now: datetime.datetime | None = None) -> Outcome:
    """Save a correction programme staff made in the admin (the source becomes staff)."""
    now = now or timezone.now()
    answer = Answer(status=outcome.status, employed_on=outcome.employed_on,
                    employer_size=outcome.employer_size, industry=outcome.industry,
                    uses_ai=outcome.uses_ai, pay_band=outcome.pay_band)
    if not outcome.status:
        outcome.source, outcome.answered_at = "", None
        outcome.save(update_fields=_ANSWER_FIELDS)
        return outcome
    _write_answer(outcome, answer, source=Source.STAFF, now=now)
    outcome.save(update_fields=_ANSWER_FIELDS)
    logger.info("outcome %s: corrected by staff user %s (%s)", outcome.pk, actor.pk,
                outcome.status)
    return outcome


# --- The matching export ---------------------------------------------------------------------

def matching_export_write(*, file: IO[str], operator, channel: ExportChannel,
                          filters: MatchingFilters) -> MatchingExport:
    """Write the matching list (UTF-8 with a byte-order mark for Excel; cells that a
    spreadsheet would run as formulas neutralised) and log the download."""
    rows = matching_rows(filters=filters)
    writer = csv.writer(file)
    file.write("\ufeff")
    writer.writerow([_("Name"), _("Date of birth"), _("Completion date"), _("Programme"),
                     _("Run"), _("Certificate")])
    for row in rows:
        writer.writerow([spreadsheet_safe(value) for value in (
            row.name, row.birth_date.isoformat(), row.completed_on.isoformat(),
            row.programme, row.run, row.serial)])
    log = MatchingExport.objects.create(
        operator=operator, operator_email=operator.email, channel=channel, rows=len(rows),
        year=filters.year, programme_key=filters.programme_key or "", run_id=filters.run_id)
    logger.warning("matching export by %s (%s): %d rows, year %s, programme %s, run %s",
                   operator.email, channel, len(rows), filters.year,
                   filters.programme_key or "-", filters.run_id or "-")
    return log

