"""Runs (회차) of a programme and learners' enrolments in them."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ProgrammeRun(models.Model):
    """One cohort (회차) of a programme: its dates, enrolment window and capacity.

    A run belongs to the programme page in any of its languages; selectors match runs by the
    page's ``translation_key`` so the Korean and English pages show the same runs.
    """

    programme = models.ForeignKey("courses.ProgrammePage", on_delete=models.PROTECT,
                                  related_name="runs", verbose_name=_("programme"))
    number = models.PositiveSmallIntegerField(_("run number"),
                                              help_text=_("The cohort number (회차)."))
    year = models.PositiveSmallIntegerField(_("year"),
                                            help_text=_("The year the run counts towards."))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    enrolment_opens_at = models.DateTimeField(_("enrolment opens at"))
    enrolment_closes_at = models.DateTimeField(_("enrolment closes at"))
    capacity = models.PositiveIntegerField(_("capacity"))
    requires_approval = models.BooleanField(
        _("requires approval"), default=False,
        help_text=_("Learners apply and programme staff approve them; otherwise enrolling "
                    "is immediate."),
    )

    class Meta:
        verbose_name = _("programme run")
        verbose_name_plural = _("programme runs")
        ordering = ["-year", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "number"], name="run_number_unique"),
            models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")),
                                   name="run_ends_after_start"),
            models.CheckConstraint(
                condition=models.Q(enrolment_closes_at__gt=models.F("enrolment_opens_at")),
                name="run_enrolment_window_ordered"),
        ]

    def __str__(self) -> str:
        return _("%(programme)s · run %(number)s (%(year)s)") % {
            "programme": self.programme.title, "number": self.number, "year": self.year}

    def clean(self) -> None:
        errors = {}
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            errors["ends_on"] = _("A run cannot end before it starts.")
        if (self.enrolment_opens_at and self.enrolment_closes_at
                and self.enrolment_closes_at <= self.enrolment_opens_at):
            errors["enrolment_closes_at"] = _("Enrolment must close after it opens.")
        if errors:
            raise ValidationError(errors)

    def enrolment_is_open(self, at=None) -> bool:
        at = at or timezone.now()
        return self.enrolment_opens_at <= at < self.enrolment_closes_at


class EnrolmentStatus(models.TextChoices):
    APPLIED = "applied", _("Applied")
    ENROLLED = "enrolled", _("Enrolled")
    COMPLETED = "completed", _("Completed")
    DROPPED = "dropped", _("Dropped")


# Statuses that hold a seat and give access to the programme's modules.
ACTIVE_STATUSES = (EnrolmentStatus.APPLIED, EnrolmentStatus.ENROLLED, EnrolmentStatus.COMPLETED)
LEARNING_STATUSES = (EnrolmentStatus.ENROLLED, EnrolmentStatus.COMPLETED)


class Enrolment(models.Model):
    """A learner's place in a run, with the time of each state it went through."""

    # Records, not content: Wagtail's reference index (its "usage" counts) would add rows and
    # a query for every enrolment saved, hundreds of thousands a year.
    wagtail_reference_index_ignore = True

    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="enrolments", verbose_name=_("learner"))
    run = models.ForeignKey(ProgrammeRun, on_delete=models.PROTECT, related_name="enrolments",
                            verbose_name=_("run"))
    status = models.CharField(_("status"), max_length=16, choices=EnrolmentStatus.choices)
    applied_at = models.DateTimeField(_("applied at"), default=timezone.now)
    enrolled_at = models.DateTimeField(_("enrolled at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    dropped_at = models.DateTimeField(_("dropped at"), null=True, blank=True)
    drop_reason = models.TextField(_("reason for dropping"), blank=True)

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["-applied_at"]
        constraints = [
            models.UniqueConstraint(fields=["learner", "run"], name="enrolment_once_per_run"),
            models.CheckConstraint(
                condition=~models.Q(status="dropped") | ~models.Q(drop_reason=""),
                name="enrolment_drop_has_reason"),
        ]
        indexes = [models.Index(fields=["run", "status"])]

    def __str__(self) -> str:
        return f"{self.learner} · {self.run} · {self.get_status_display()}"

    @property
    def gives_access(self) -> bool:
        return self.status in LEARNING_STATUSES
