"""Writes of certificates: issuing what has become complete, revoking, the holder's choice.

Every service that changes a learner's work ends by calling :func:`certificates_reconsider`
(``courses.services.progress`` after a reading module or a grade, ``courses.services.enrolments``
after an enrolment). The evaluation that finds a run complete issues exactly one certificate
(a row lock on the enrolment and a one-to-one constraint) and marks the enrolment completed
(through ``courses.services.completions``).

Decided and documented: an issued certificate is a record of what was certified when it was
issued. A later regrade or override below the pass mark does not withdraw it by itself (the
gradebook shows it, and programme staff can revoke it with a reason, which shows on the
verification page at once); a revoked certificate is not issued again by a later grade.
"""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courses.models import Enrolment, EnrolmentStatus, ModuleProgress
from courses.page_cache import learner_pages_changed
from courses.services.completions import enrolment_complete
from grading.models import Submission
from lms.certificates.models import Certificate, CertificateSerial, serial_format
from lms.certificates.selectors import completion_evaluate
from lms.reports.aggregates import statistics_refresh_on_commit

logger = logging.getLogger(__name__)

CERTIFIABLE = (EnrolmentStatus.ENROLLED, EnrolmentStatus.COMPLETED)


def _serial_next(year: int) -> str:
    counter, _created = CertificateSerial.objects.select_for_update().get_or_create(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return serial_format(year, counter.last)


def certificate_issue_if_complete(*, enrolment: Enrolment, now=None) -> Certificate | None:
    """Issue the run's certificate when the learner has completed it (idempotent)."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            enrolment = (Enrolment.objects.select_for_update(of=("self",))
                         .select_related("run__programme", "learner").get(pk=enrolment.pk))
            existing = Certificate.objects.filter(enrolment=enrolment).first()
            if existing is not None:
                return existing
            if enrolment.status not in CERTIFIABLE:
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
            enrolment_complete(enrolment=enrolment, at=now)
            # The certificate and the completed status, counted once this commits.
            statistics_refresh_on_commit(enrolment_ids=[enrolment.pk])
    except IntegrityError:  # a concurrent evaluation issued it first
        return Certificate.objects.filter(enrolment_id=enrolment.pk).first()
    logger.info("certificate %s issued to user %s for run %s", certificate.serial,
                enrolment.learner_id, enrolment.run_id)
    return certificate


def _with_work(learner_ids) -> set[int]:
    """Those of the learners with anything that could count towards a run (two queries, a
    cheap check before the full rule)."""
    ids = set(learner_ids)
    found = set(Submission.objects.filter(learner_id__in=ids)
                .values_list("learner_id", flat=True).distinct())
    return found | set(ModuleProgress.objects.filter(
        learner_id__in=ids - found, completed_at__isnull=False)
        .values_list("learner_id", flat=True).distinct())


def certificates_reconsider(*, learner, programme_key) -> list[Certificate]:
    """After a change in a learner's work or enrolment: issue what has become complete.

    The one completion check that every path ends in (a reading module, a grade, an
    override, a manual grade, a regrade, an extension, an enrolment single or in bulk).
    """
    return certificates_reconsider_many(learner_ids=[learner.pk], programme_key=programme_key)


def certificates_reconsider_many(*, learner_ids, programme_key) -> list[Certificate]:
    """:func:`certificates_reconsider` for many learners at once (a bulk enrolment): those
    without any work are passed over in two queries."""
    with_work = _with_work(learner_ids)
    if not with_work:
        return []
    issued = []
    for enrolment in Enrolment.objects.filter(
            learner_id__in=with_work, run__programme__translation_key=programme_key,
            status__in=CERTIFIABLE).order_by("pk"):
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
        statistics_refresh_on_commit(enrolment_ids=[certificate.enrolment_id])
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
    learner_pages_changed(user_ids=[learner.pk])  # update() sends no signal
    logger.info("certificate %s: holder %s chose to %s their name", certificate.serial,
                learner.pk, "show" if show else "mask")
    return certificate
