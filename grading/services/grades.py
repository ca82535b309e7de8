"""Writes of grades: autograding a submission, storing its grade, manual grades, overrides.

- :func:`submission_autograde` is idempotent: it locks the submission, returns at once when
  a grade exists (unless a regrade was asked for), grades outside any transaction (grading
  takes time; nothing is locked meanwhile), then locks again and stores the grade only if no
  other run stored one first. A grade is unique per submission in the database as well.
- Every change of a grade (autograde, regrade, manual grade, override, extension) ends in
  :func:`grade_settle_on_commit`: once the change commits, the module is settled by its
  assignments' grades (``courses.services.progress``), which ends in the completion check
  of the run (``lms.certificates.services``); and the counted score goes back to the LTI
  platforms the learner came from (``lms.lti.services``, a Celery task).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import time
from decimal import Decimal

import nbformat
from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from courses.page_cache import learner_pages_changed
from courses.services.progress import module_assignments_settle
from grading.autograder.engine import OUTPUT_CUT, WITHHELD, GradeResult
from grading.autograder.notebooks import NotebookInvalid, grading_plan
from grading.metrics import grading_phases_observe
from grading.models import Assignment, Grade, GradeAudit, Submission, SubmissionState
from grading.selectors.grades import module_assignments_passed
from grading.services.sandboxes import INFRASTRUCTURE_ERRORS, grade_bytes
from grading.storage import sha256
from lms.lti.services import scores_publish_on_commit

logger = logging.getLogger(__name__)


def grade_settle(*, learner, assignment: Assignment) -> None:
    """Settle the assignment's module by its grades (complete when every assignment of it
    is passed, reopened otherwise); progress then checks the run's completion."""
    module = assignment.module
    module_assignments_settle(
        learner=learner, module=module,
        passed=module_assignments_passed(learner=learner, module_key=module.translation_key))


def grade_settle_on_commit(grade: Grade) -> None:
    """After the transaction that changed ``grade`` commits: :func:`grade_settle`, and the
    counted score sent to the LTI platforms the learner took the assignment from (if any)."""
    submission = grade.submission
    transaction.on_commit(functools.partial(grade_settle, learner=submission.learner,
                                            assignment=submission.assignment))
    scores_publish_on_commit(learner_id=submission.learner_id,
                             assignment_id=submission.assignment_id)


def _rejected(exc: NotebookInvalid) -> GradeResult:
    result = GradeResult(status="rejected", score=0.0, max_score=0.0,
                         needs_manual_grade=False, message=str(exc))
    result.reason = exc  # rendered per language by grade_store
    return result


def _labels() -> dict[str, str]:
    from grading.autograder.feedback import DEFAULT_LABELS  # deferred: heavy (nbconvert)

    return {key: gettext(text) for key, text in DEFAULT_LABELS.items()}


def _feedback(result: GradeResult, *, title: str,
              messages: dict[str, str] | None = None) -> dict[str, str]:
    """The feedback page in each language of the site (the learner reads it in theirs);
    ``messages`` by language code, when stored ones replace the result's own."""
    from grading.autograder.feedback import feedback_html  # deferred: heavy (nbconvert)

    pages = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            message = (messages or {}).get(code)
            shown = dataclasses.replace(result, message=_message(result) if message is None
                                        else message, steps=[
                dataclasses.replace(step, stdout=gettext(step.stdout))
                if step.stdout in (WITHHELD, OUTPUT_CUT) else step for step in result.steps])
            pages[code] = feedback_html(shown, title=title, labels=_labels())
    return pages


def _message(result: GradeResult) -> str:
    """The result's message in the active language."""
    reason = getattr(result, "reason", None)
    if reason is not None:
        return gettext("The notebook could not be read: %(reason)s") % {"reason": reason}
    return gettext(result.message) if result.message else ""


