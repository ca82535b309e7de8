"""Yearly targets of certified people (the programme's funding commitment) and the tokens of
the ministry systems that read the reports API."""

import datetime

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class YearlyTarget(models.Model):
    """How many people the programme must certify in a year (2023: 100, then 400 a year)."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True,
                                            validators=[MinValueValidator(2000)])
    target = models.PositiveIntegerField(_("target (certified people)"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("yearly target")
        verbose_name_plural = _("yearly targets")
        ordering = ["year"]

    def __str__(self) -> str:
        return f"{self.year}: {self.target}"


class ApiToken(models.Model):
    """A bearer token with which a ministry system reads the reports API.

    Only the SHA-256 hash of the token is stored: the token itself is shown once, when it is
    made (``manage.py api_token create``), and cannot be read back from the database. The
    prefix (the token's first characters) identifies it in lists and when revoking. A token
    works only while its owner may see reports, it is not revoked and has not expired.
    """

    name = models.CharField(_("name"), max_length=100,
                            help_text=_("Who uses the token and what for."))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="reports_api_tokens", verbose_name=_("owner"))
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    token_hash = models.CharField(_("SHA-256 hash"), max_length=64, unique=True,
                                  editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_usable(self, *, at: datetime.datetime) -> bool:
        """Not revoked and not expired at the given time."""
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > at)


# --- The statistics' per-run aggregates (lms.reports.aggregates keeps them) -----------------
# Plain integer ids, no foreign keys: the rows follow enrolments, runs and learners that may
# be deleted by any means, and a foreign key would make such a deletion fail or wait on them.


class StatisticsChange(models.Model):
    """Something whose figures may have changed since they were counted: an enrolment, every
    enrolment of a learner (their profile changed), or of a run (its year changed); with
    none of the three, everything (a table was emptied with TRUNCATE, or the triggers were
    installed again).

    Written by database triggers on the enrolment, certificate, learner profile and run tables
    (``lms.reports.triggers``), so every writer is seen, whether it goes through the services,
    bulk_create, raw SQL or the admin; removed when the change has been counted. Each trigger
    reads only its own table and writes only this one (on SQLite, a trigger that named another
    table would break Django's rebuild of that table in later migrations); a migration that
    rebuilds this table on SQLite must drop the triggers first and install them after.
    """

    enrolment_id = models.BigIntegerField(null=True)
    learner_id = models.BigIntegerField(null=True)
    run_id = models.BigIntegerField(null=True)

    class Meta:
        verbose_name = _("statistics change")
        verbose_name_plural = _("statistics changes")
        indexes = [models.Index(fields=["enrolment_id"], name="reports_change_enrolment"),
                   models.Index(fields=["learner_id"], name="reports_change_learner")]

    def __str__(self) -> str:
        return f"{self.enrolment_id or '*'}/{self.learner_id or '*'}/{self.run_id or '*'}"


class EnrolmentContribution(models.Model):
    """What one enrolment adds to the aggregates, as last counted: the aggregates are the sum
    of these rows, and a change is counted as the difference between this row and the
    enrolment as it is now. A row with no run counts nothing (an enrolment being counted for
    the first time, or one that was deleted)."""

    enrolment_id = models.BigIntegerField(primary_key=True)
    run_id = models.BigIntegerField(null=True)
    year = models.PositiveSmallIntegerField(null=True)
    learner_id = models.BigIntegerField(null=True)
    admitted = models.BooleanField(default=False)
    dropped = models.BooleanField(default=False)
    certificate = models.BooleanField(default=False)  # a certificate that is not revoked
    # The answers as the breakdowns count them: "" is "No answer" (none given, no consent, or
    # not admitted).
    participant_status = models.CharField(max_length=20, blank=True, default="")
    ai_major = models.CharField(max_length=5, blank=True, default="")
    gender = models.CharField(max_length=20, blank=True, default="")
    age_band = models.CharField(max_length=20, blank=True, default="")
    region = models.CharField(max_length=20, blank=True, default="")

    class Meta:
        verbose_name = _("enrolment contribution")
        verbose_name_plural = _("enrolment contributions")
        indexes = [models.Index(fields=["learner_id"], name="reports_contribution_learner")]

    def __str__(self) -> str:
        return f"{self.enrolment_id}: run {self.run_id}"


class RunTotals(models.Model):
    """A run's head counts (every learner): applicants (every enrolment), admitted enrolments,
    completed (admitted with a certificate not revoked), dropped, and certificates not revoked
    whatever the enrolment's status (the yearly certified figure)."""

    run_id = models.BigIntegerField(primary_key=True)
    applicants = models.IntegerField(default=0)
    enrolled = models.IntegerField(default=0)
    completed = models.IntegerField(default=0)
    dropped = models.IntegerField(default=0)
    certificates = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("run totals")
        verbose_name_plural = _("run totals")

    def __str__(self) -> str:
        return f"run {self.run_id}: {self.enrolled}"


class RunAnswerCount(models.Model):
    """A run's admitted enrolments (and those certified) with one answer to one question of
    the breakdowns ("" for "No answer")."""

    run_id = models.BigIntegerField()
    dimension = models.CharField(max_length=20)
    category = models.CharField(max_length=20, blank=True)
    enrolled = models.IntegerField(default=0)
    certified = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("run answer count")
        verbose_name_plural = _("run answer counts")
        constraints = [models.UniqueConstraint(fields=["run_id", "dimension", "category"],
                                               name="reports_answer_count_unique")]

    def __str__(self) -> str:
        return f"run {self.run_id} {self.dimension}={self.category!r}: {self.enrolled}"


class YearLearner(models.Model):
    """How many admitted enrolments a learner has in a year's runs: a learner counts once in
    the year's learners while this is above zero (people are not additive over runs)."""

    year = models.PositiveSmallIntegerField()
    learner_id = models.BigIntegerField()
    enrolments = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("learner of a year")
        verbose_name_plural = _("learners of a year")
        constraints = [models.UniqueConstraint(fields=["year", "learner_id"],
                                               name="reports_year_learner_unique")]

    def __str__(self) -> str:
        return f"{self.year}: {self.learner_id} ({self.enrolments})"


class YearTotals(models.Model):
    """The distinct people with an admitted enrolment in a year's runs."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    learners = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("year totals")
        verbose_name_plural = _("year totals")

    def __str__(self) -> str:
        return f"{self.year}: {self.learners}"
