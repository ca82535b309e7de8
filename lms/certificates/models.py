"""Certificates and their serial numbers.

A :class:`Certificate` records one completed programme run (one per enrolment); what it
certifies is copied in when it is issued. :class:`CertificateSerial` numbers them per year
(``AIMD-2025-000001``).

Both tables were created by the grading app (``grading/migrations/0004``) and moved here in
state only (``certificates/migrations/0001``): the tables keep their names and their rows.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

SERIAL_PREFIX = "AIMD"


def serial_format(year: int, number: int) -> str:
    """The printed serial of the ``number``-th certificate of ``year``."""
    return f"{SERIAL_PREFIX}-{year}-{number:06d}"


def _verification_code() -> str:
    return secrets.token_urlsafe(18)


class CertificateSerial(models.Model):
    """The last serial number used in a year (a row per year, locked while numbering)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "grading_certificateserial"  # moved from grading without copying

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Certificate(models.Model):
    """The certificate of a completed run: one per enrolment (so per learner and run).

    What it certifies is copied in when it is issued (holder, programme, hours), so that
    later edits of the pages or the profile do not change an issued certificate.
    """

    # Records, not content: no row in Wagtail's reference index for each one issued.
    wagtail_reference_index_ignore = True

    enrolment = models.OneToOneField("courses.Enrolment", on_delete=models.PROTECT,
                                     related_name="certificate", verbose_name=_("enrolment"))
    serial = models.CharField(_("serial number"), max_length=20, unique=True)
    code = models.CharField(_("verification code"), max_length=32, unique=True,
                            default=_verification_code, editable=False)
    holder_name = models.CharField(_("holder"), max_length=150)
    programme_title = models.CharField(_("programme"), max_length=255)
    programme_title_en = models.CharField(_("programme (English)"), max_length=255,
                                          blank=True)
    hours = models.PositiveSmallIntegerField(_("hours"))
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    show_name = models.BooleanField(
        _("show my name on the verification page"), default=False,
        help_text=_("Otherwise the page shows the name masked (e.g. 김*늘)."))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_reason = models.TextField(_("reason for revoking"), blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("revoked by"))

    class Meta:
        db_table = "grading_certificate"  # moved from grading without copying (migration 0001)
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-issued_at"]
        permissions = [("revoke_certificate", "Can revoke certificate")]
        constraints = [
            models.CheckConstraint(condition=models.Q(revoked_at__isnull=True)
                                   | ~models.Q(revoked_reason=""),
                                   name="certificate_revocation_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.serial} · {self.holder_name}"

    @property
    def is_valid(self) -> bool:
        return self.revoked_at is None

    @property
    def public_name(self) -> str:
        """The holder's name as the verification page shows it."""
        if self.show_name:
            return self.holder_name
        name = self.holder_name.strip()
        if len(name) <= 1:
            return "*"
        if len(name) == 2:
            return name[0] + "*"
        return name[0] + "*" * (len(name) - 2) + name[-1]