def grading_stopped(submission: Submission) -> None:
    Submission.objects.filter(pk=submission.pk, state=SubmissionState.GRADING).update(
        state=SubmissionState.QUEUED, grading_started_at=None)
    learner_pages_changed(user_ids=[submission.learner_id])  # update() sends no signal


def submission_autograde(*, submission_id: int) -> Grade | None:
    """Grade a submission once (idempotent): a run grades only when there is no grade yet
    or a regrade was asked for (a duplicate regrade message finds the regrade done and
    returns).

    Infrastructure failures are raised (the task retries them; anything else leaves the
    submission queued for the sweep), never stored as a learner's grade.
    """
    with transaction.atomic():
        submission = (Submission.objects.select_for_update(of=("self",))
                      .select_related("assignment")
                      .get(pk=submission_id))
        existing = Grade.objects.filter(submission=submission).first()
        if existing and not submission.regrade_requested_at:
            return existing
        started_at = timezone.now()
        submission.state = SubmissionState.GRADING
        submission.grading_started_at = started_at
        submission.grading_attempts += 1
        submission.save(update_fields=["state", "grading_started_at", "grading_attempts"])
    assignment = submission.assignment
    started = time.monotonic()
    source_file = assignment.released_source or assignment.source
    try:
        with source_file.open("rb") as stream:
            source = stream.read()
        with submission.notebook.open("rb") as stream:
            data = stream.read()
        if sha256(data) != submission.sha256:
            logger.error("submission %s: stored bytes do not match their hash", submission.pk)
            result = error_result(assignment, gettext_noop(
                "The stored notebook is damaged; staff have been told."))
        else:
            try:
                result = grade_bytes(assignment=assignment, source=source, submission=data)
            except NotebookInvalid as exc:
                result = _rejected(exc)
    except Exception:
        grading_stopped(submission)
        logger.exception("grading submission %s failed; it stays queued", submission.pk)
        raise
    duration_ms = int((time.monotonic() - started) * 1000)
    # The feedback pages are made on their first view (``grade_feedback_ensure``), not here:
    # drawing them in every language was a sixth of a trivial grade's cost, on the path a
    # deadline's queue waits on, for pages many learners never open.
    return grade_store(submission_id=submission.pk, result=result, feedback={},
                        source_sha256=sha256(source), duration_ms=duration_ms,
                        started_at=started_at)


def error_result(assignment: Assignment, message: str) -> GradeResult:
    return GradeResult(status="error", score=0.0, max_score=float(assignment.max_score),
                       needs_manual_grade=False, message=message)


def _in_languages(render) -> dict[str, str]:
    """``render()`` in each language of the site (messages are stored in all of them)."""
    texts = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            texts[code] = str(render())
    return texts


def _cells(result: GradeResult, source: nbformat.NotebookNode | None) -> list[dict]:
    manual = set()
    if source is not None:
        manual = {s.grade_id for s in grading_plan(source=source, submission=source).steps
                  if s.manual}
    return [{"grade_id": c.grade_id, "score": c.score, "max_score": c.max_score,
             "passed": c.passed, "manual": c.grade_id in manual} for c in result.cells]


def grade_result_now(grade: Grade) -> GradeResult | None:
    """The stored result as it stands after manual grades and overrides: each hand-graded
    cell with its points, the score the grade counts (penalty or override included). None
    for a grade stored without its steps (nothing to show)."""
    if not grade.record or "status" not in grade.record or "steps" not in grade.record:
        return None  # stored before results kept their steps: the page stays as it was
    result = GradeResult.from_record(grade.record)
    manual = {k: float(v) for k, v in grade.manual_scores.items()}
    steps = [dataclasses.replace(step, score=manual[step.grade_id])
             if step.grade_id in manual and step.max_score is not None else step
             for step in result.steps]
    return dataclasses.replace(result, steps=steps, score=float(grade.score),
                               max_score=float(grade.max_score),
                               needs_manual_grade=grade.needs_manual_grade)


