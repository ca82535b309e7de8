"""Assignments, submissions, grades and their audit trail.

- An :class:`Assignment` is what a module's ``notebook_assignment`` block points at (by its
  ``key``): the instructor's nbgrader source, data files, the released notebook learners get,
  and the policy (due date, late penalty, attempts, which attempt counts, time limit).
- A :class:`Submission` is immutable once stored: the notebook's bytes live in storage under
  their SHA-256, and only its grading state moves (queued → grading → done).
- A :class:`Grade` is unique per submission (a database constraint, so retries and races
  cannot produce two); manual scores, overrides and regrades change it in place and leave a
  :class:`GradeAudit` row each (who, when, before, after, why).
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grading.storage import private_storage


def _source_path(instance: Assignment, filename: str) -> str:
    return f"grading/assignments/{instance.key}/source/{uuid.uuid4().hex}.ipynb"


def _data_path(instance: AssignmentDataFile, filename: str) -> str:
    return f"grading/assignments/{instance.assignment.key}/data/{uuid.uuid4().hex}/{filename}"


class Counting(models.TextChoices):
    BEST = "best", _("Best attempt")
    LAST = "last", _("Last attempt")


class ReleaseState(models.TextChoices):
    DRAFT = "draft", _("Not released")
    CHECKING = "checking", _("Release check running")
    RELEASED = "released", _("Released")
    FAILED = "failed", _("Release check failed")


class Assignment(models.Model):
    """A notebook assignment with its nbgrader source and grading policy."""

    key = models.SlugField(
        _("key"), max_length=80, unique=True,
        help_text=_("The key used in the module's notebook assignment block."))
    title = models.CharField(_("title"), max_length=200)
    module = models.ForeignKey(
        "courses.ModulePage", on_delete=models.PROTECT, related_name="assignments",
        verbose_name=_("module"),
        help_text=_("The module whose page shows this assignment (any of its translations)."))

    source = models.FileField(_("source notebook"), upload_to=_source_path, max_length=300,
                              storage=private_storage)
    source_sha256 = models.CharField(max_length=64, editable=False)
    source_uploaded_at = models.DateTimeField(_("source uploaded at"), null=True, editable=False)
    max_score = models.DecimalField(_("points"), max_digits=8, decimal_places=2, default=0,
                                    editable=False,
                                    help_text=_("Total points, from the source notebook."))

    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    late_penalty_percent_per_day = models.DecimalField(
        _("late penalty per day (%)"), max_digits=5, decimal_places=2, default=Decimal(0),
        validators=[MinValueValidator(0), MaxValueValidator(100)])
    late_penalty_cap_percent = models.DecimalField(
        _("late penalty cap (%)"), max_digits=5, decimal_places=2, default=Decimal(100),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("The most a late submission can lose, in percent of its score."))
    accept_late_until = models.DateTimeField(
        _("accept late submissions until"), null=True, blank=True,
        help_text=_("Empty: late submissions are accepted at any time (with the penalty)."))
    max_attempts = models.PositiveSmallIntegerField(
        _("maximum attempts"), null=True, blank=True, validators=[MinValueValidator(1)],
        help_text=_("Empty: unlimited."))
    counting = models.CharField(_("attempt that counts"), max_length=8,
                                choices=Counting.choices, default=Counting.BEST)
    time_limit_seconds = models.PositiveIntegerField(
        _("time limit (seconds)"), default=120,
        validators=[MinValueValidator(5), MaxValueValidator(600)],
        help_text=_("Time allowed to run the whole notebook when grading. Time the notebook "
                    "spends waiting for a busy machine does not count (up to three minutes "
                    "more)."))
    pass_mark = models.DecimalField(
        _("pass mark (points)"), max_digits=8, decimal_places=2, null=True, blank=True,
        help_text=_("Points needed to pass. Empty: 60 percent of the points."))

    release_state = models.CharField(_("release"), max_length=10, choices=ReleaseState.choices,
                                     default=ReleaseState.DRAFT, editable=False)
    # The source that passed the last release check: what submissions are graded against,
    # while a newer upload waits for its own check.
    released_source = models.FileField(max_length=300, blank=True, editable=False,
                                       storage=private_storage,
                                       upload_to="grading/released-sources/")
    released_source_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    released = models.FileField(_("released notebook"), upload_to="grading/released/",
                                max_length=300, blank=True, editable=False,
                                storage=private_storage)
    released_at = models.DateTimeField(_("released at"), null=True, editable=False)
    release_report = models.JSONField(_("release check report"), default=dict, editable=False)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["key"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(late_penalty_cap_percent__gte=0)
                & models.Q(late_penalty_cap_percent__lte=100)
                & models.Q(late_penalty_percent_per_day__gte=0)
                & models.Q(late_penalty_percent_per_day__lte=100),
                name="assignment_penalty_percentages"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.key})"

    @property
    def pass_points(self) -> Decimal:
        if self.pass_mark is not None:
            return self.pass_mark
        return (Decimal(self.max_score) * Decimal("0.6")).quantize(Decimal("0.01"))

    @property
    def is_released(self) -> bool:
        """Learners have a checked version (a newer upload may be waiting for its check)."""
        return bool(self.released) and bool(self.released_source)

    @property
    def has_unreleased_changes(self) -> bool:
        return self.is_released and self.release_state != ReleaseState.RELEASED

    def late_cutoff_for(self, learner) -> datetime | None:
        """The last moment the learner may submit: the cut-off, or their later extension."""
        if self.accept_late_until is None:
            return None
        extension = self.extensions.filter(learner=learner).only("due_at").first()
        if extension and extension.due_at > self.accept_late_until:
            return extension.due_at
        return self.accept_late_until

    def due_for(self, learner) -> datetime | None:
        """The learner's due date: their extension when they have one."""
        extension = self.extensions.filter(learner=learner).only("due_at").first()
        return extension.due_at if extension else self.due_at

    def late_days(self, *, submitted_at: datetime, due_at: datetime | None) -> int:
        """Whole days late, counting any part of a day as a day (0 when on time)."""
        if due_at is None or submitted_at <= due_at:
            return 0
        return math.ceil((submitted_at - due_at).total_seconds() / 86400)

    def penalty_percent(self, late_days: int) -> Decimal:
        if late_days <= 0:
            return Decimal(0)
        return min(self.late_penalty_cap_percent,
                   self.late_penalty_percent_per_day * late_days, Decimal(100))


