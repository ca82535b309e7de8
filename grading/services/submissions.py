"""Writes of submissions: storing a learner's notebook, queueing its grading, the sweep.

The rules that keep submissions safe live here:

- A submission is committed (bytes stored under their hash, row written) before its grading
  task is sent, and the task is sent only on commit. If the broker is down the submission
  stays ``queued`` and the sweep (:func:`submissions_sweep`, every minute from Celery beat)
  sends it again later.
- Grading itself (``grading.services.grades.submission_autograde``) is idempotent, so a
  duplicate message is harmless.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

import nbformat
from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from courses.models import ProgrammeRun
from courses.models.runs import LEARNING_STATUSES
from courses.page_cache import learner_pages_changed
from grading.autograder.notebooks import grade_id, notebook_load
from grading.autograder.release import assignment_key_of
from grading.models import Assignment, Grade, Submission, SubmissionState
from grading.selectors.access import can_grade
from grading.services.grades import (
    error_result,
    grade_store,
    grading_stopped,
    submission_autograde_task,
)
from grading.storage import content_store

logger = logging.getLogger(__name__)


class SubmissionRefused(Exception):
    """A submission was refused for a reason the learner can act on."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


REFUSALS = {
    "not_released": _("This assignment is not open for submissions yet."),
    "not_enrolled": _("Enrol in a run of this programme to submit."),
    "closed": _("The deadline for late submissions has passed."),
    "no_attempts": _("You have used all your attempts for this assignment."),
    "wrong_assignment": _("This notebook belongs to another assignment."),
}


@dataclass
class SubmitOutcome:
    submission: Submission
    created: bool  # False: the same notebook as the learner's last submission


def _refuse(code: str) -> SubmissionRefused:
    return SubmissionRefused(code, str(REFUSALS[code]))


def learner_run(*, assignment: Assignment, learner):
    programme = assignment.module.get_parent().get_parent()
    run = (ProgrammeRun.objects.filter(
        programme__translation_key=programme.translation_key,
        enrolments__learner=learner, enrolments__status__in=LEARNING_STATUSES)
        .order_by("-starts_on").first())
    # Staff of this course (not of any course) may try their own assignment: no run then.
    if run is None and not can_grade(user=learner, assignment=assignment):
        raise _refuse("not_enrolled")
    return run


def submission_create(*, assignment: Assignment, learner, data: bytes,
                      now=None) -> SubmitOutcome:
    """Store an immutable submission and queue its grading (on commit)."""
    now = now or timezone.now()
    if not assignment.is_released:
        raise _refuse("not_released")
    notebook = notebook_load(data, max_bytes=settings.GRADING_MAX_NOTEBOOK_BYTES)
    key = assignment_key_of(notebook)
    if key is not None and key != assignment.key:
        raise _refuse("wrong_assignment")
    if key is None:
        with assignment.released_source.open("rb") as stream:
            source_ids = {grade_id(c) for c in nbformat.reads(stream.read().decode(),
                                                              as_version=4).cells}
        if not (source_ids - {None}) & ({grade_id(c) for c in notebook.cells} - {None}):
            raise _refuse("wrong_assignment")
    run = learner_run(assignment=assignment, learner=learner)
    cutoff = assignment.late_cutoff_for(learner)
    if cutoff is not None and now > cutoff:
        raise _refuse("closed")
    name, digest = content_store(data=data, prefix="grading/submissions", suffix=".ipynb")
    with transaction.atomic():
        # One submission at a time per learner: concurrent clicks queue up here. (A "no key"
        # lock: rows that refer to the learner, written meanwhile by the worker, need not wait.)
        get_user_model().objects.select_for_update(no_key=True).filter(pk=learner.pk).first()
        previous = (Submission.objects.filter(assignment=assignment, learner=learner)
                    .order_by("-attempt").first())
        if (previous is not None and previous.sha256 == digest
                and not Grade.objects.filter(submission=previous, status="error").exists()):
            return SubmitOutcome(previous, created=False)
        attempt = previous.attempt + 1 if previous else 1
        if assignment.max_attempts and attempt > assignment.max_attempts:
            raise _refuse("no_attempts")
        due_at = assignment.due_for(learner)
        submission = Submission.objects.create(
            assignment=assignment, learner=learner, run=run, attempt=attempt, notebook=name,
            sha256=digest, size=len(data), submitted_at=now, due_at=due_at,
            late_days=assignment.late_days(submitted_at=now, due_at=due_at))
        transaction.on_commit(functools.partial(submission_enqueue,
                                                submission_id=submission.pk))
    logger.info("submission %s stored: %s attempt %s by user %s (sha256 %s)", submission.pk,
                assignment.key, attempt, learner.pk, digest)
    return SubmitOutcome(submission, created=True)