def grade_feedback_refresh(grade: Grade) -> bool:
    """Make the learner's feedback pages again from the stored result, so that they show
    the points given by hand and the score that counts now (the caller saves ``grade``);
    False for a grade stored without its steps (nothing to show)."""
    result = grade_result_now(grade)
    if result is None:
        return False
    grade.feedback = _feedback(result, title=grade.submission.assignment.title,
                               messages=grade.messages or None)
    return True


def grade_feedback_ensure(grade: Grade) -> bool:
    """Make and store the feedback pages of ``grade`` if it has none yet (the pipeline
    leaves them to the first view); whether the grade has feedback to show. Kept only if
    no other change stored pages first (a manual grade makes its own)."""
    if grade.feedback:
        return True
    if not grade_feedback_refresh(grade):
        return False
    Grade.objects.filter(pk=grade.pk, feedback={}).update(feedback=grade.feedback)
    learner_pages_changed(user_ids=[grade.submission.learner_id])  # "Open feedback" shows
    return True


def grade_snapshot(grade: Grade) -> dict:
    return {"status": grade.status, "auto_score": str(grade.auto_score),
            "manual_scores": dict(grade.manual_scores), "penalty_percent":
            str(grade.penalty_percent), "override_score": None if grade.override_score is None
            else str(grade.override_score), "score": str(grade.score)}


def _source_notebook(assignment: Assignment) -> nbformat.NotebookNode | None:
    """The assignment's released source (else its source), parsed; None if unreadable."""
    try:
        with (assignment.released_source or assignment.source).open("rb") as stream:
            return nbformat.reads(stream.read().decode(), as_version=4)
    except (OSError, ValueError):
        return None


def grade_store(*, submission_id: int, result: GradeResult, feedback: dict[str, str],
                 source_sha256: str, duration_ms: int, started_at) -> Grade:
    # The source is read before the submission's row is locked: a learner polling their
    # panel, or submitting again, never waits on file reads and parsing.
    assignment = Assignment.objects.filter(submissions__pk=submission_id).first()
    source_nb = _source_notebook(assignment) if assignment is not None else None
    with transaction.atomic():
        submission = (Submission.objects.select_for_update(of=("self",))
                      .select_related("assignment")
                      .get(pk=submission_id))
        grade = Grade.objects.filter(submission=submission).first()
        if grade is not None and not submission.regrade_requested_at:
            return grade  # another run stored its grade first
        assignment = submission.assignment
        before = grade_snapshot(grade) if grade else None
        grade = grade or Grade(submission=submission)
        grade.status = result.status
        grade.auto_score = Decimal(str(result.score)).quantize(Decimal("0.01"))
        grade.max_score = Decimal(str(result.max_score or assignment.max_score))
        grade.cells = _cells(result, source_nb)
        grade.record = result.as_record()
        manual_ids = {c["grade_id"] for c in grade.cells if c["manual"]}
        grade.manual_scores = {k: v for k, v in grade.manual_scores.items() if k in manual_ids}
        grade.needs_manual_grade = bool(manual_ids - set(grade.manual_scores))
        late_set(grade, submission)
        grade.messages = _in_languages(lambda: _message(result))
        grade.message = grade.messages.get(settings.LANGUAGE_CODE, result.message)
        grade.feedback = feedback
        grade.source_sha256 = source_sha256
        grade.duration_ms = duration_ms
        grade.graded_at = timezone.now()
        grade.score = grade.compute_score()
        grade.save()
        if before is not None:
            GradeAudit.objects.create(grade=grade, action=GradeAudit.Action.REGRADE,
                                      before=before, after=grade_snapshot(grade))
        requested = submission.regrade_requested_at
        transaction.on_commit(functools.partial(
            grading_phases_observe, status=grade.status, sent_at=submission.sent_at,
            requested_at=requested or submission.submitted_at, started_at=started_at,
            graded_at=grade.graded_at))
        if requested is None or started_at is None or requested <= started_at:
            submission.state = SubmissionState.DONE
            submission.regrade_requested_at = None
        else:
            # Asked for again while this run was grading: the newer request still stands.
            submission.state = SubmissionState.QUEUED
        submission.save(update_fields=["state", "regrade_requested_at"])
        grade_settle_on_commit(grade)
    logger.info("submission %s graded: %s %s/%s in %d ms", submission_id, grade.status,
                grade.score, grade.max_score, duration_ms)
    return grade


