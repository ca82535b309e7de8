"""Employment outcomes: a learner's consents, and one outcome record per completion and
follow-up point (its schedule, its one-time link and the answer)."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lms.outcomes.definitions import EmployerSize, Industry, PayBand, Source, Status


def _link_nonce() -> str:
    return secrets.token_urlsafe(16)


class OutcomeConsent(models.Model):
    """A learner's two separate consents: to be followed up about employment, and to be
    matched with public employment records (which needs the date of birth, kept only while
    that consent stands)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="outcome_consent", verbose_name=_("user"))
    follow_up = models.BooleanField(_("consent to employment follow-up"), default=False)
    follow_up_at = models.DateTimeField(_("follow-up consent given at"), null=True, blank=True)
    matching = models.BooleanField(_("consent to matching with employment records"),
                                   default=False)
    matching_at = models.DateTimeField(_("matching consent given at"), null=True, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True,
                                  help_text=_("Needed only for matching with employment "
                                              "insurance records."))
    language = models.CharField(_("language of the follow-up emails"), max_length=8,
                                default="ko")
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("employment outcome consent")
        verbose_name_plural = _("employment outcome consents")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(follow_up=False) | models.Q(follow_up_at__isnull=False),
                name="outcome_follow_up_consent_has_time"),
            models.CheckConstraint(
                condition=models.Q(matching=False) | models.Q(matching_at__isnull=False,
                                                              birth_date__isnull=False),
                name="outcome_matching_consent_has_time_and_birth_date"),
            models.CheckConstraint(
                condition=models.Q(matching=True) | models.Q(birth_date__isnull=True),
                name="outcome_birth_date_only_with_matching"),
        ]

    def __str__(self) -> str:
        return str(self.user)


class Outcome(models.Model):
    """What became of one completion at one follow-up point (e.g. 3 or 6 months after the
    certificate was issued): the schedule of its emails, its one-time link, and the answer.

    ``status`` is empty until answered (or recorded as no answer after the window). The link
    carries ``link_nonce``; it works once (``link_used_at``) and expires.
    """

    # Records, not content: no row in Wagtail's reference index for each one.
    wagtail_reference_index_ignore = True

    certificate = models.ForeignKey("certificates.Certificate", on_delete=models.CASCADE,
                                    related_name="outcomes", verbose_name=_("certificate"))
    months = models.PositiveSmallIntegerField(_("months after completion"))
    due_at = models.DateTimeField(_("due at"))
    # The schedule.
    invited_at = models.DateTimeField(_("invitation sent at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)
    link_nonce = models.CharField(max_length=32, default=_link_nonce, editable=False)
    link_used_at = models.DateTimeField(_("link used at"), null=True, blank=True)
    # The answer.
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, blank=True)
    employed_on = models.DateField(_("date employed"), null=True, blank=True)
    employer_size = models.CharField(_("employer size"), max_length=10,
                                     choices=EmployerSize.choices, blank=True)
    industry = models.CharField(_("industry"), max_length=1, choices=Industry.choices,
                                blank=True)
    uses_ai = models.BooleanField(_("the work uses AI or data skills"), null=True, blank=True)
    pay_band = models.CharField(_("monthly pay"), max_length=10, choices=PayBand.choices,
                                blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("employment outcome")
        verbose_name_plural = _("employment outcomes")
        ordering = ["certificate_id", "months"]
        constraints = [
            models.UniqueConstraint(fields=["certificate", "months"],
                                    name="outcome_one_per_completion_and_point"),
            models.CheckConstraint(condition=models.Q(status="") | models.Q(
                answered_at__isnull=False, source__gt=""), name="outcome_answer_has_time"),
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="outcome_due")]

    def __str__(self) -> str:
        return f"{self.certificate} +{self.months}"


class ExportChannel(models.TextChoices):
    CLI = "cli", _("Command line")
    ADMIN = "admin", _("Admin")


class MatchingExport(models.Model):
    """One download of the matching list (completers who consented to matching with public
    employment records): who, when, how many rows, with which filters, from where. Kept even
    when the operator's account is deleted (their email stays)."""

    operator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                 null=True, blank=True, related_name="+",
                                 verbose_name=_("operator"))
    operator_email = models.EmailField(_("operator's email"))
    exported_at = models.DateTimeField(_("exported at"), default=timezone.now, editable=False)
    channel = models.CharField(_("from"), max_length=8, choices=ExportChannel.choices)
    rows = models.PositiveIntegerField(_("rows"))
    year = models.PositiveSmallIntegerField(_("year of completion"))
    programme_key = models.CharField(_("programme key"), max_length=36, blank=True)
    run_id = models.PositiveIntegerField(_("run id"), null=True, blank=True)

    class Meta:
        verbose_name = _("matching export")
        verbose_name_plural = _("matching exports")
        ordering = ["-exported_at"]
        permissions = [("export_matching", "Can export the matching list")]

    def __str__(self) -> str:
        return f"{self.operator_email} {self.exported_at:%Y-%m-%d %H:%M} ({self.rows})"
