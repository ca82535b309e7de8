"""Completing a programme run, and the certificate that records it.

The completion rule of a run (evaluated by :func:`completion_evaluate`):

- every notebook assignment placed in the programme's modules has a counted grade (best or
  last attempt, by the assignment's rule) at or above its pass mark, from a submission made
  by the end of the run (the learner's extension, when later, counts instead);
- every reading module (one without an assignment) is marked complete by the end of the run.

It is evaluated again whenever a grade changes (autograde, regrade, manual grade, override,
extension) and when a reading module is completed. The evaluation that finds a run complete
issues exactly one certificate (a row lock on the enrolment and a one-to-one constraint) and
marks the enrolment completed.

Decided and documented: an issued certificate is a record of what was certified when it was
issued. A later regrade or override below the pass mark does not withdraw it by itself (the
gradebook shows it, and programme staff can revoke it with a reason, which shows on the
verification page at once); a revoked certificate is not issued again by a later grade.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.models import Page

from courses.models import CoursePage, Enrolment, EnrolmentStatus, ModulePage, ModuleProgress
from grading.models import Assignment, Certificate, CertificateSerial, Extension, Submission
from grading.selectors import counted_grade

logger = logging.getLogger(__name__)

SERIAL_PREFIX = "AIMD"


@dataclass
class Completion:
    complete: bool
    missing: list[str] = field(default_factory=list)  # what is still to do, for the learner


def _programme_modules(programme: Page) -> list[ModulePage]:
    courses = CoursePage.objects.child_of(programme).live()
    modules: list[ModulePage] = []
    for course in courses:
        modules += list(ModulePage.objects.child_of(course).live().order_by("path"))
    return modules


def _end_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.max))


def completion_evaluate(*, enrolment: Enrolment) -> Completion:
    """Whether the learner has completed the run, and what is missing if not."""
    run, learner = enrolment.run, enrolment.learner
    modules = _programme_modules(run.programme)
    keys = [m.translation_key for m in modules]
    assignments = list(Assignment.objects.filter(module__translation_key__in=keys)
                       .select_related("module"))
    with_assignments = {a.module.translation_key for a in assignments}
    run_end = _end_of(run.ends_on)
    extensions = {e.assignment_id: e.due_at for e in Extension.objects.filter(
        learner=learner, assignment__in=assignments)}
    missing: list[str] = []
    for assignment in assignments:
        deadline = max(run_end, extensions.get(assignment.pk, run_end))
        submissions = list(Submission.objects.filter(
            assignment=assignment, learner=learner, submitted_at__lte=deadline)
            .select_related("grade"))
        counted = counted_grade(assignment=assignment, submissions=submissions)
        if counted is None or counted.score < assignment.pass_points:
            missing.append(str(_("Pass the assignment “%(title)s”.")
                               % {"title": assignment.title}))
    done = set(ModuleProgress.objects.filter(
        learner=learner, module_key__in=keys, completed_at__isnull=False,
        completed_at__lte=run_end).values_list("module_key", flat=True))
    for module in modules:
        if module.translation_key not in with_assignments and module.translation_key not in done:
            missing.append(str(_("Complete the module “%(title)s”.") % {"title": module.title}))
    return Completion(complete=not missing and bool(modules), missing=missing)


def _serial_next(year: int) -> str:
    counter, _created = CertificateSerial.objects.select_for_update().get_or_create(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{SERIAL_PREFIX}-{year}-{counter.last:06d}"


def certificate_issue_if_complete(*, enrolment: Enrolment, now=None) -> Certificate | None:
    """Issue the run's certificate when the learner has completed it (idempotent)."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            enrolment = (Enrolment.objects.select_for_update()
                         .select_related("run__programme", "learner").get(pk=enrolment.pk))
            existing = Certificate.objects.filter(enrolment=enrolment).first()
            if existing is not None:
                return existing
            if enrolment.status not in (EnrolmentStatus.ENROLLED, EnrolmentStatus.COMPLETED):
                return None
            if not completion_evaluate(enrolment=enrolment).complete:
                return None
            programme = enrolment.run.programme
            english = programme.get_translations().filter(locale__language_code="en").first()
            certificate = Certificate.objects.create(
                enrolment=enrolment, serial=_serial_next(enrolment.run.year),
                holder_name=enrolment.learner.get_full_name() or enrolment.learner.email,
                programme_title=programme.title,
                programme_title_en=english.title if english else "",
                hours=programme.specific.total_hours, issued_at=now)
            enrolment.status = EnrolmentStatus.COMPLETED
            enrolment.completed_at = enrolment.completed_at or now
            enrolment.save(update_fields=["status", "completed_at"])
    except IntegrityError:  # a concurrent evaluation issued it first
        return Certificate.objects.filter(enrolment_id=enrolment.pk).first()
    logger.info("certificate %s issued to user %s for run %s", certificate.serial,
                enrolment.learner_id, enrolment.run_id)
    return certificate


def certificates_reconsider(*, learner, programme_key) -> list[Certificate]:
    """After a change in a learner's work: issue what has become complete."""
    issued = []
    for enrolment in Enrolment.objects.filter(
            learner=learner, run__programme__translation_key=programme_key,
            status__in=(EnrolmentStatus.ENROLLED, EnrolmentStatus.COMPLETED)):
        certificate = certificate_issue_if_complete(enrolment=enrolment)
        if certificate is not None:
            issued.append(certificate)
    return issued


class RevocationRefused(Exception):
    pass


@transaction.atomic
def certificate_revoke(*, certificate: Certificate, reason: str, actor) -> Certificate:
    reason = (reason or "").strip()
    if not reason:
        raise RevocationRefused(_("Give a reason for revoking the certificate."))
    certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
    if certificate.revoked_at is None:
        certificate.revoked_at = timezone.now()
        certificate.revoked_reason = reason
        certificate.revoked_by = actor
        certificate.save(update_fields=["revoked_at", "revoked_reason", "revoked_by"])
        logger.warning("certificate %s revoked by user %s: %s", certificate.serial,
                       getattr(actor, "pk", None), reason)
    return certificate


class NotTheHolder(Exception):
    """Only the holder of a certificate may decide how their name is shown."""


def certificate_name_visibility_set(*, certificate: Certificate, learner,
                                    show: bool) -> Certificate:
    """Record the holder's choice: the public verification page shows their full name
    (``show``) or the masked one (the default). Nobody but the holder may change it."""
    changed = Certificate.objects.filter(pk=certificate.pk,
                                         enrolment__learner_id=learner.pk).update(show_name=show)
    if not changed:
        raise NotTheHolder(_("Only the holder of a certificate can change how their name "
                             "is shown."))
    certificate.show_name = show
    logger.info("certificate %s: holder %s chose to %s their name", certificate.serial,
                learner.pk, "show" if show else "mask")
    return certificate