class DataFileQuerySet(models.QuerySet):
    def visible(self) -> DataFileQuerySet:
        """The files learners get (hidden ones exist only in the grading judge)."""
        return self.filter(hidden=False)


class AssignmentDataFile(models.Model):
    """A data file the notebook reads; copied beside it for learners and for grading.

    A *hidden* file (a held-out test set with its labels, say) is given only to the judge
    that runs the tests: never to learners' labs or downloads, never to the process that runs
    their code (docs/grading-engine.md).
    """

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE,
                                   related_name="data_files", verbose_name=_("assignment"))
    name = models.CharField(_("file name"), max_length=120)
    file = models.FileField(_("file"), upload_to=_data_path, max_length=300,
                            storage=private_storage)
    sha256 = models.CharField(max_length=64, editable=False)
    hidden = models.BooleanField(
        _("hidden"), default=False,
        help_text=_("Only the tests see it; learners and their code never do."))

    objects = DataFileQuerySet.as_manager()

    class Meta:
        verbose_name = _("data file")
        verbose_name_plural = _("data files")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["assignment", "name"],
                                               name="data_file_name_unique")]

    def __str__(self) -> str:
        return self.name


class Extension(models.Model):
    """A learner's own due date for one assignment."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE,
                                   related_name="extensions", verbose_name=_("assignment"))
    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="extensions", verbose_name=_("learner"))
    due_at = models.DateTimeField(_("extended due date"))
    reason = models.TextField(_("reason"))
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+", null=True, blank=True,
                                   verbose_name=_("granted by"))
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)

    class Meta:
        verbose_name = _("extension")
        verbose_name_plural = _("extensions")
        constraints = [models.UniqueConstraint(fields=["assignment", "learner"],
                                               name="extension_once_per_learner")]

    def __str__(self) -> str:
        return f"{self.learner} · {self.assignment.key} · {self.due_at:%Y-%m-%d %H:%M}"


class SubmissionState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    GRADING = "grading", _("Grading")
    DONE = "done", _("Graded")


class Submission(models.Model):
    """One attempt: immutable bytes (stored under their SHA-256) and its grading state."""

    IMMUTABLE_FIELDS = ("assignment_id", "learner_id", "attempt", "notebook", "sha256", "size",
                        "submitted_at", "due_at", "late_days")

    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT,
                                   related_name="submissions", verbose_name=_("assignment"))
    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                related_name="submissions", verbose_name=_("learner"))
    run = models.ForeignKey("courses.ProgrammeRun", on_delete=models.PROTECT, null=True,
                            blank=True, related_name="submissions", verbose_name=_("run"))
    attempt = models.PositiveSmallIntegerField(_("attempt"))
    notebook = models.FileField(_("notebook"), max_length=300, storage=private_storage)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveIntegerField(_("size (bytes)"))
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    late_days = models.PositiveSmallIntegerField(_("days late"), default=0)

    state = models.CharField(_("state"), max_length=10, choices=SubmissionState.choices,
                             default=SubmissionState.QUEUED)
    # The grading's way, each step's time (the gradebook shows them; the grading phases'
    # histograms are made of them, grading.metrics): submitted_at (or regrade_requested_at),
    # ``sent_at`` when the broker first took its message (the sweep's resends move only
    # ``enqueued_at``), ``grading_started_at`` when the run that stored the grade began, and
    # the grade's own ``graded_at``.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent for grading"), null=True, blank=True)
    enqueue_count = models.PositiveSmallIntegerField(default=0)
    # Gradings started (and, when above one, died): the sweep gives up after a few.
    grading_attempts = models.PositiveSmallIntegerField(default=0)
    grading_started_at = models.DateTimeField(_("grading started"), null=True, blank=True)
    regrade_requested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        ordering = ["-submitted_at"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "learner", "attempt"],
                                    name="submission_attempt_unique"),
        ]
        indexes = [models.Index(fields=["state", "enqueued_at"]),
                   models.Index(fields=["assignment", "learner"])]

    def __str__(self) -> str:
        return f"{self.assignment.key} · {self.learner} · #{self.attempt}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            stored = type(self).objects.filter(pk=self.pk).values(*self.IMMUTABLE_FIELDS).first()
            if stored:
                changed = [f for f in self.IMMUTABLE_FIELDS
                           if str(stored[f]) != str(getattr(self, f))]
                if changed:
                    raise ValueError(f"a submission is immutable; refused to change {changed}")
        super().save(*args, **kwargs)

    @property
    def is_late(self) -> bool:
        return self.late_days > 0


class GradeStatus(models.TextChoices):
    GRADED = "graded", _("Graded")
    TIMED_OUT = "timed_out", _("Timed out")
    KERNEL_DIED = "kernel_died", _("Stopped")
    REJECTED = "rejected", _("Rejected")
    ERROR = "error", _("Could not be graded")


class Grade(models.Model):
    """The grade of one submission (exactly one: a unique constraint)."""

    submission = models.OneToOneField(Submission, on_delete=models.CASCADE,
                                      related_name="grade", verbose_name=_("submission"))
    status = models.CharField(_("status"), max_length=12, choices=GradeStatus.choices)
    auto_score = models.DecimalField(_("autograded points"), max_digits=8, decimal_places=2,
                                     default=0)
    max_score = models.DecimalField(_("maximum points"), max_digits=8, decimal_places=2,
                                    default=0)
    cells = models.JSONField(_("cells"), default=list)
    record = models.JSONField(default=dict)
    manual_scores = models.JSONField(_("manual scores"), default=dict)
    needs_manual_grade = models.BooleanField(_("needs manual grading"), default=False)
    penalty_percent = models.DecimalField(_("late penalty (%)"), max_digits=5, decimal_places=2,
                                          default=0)
    override_score = models.DecimalField(_("override"), max_digits=8, decimal_places=2,
                                         null=True, blank=True)
    override_reason = models.TextField(_("reason for the override"), blank=True)
    score = models.DecimalField(_("score"), max_digits=8, decimal_places=2, default=0)
    message = models.TextField(_("message"), blank=True)
    messages = models.JSONField(default=dict, help_text="The message by language code.")
    late_days = models.PositiveSmallIntegerField(
        _("days late"), default=0,
        help_text=_("Against the learner's due date when graded (extensions included)."))
    feedback = models.JSONField(default=dict, help_text="Feedback HTML by language code.")
    source_sha256 = models.CharField(max_length=64, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    graded_at = models.DateTimeField(_("graded at"), default=timezone.now)

    class Meta:
        verbose_name = _("grade")
        verbose_name_plural = _("grades")
        constraints = [
            models.CheckConstraint(condition=models.Q(override_score__isnull=True)
                                   | ~models.Q(override_reason=""),
                                   name="grade_override_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.submission} · {self.score}/{self.max_score}"

    def message_in(self, language: str) -> str:
        return self.messages.get(language) or self.message

    @property
    def feedback_available(self) -> bool:
        """Whether the learner has a feedback page: stored, or made from the stored result on
        its first view (``grading.services.grades.grade_feedback_ensure``). Selectors that
        leave the pages and the record out say it in ``feedback_known``."""
        known = getattr(self, "feedback_known", None)
        if known is not None:
            return known
        return bool(self.feedback) or "steps" in (self.record or {})

    def feedback_in(self, language: str) -> str:
        """The feedback page in ``language``, else in the site's default language."""
        from django.conf import settings as django_settings

        return (self.feedback.get(language) or self.feedback.get(django_settings.LANGUAGE_CODE)
                or next(iter(self.feedback.values()), ""))

    @property
    def manual_pending(self) -> list[dict]:
        """Manually graded cells without a score yet."""
        return [c for c in self.cells if c.get("manual")
                and c["grade_id"] not in self.manual_scores]

    def compute_score(self) -> Decimal:
        """Autograded points plus manual points, less the late penalty; or the override."""
        if self.override_score is not None:
            return Decimal(self.override_score).quantize(Decimal("0.01"))
        raw = Decimal(self.auto_score) + sum(
            (Decimal(str(v)) for v in self.manual_scores.values()), Decimal(0))
        factor = (Decimal(100) - Decimal(self.penalty_percent)) / Decimal(100)
        return (raw * factor).quantize(Decimal("0.01"))


class GradeAudit(models.Model):
    """Who changed a grade, when, from what to what, and why."""

    class Action(models.TextChoices):
        MANUAL = "manual", _("Manual grade")
        OVERRIDE = "override", _("Override")
        OVERRIDE_CLEARED = "override_cleared", _("Override removed")
        REGRADE = "regrade", _("Regrade")
        EXTENSION = "extension", _("Extension")

    grade = models.ForeignKey(Grade, on_delete=models.CASCADE, related_name="audit",
                              verbose_name=_("grade"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                              blank=True, related_name="+", verbose_name=_("by"))
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    at = models.DateTimeField(_("at"), default=timezone.now)
    before = models.JSONField(_("before"), default=dict)
    after = models.JSONField(_("after"), default=dict)
    reason = models.TextField(_("reason"), blank=True)
    # The forms say the comment (or the override's reason) is shown to the learner; changes
    # recorded before they said so were written as internal notes and stay so.
    shown_to_learner = models.BooleanField(_("shown to the learner"), default=False)

    class Meta:
        verbose_name = _("grade change")
        verbose_name_plural = _("grade changes")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.grade_id} · {self.action} · {self.at:%Y-%m-%d %H:%M}"