def late_set(grade: Grade, submission: Submission) -> None:
    """Days late and the penalty, against the learner's due date now (extensions count)."""
    assignment = submission.assignment
    due = assignment.due_for(submission.learner)
    grade.late_days = assignment.late_days(submitted_at=submission.submitted_at, due_at=due)
    grade.penalty_percent = assignment.penalty_percent(grade.late_days)


class GradeChangeRefused(Exception):
    pass


@transaction.atomic
def grade_manual_set(*, grade: Grade, grade_id: str, score: Decimal, actor,
                     comment: str = "") -> Grade:
    """Score one manually graded cell (between 0 and its points)."""
    grade = Grade.objects.select_for_update().get(pk=grade.pk)
    cell = next((c for c in grade.cells if c["grade_id"] == grade_id and c["manual"]), None)
    if cell is None:
        raise GradeChangeRefused(gettext("This cell is not graded by hand."))
    if not 0 <= score <= Decimal(str(cell["max_score"])):
        raise GradeChangeRefused(gettext("The score must be between 0 and %(max)s.")
                                 % {"max": cell["max_score"]})
    before = grade_snapshot(grade)
    grade.manual_scores = {**grade.manual_scores, grade_id: float(score)}
    grade.needs_manual_grade = any(c["manual"] and c["grade_id"] not in grade.manual_scores
                                   for c in grade.cells)
    grade.score = grade.compute_score()
    grade_feedback_refresh(grade)
    grade.save()
    GradeAudit.objects.create(grade=grade, actor=actor, action=GradeAudit.Action.MANUAL,
                              before=before, after=grade_snapshot(grade), reason=comment,
                              shown_to_learner=True)
    grade_settle_on_commit(grade)
    return grade


@transaction.atomic
def grade_override(*, grade: Grade, score: Decimal | None, reason: str, actor) -> Grade:
    """Set (or, with ``score=None``, remove) an override; a reason is always required."""
    reason = (reason or "").strip()
    if not reason:
        raise GradeChangeRefused(gettext("Give a reason for the change."))
    grade = Grade.objects.select_for_update().get(pk=grade.pk)
    if score is not None and not 0 <= score <= grade.max_score:
        raise GradeChangeRefused(gettext("The score must be between 0 and %(max)s.")
                                 % {"max": grade.max_score})
    before = grade_snapshot(grade)
    grade.override_score = score
    grade.override_reason = reason if score is not None else ""
    grade.score = grade.compute_score()
    grade_feedback_refresh(grade)
    grade.save()
    GradeAudit.objects.create(
        grade=grade, actor=actor, reason=reason, before=before, after=grade_snapshot(grade),
        action=GradeAudit.Action.OVERRIDE if score is not None
        else GradeAudit.Action.OVERRIDE_CLEARED, shown_to_learner=score is not None)
    grade_settle_on_commit(grade)
    return grade


# The hard limit must outlast the longest notebook (Assignment.time_limit_seconds ≤ 600).
# ``acks_late``: a worker that dies mid-grade (SIGKILL, out of memory) leaves the message to
# be delivered again; the service is idempotent, so that yields exactly one grade.
@shared_task(name="grading.tasks.submission_autograde_task", acks_late=True,
             autoretry_for=INFRASTRUCTURE_ERRORS, retry_backoff=2, retry_backoff_max=60,
             max_retries=5, soft_time_limit=840, time_limit=900)
def submission_autograde_task(submission_id: int, **_old_options) -> str:
    # ``**_old_options``: messages queued by earlier versions carried ``force`` (ignored).
    return submission_autograde(submission_id=submission_id).status