def submission_enqueue(*, submission_id: int) -> bool:
    """Send the grading task; False (and a log line) when the broker cannot take it."""
    # Taken before the send, so that it never follows the moment a fast worker starts.
    sending_at = timezone.now()
    try:
        submission_autograde_task.apply_async(
            (submission_id,), retry=True,
            retry_policy={"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5,
                          "interval_max": 1.0})
    except Exception as exc:  # noqa: BLE001 - any broker failure leaves it for the sweep
        logger.error("could not queue submission %s for grading (it stays queued and the "
                     "sweep will send it again): %s", submission_id, exc)
        return False
    # ``sent_at``: the first send of this grading (the sweep's resends keep it).
    Submission.objects.filter(pk=submission_id).update(
        enqueued_at=sending_at, sent_at=Coalesce("sent_at", Value(sending_at)),
        enqueue_count=F("enqueue_count") + 1)
    return True


def submissions_sweep(*, now=None) -> dict:
    """Send again what is stuck, without flooding a busy queue.

    - queued and never sent (the broker was down at submit time): after 10 seconds;
    - queued and sent long ago (``GRADING_QUEUED_RESEND_SECONDS``: a lost message, not a
      backlog); a duplicate message is harmless, the grading is idempotent;
    - grading for longer than the assignment's time limit plus
      ``GRADING_STUCK_AFTER_SECONDS`` (its worker died).

    A submission whose grading was started ``GRADING_MAX_ENQUEUES`` times without a grade is
    graded "error" (shown to staff), unless it already has a grade, which is kept.
    """
    now = now or timezone.now()
    stuck_after = timezone.timedelta(seconds=settings.GRADING_STUCK_AFTER_SECONDS)
    resend_after = timezone.timedelta(seconds=settings.GRADING_QUEUED_RESEND_SECONDS)
    counts = {"requeued": 0, "given_up": 0}
    queued = Submission.objects.filter(
        Q(enqueued_at__isnull=True, submitted_at__lt=now - timezone.timedelta(seconds=10))
        | Q(enqueued_at__lt=now - resend_after), state=SubmissionState.QUEUED)
    grading = [s for s in Submission.objects.filter(
        state=SubmissionState.GRADING, grading_started_at__lt=now - stuck_after)
        .select_related("assignment")[:500]
        # a grade may legitimately take the assignment's whole time limit
        if s.grading_started_at < now - stuck_after - timezone.timedelta(
            seconds=s.assignment.time_limit_seconds)]
    for submission in list(queued.select_related("assignment")[:500]) + grading:
        if submission.grading_attempts >= settings.GRADING_MAX_ENQUEUES:
            _give_up(submission)
            counts["given_up"] += 1
            continue
        grading_stopped(submission)
        if submission_enqueue(submission_id=submission.pk):
            counts["requeued"] += 1
    if counts["requeued"] or counts["given_up"]:
        logger.warning("grading sweep: %s", counts)
    return counts


def _give_up(submission: Submission) -> None:
    logger.error("submission %s: giving up after %s gradings that did not finish",
                 submission.pk, submission.grading_attempts)
    if Grade.objects.filter(submission=submission).exists():
        # A regrade that keeps failing: the grade the learner has stays.
        Submission.objects.filter(pk=submission.pk).update(
            state=SubmissionState.DONE, regrade_requested_at=None)
        learner_pages_changed(user_ids=[submission.learner_id])  # update() sends no signal
        return
    result = error_result(submission.assignment, gettext_noop(
        "This notebook could not be graded after several tries; staff have been told."))
    grade_store(submission_id=submission.pk, result=result, feedback={}, source_sha256="",
                 duration_ms=0, started_at=None)


def regrade_request(*, submissions, actor) -> int:
    """Queue submissions for grading again (their grades are replaced, audited)."""
    ids = list(submissions.values_list("pk", flat=True))
    now = timezone.now()
    Submission.objects.filter(pk__in=ids).update(regrade_requested_at=now, grading_attempts=0,
                                                 state=SubmissionState.QUEUED, sent_at=None)
    learner_pages_changed(user_ids=set(Submission.objects.filter(pk__in=ids)
                                       .values_list("learner_id", flat=True)))
    for pk in ids:
        transaction.on_commit(functools.partial(submission_enqueue, submission_id=pk))
    logger.info("user %s asked for %d regrades", getattr(actor, "pk", None), len(ids))
    return len(ids)


@shared_task(name="grading.tasks.submissions_sweep_task")
def submissions_sweep_task() -> dict:
    return submissions_sweep()
