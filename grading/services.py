"""Writes of the grading app: sources, release, submissions, autograding, manual grades.

The rules that keep submissions safe live here:

- A submission is committed (bytes stored under their hash, row written) before its grading
  task is sent, and the task is sent only on commit. If the broker is down the submission
  stays ``queued`` and the sweep (:func:`submissions_sweep`) sends it again later.
- :func:`submission_autograde` is idempotent: it locks the submission, returns at once when
  a grade exists (unless a regrade was asked for), grades outside any transaction (grading
  takes time; nothing is locked meanwhile), then locks again and stores the grade only if no
  other run stored one first. A grade is unique per submission in the database as well.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import logging
import shutil
import tempfile
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import nbformat
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from grading.autograder.engine import JUDGE_PREFIX, WITHHELD, GradeResult, notebook_grade
from grading.autograder.notebooks import (
    NotebookInvalid,
    grade_id,
    grading_plan,
    notebook_load,
    source_validate,
)
from grading.autograder.release import assignment_key_of, released_notebook
from grading.autograder.sandbox.local import SandboxUnavailable
from grading.models import (
    Assignment,
    AssignmentDataFile,
    Extension,
    Grade,
    GradeAudit,
    ReleaseState,
    Submission,
    SubmissionState,
)
from grading.signals import grade_changed
from grading.storage import content_store, sha256
from grading.workers import sandbox_limits, sandbox_pool

logger = logging.getLogger(__name__)


# --- Sources and data files -------------------------------------------------------------


def source_check(data: bytes) -> nbformat.NotebookNode:
    """The source notebook, or NotebookInvalid saying what is wrong with it."""
    notebook = notebook_load(data, max_bytes=settings.GRADING_MAX_NOTEBOOK_BYTES)
    source_validate(notebook)
    return notebook


@transaction.atomic
def assignment_source_set(*, assignment: Assignment, data: bytes) -> Assignment:
    """Store a new source (validated) and put the assignment back to "not released"."""
    notebook = source_check(data)
    plan = grading_plan(source=notebook, submission=notebook)
    assignment.source.save(f"{assignment.key}.ipynb", ContentFile(data), save=False)
    assignment.source_sha256 = sha256(data)
    assignment.source_uploaded_at = timezone.now()
    assignment.max_score = Decimal(str(plan.max_score))
    assignment.release_state = ReleaseState.DRAFT
    assignment.release_report = {}
    assignment.save()
    return assignment


def data_file_add(*, assignment: Assignment, name: str, data: bytes,
                  hidden: bool = False) -> AssignmentDataFile:
    """Add or replace a data file (``hidden``: for the tests only); any change puts the
    assignment back to "not released"."""
    if len(data) > settings.GRADING_MAX_DATA_FILE_BYTES:
        raise NotebookInvalid(gettext("The file is larger than %(limit)s MB.") % {
            "limit": settings.GRADING_MAX_DATA_FILE_BYTES // (1024 * 1024)})
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise NotebookInvalid(gettext("Use a plain file name (no folders)."))
    with transaction.atomic():
        data_file, _created = AssignmentDataFile.objects.get_or_create(
            assignment=assignment, name=name, defaults={"sha256": ""})
        data_file.file.save(name, ContentFile(data), save=False)
        data_file.sha256 = sha256(data)
        data_file.hidden = hidden
        data_file.save()
        Assignment.objects.filter(pk=assignment.pk).update(release_state=ReleaseState.DRAFT)
    return data_file


def _files_digest(files) -> str:
    return hashlib.sha256("".join(f"{f.name}:{f.sha256}:{f.hidden:d};"
                                  for f in files).encode()).hexdigest()


def _data_digest(assignment: Assignment) -> str:
    """One hash for the assignment's data files (names, contents, hidden or not)."""
    return _files_digest(assignment.data_files.order_by("name"))


def _data_dirs(assignment: Assignment) -> tuple[Path | None, Path | None]:
    """Worker-local copies of the assignment's visible and hidden data files."""
    files = list(assignment.data_files.order_by("name"))
    return (_files_dir([f for f in files if not f.hidden]),
            _files_dir([f for f in files if f.hidden]))


def _files_dir(files: list[AssignmentDataFile]) -> Path | None:
    """A worker-local copy of ``files`` (reused while unchanged)."""
    if not files:
        return None
    target = Path(tempfile.gettempdir()) / "aimd-grading-data" / _files_digest(files)[:32]
    if not target.is_dir():
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix="data-", dir=target.parent))
        for data_file in files:
            with data_file.file.open("rb") as stream, open(staging / data_file.name, "wb") as out:
                shutil.copyfileobj(stream, out)
        try:
            staging.rename(target)
        except OSError:  # another process made it first
            shutil.rmtree(staging, ignore_errors=True)
    return target


# --- Grading ------------------------------------------------------------------------------


def _sandbox_factory():
    """Sandbox pairs of the configured backend other than local (which the pool serves)."""
    backend = settings.GRADING_SANDBOX_BACKEND
    if backend == "local":
        return None
    from grading.autograder.sandbox.base import create_pair

    options = {"docker": {"image": settings.GRADING_SANDBOX_IMAGE},
               "kubernetes": {"image": settings.GRADING_SANDBOX_IMAGE,
                              "namespace": settings.GRADING_KUBERNETES_NAMESPACE}}
    return functools.partial(create_pair, backend, limits=sandbox_limits(),
                             **options.get(backend, {}))


def grade_bytes(*, assignment: Assignment, source: bytes, submission: bytes,
                reveal: bool = False) -> GradeResult:
    """Grade through the worker's sandbox pool (see ``grading.workers``) or backend
    (``reveal``: every test's own error, for the release check)."""
    data_dir, hidden_dir = _data_dirs(assignment)
    return notebook_grade(source=source, submission=submission,
                          sandbox_factory=_sandbox_factory(),
                          data_dir=data_dir, hidden_dir=hidden_dir, reveal=reveal,
                          timeout=float(assignment.time_limit_seconds),
                          cell_timeout=min(settings.GRADING_CELL_TIMEOUT,
                                           float(assignment.time_limit_seconds)),
                          max_bytes=settings.GRADING_MAX_NOTEBOOK_BYTES, limits=sandbox_limits(),
                          pool=sandbox_pool())


# --- Release ------------------------------------------------------------------------------


def assignment_release_request(*, assignment: Assignment) -> None:
    """Mark the assignment as being checked and send the check to a worker (on commit)."""
    if not assignment.source:
        raise NotebookInvalid(gettext("Upload the source notebook first."))
    from grading.tasks import assignment_release_task

    Assignment.objects.filter(pk=assignment.pk).update(release_state=ReleaseState.CHECKING)
    assignment.release_state = ReleaseState.CHECKING
    transaction.on_commit(lambda: assignment_release_task.delay(assignment.pk))


def _summary(result: GradeResult) -> dict:
    return {"status": result.status, "score": result.score, "max_score": result.max_score,
            "message": result.message,
            "cells": [{"grade_id": c.grade_id, "score": c.score, "max_score": c.max_score,
                       "passed": c.passed} for c in result.cells]}


# Errors that come from the judge / learner split rather than from a wrong solution.
SPLIT_ERRORS = ("of an object that stays in the learner's process is refused",
                "cannot be passed to the learner's code", "is refused in the judge")


def _test_failures(result: GradeResult, failing: list[str]) -> list[str]:
    """One line per failing test of the source: its cell and the error it raised, and what
    to change when the test cannot run apart from the learner's code."""
    lines = [gettext("Locked cell %(cell)s failed in the judge: %(error)s")
             % {"cell": step.grade_id, "error": step.error.removeprefix(JUDGE_PREFIX)[:500]}
             for step in result.steps
             if step.kind == "locked" and (step.error or "").startswith(JUDGE_PREFIX)]
    for step in result.steps:
        if step.kind != "test" or step.grade_id not in failing:
            continue
        error = (step.error or gettext("no error was raised, but the test wrote to stderr"))
        lines.append(gettext("Cell %(cell)s: %(error)s") % {"cell": step.grade_id,
                                                            "error": error[:500]})
        if any(marker in error for marker in SPLIT_ERRORS):
            lines.append(gettext(
                "Tests run in a judge process apart from the learner's code: they compare "
                "values (numbers, text, lists, arrays, DataFrames), not the learner's own "
                "objects, and load files the learner saved with "
                "aimd_grading.load_in_learner(...) instead of unpickling them."))
    return lines


def assignment_release(*, assignment_id: int) -> Assignment:
    """Generate the released notebook with nbgrader, then check it through the pipeline.

    The source must score full marks on its autograded tests and the released version must
    score less; otherwise the release is refused and the report says why.
    """
    assignment = Assignment.objects.get(pk=assignment_id)
    with assignment.source.open("rb") as stream:
        source_bytes = stream.read()
    problems: list[str] = []
    report: dict = {"checked_at": timezone.now().isoformat(), "source_sha256":
                    sha256(source_bytes), "data_sha256": _data_digest(assignment),
                    "hidden_files": list(assignment.data_files.filter(hidden=True)
                                         .order_by("name").values_list("name", flat=True))}
    released_bytes = b""
    try:
        source_nb = source_check(source_bytes)
        released_nb = released_notebook(source_nb, assignment_key=assignment.key)
        released_bytes = nbformat.writes(released_nb).encode()
        manual = {s.grade_id for s in grading_plan(source=source_nb, submission=source_nb).steps
                  if s.manual}
        source_result = grade_bytes(assignment=assignment, source=source_bytes,
                                    submission=source_bytes, reveal=True)
        released_result = grade_bytes(assignment=assignment, source=source_bytes,
                                      submission=released_bytes)
        report["source"], report["released"] = _summary(source_result), _summary(
            released_result)
        auto_max = sum(c.max_score for c in source_result.cells if c.grade_id not in manual)
        if source_result.status != "graded":
            problems.append(gettext("The source notebook did not run to the end: %s")
                            % source_result.message)
        failing = [c.grade_id for c in source_result.cells
                   if c.grade_id not in manual and c.score < c.max_score]
        if failing:
            problems.append(gettext("The solutions do not pass these tests: %s")
                            % ", ".join(failing))
            problems.extend(_test_failures(source_result, failing))
        if auto_max > 0 and released_result.score >= auto_max:
            problems.append(gettext("The released notebook already scores full marks: the "
                                    "tests do not check the answers."))
    except NotebookInvalid as exc:
        problems.append(str(exc))
    except SandboxUnavailable:
        raise
    except Exception as exc:  # noqa: BLE001 - nbgrader refusing the source, say: a report
        logger.exception("release check of %s failed", assignment.key)
        problems.append(gettext("The check could not run: %(error)s")
                        % {"error": f"{type(exc).__name__}: {exc}"[:500]})
    report["problems"] = problems
    report["passed"] = not problems
    with transaction.atomic():
        assignment = Assignment.objects.select_for_update().get(pk=assignment_id)
        if (sha256(assignment.source.open("rb").read()) != report["source_sha256"]
                or _data_digest(assignment) != report["data_sha256"]):
            logger.info("release of %s: the files changed during the check", assignment.key)
            return assignment  # the newer upload needs its own check
        assignment.release_report = report
        if problems:
            # Learners keep the version that passed before (if any).
            assignment.release_state = ReleaseState.FAILED
        else:
            assignment.released.save(f"{assignment.key}.ipynb", ContentFile(released_bytes),
                                     save=False)
            assignment.released_source.save(f"{assignment.key}.ipynb",
                                            ContentFile(source_bytes), save=False)
            assignment.released_source_sha256 = report["source_sha256"]
            assignment.release_state = ReleaseState.RELEASED
            assignment.released_at = timezone.now()
        assignment.save()
    logger.info("release of %s: %s", assignment.key, "released" if not problems else problems)
    return assignment


def assignment_release_failed(*, assignment_id: int, error: Exception) -> None:
    """The check itself could not run (the sandbox is down, say): a failed check, reported."""
    logger.error("release check of assignment %s could not run: %s", assignment_id, error)
    Assignment.objects.filter(pk=assignment_id, release_state=ReleaseState.CHECKING).update(
        release_state=ReleaseState.FAILED, release_report={
            "checked_at": timezone.now().isoformat(), "passed": False,
            "problems": [gettext("The check could not run: %(error)s")
                         % {"error": f"{type(error).__name__}: {error}"[:500]}]})


# --- Submissions --------------------------------------------------------------------------


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
    from courses.models import ProgrammeRun
    from courses.models.runs import LEARNING_STATUSES
    from grading.selectors import can_grade

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
        # One submission at a time per learner: concurrent clicks queue up here.
        get_user_model().objects.select_for_update().filter(pk=learner.pk).first()
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
    from grading.tasks import submission_autograde_task

    try:
        submission_autograde_task.apply_async(
            (submission_id,), retry=True,
            retry_policy={"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5,
                          "interval_max": 1.0})
    except Exception as exc:  # noqa: BLE001 - any broker failure leaves it for the sweep
        logger.error("could not queue submission %s for grading (it stays queued and the "
                     "sweep will send it again): %s", submission_id, exc)
        return False
    Submission.objects.filter(pk=submission_id).update(
        enqueued_at=timezone.now(), enqueue_count=F("enqueue_count") + 1)
    return True


def _rejected(exc: NotebookInvalid) -> GradeResult:
    result = GradeResult(status="rejected", score=0.0, max_score=0.0,
                         needs_manual_grade=False, message=str(exc))
    result.reason = exc  # rendered per language by _grade_store
    return result


def _labels() -> dict[str, str]:
    from grading.autograder.feedback import DEFAULT_LABELS  # heavy (nbconvert): workers only

    return {key: gettext(text) for key, text in DEFAULT_LABELS.items()}


def _feedback(result: GradeResult, *, title: str) -> dict[str, str]:
    """The feedback page in each language of the site (the learner reads it in theirs)."""
    from grading.autograder.feedback import feedback_html  # heavy (nbconvert): workers only

    pages = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            shown = dataclasses.replace(result, message=_message(result), steps=[
                dataclasses.replace(step, stdout=gettext(WITHHELD))
                if step.stdout == WITHHELD else step for step in result.steps])
            pages[code] = feedback_html(shown, title=title, labels=_labels())
    return pages


def _message(result: GradeResult) -> str:
    """The result's message in the active language."""
    reason = getattr(result, "reason", None)
    if reason is not None:
        return gettext("The notebook could not be read: %(reason)s") % {"reason": reason}
    return gettext(result.message) if result.message else ""


def _stuck(submission: Submission) -> None:
    Submission.objects.filter(pk=submission.pk, state=SubmissionState.GRADING).update(
        state=SubmissionState.QUEUED, grading_started_at=None)


def submission_autograde(*, submission_id: int, force: bool = False) -> Grade | None:
    """Grade a submission once (idempotent): a run grades only when there is no grade yet
    or a regrade was asked for (``force`` is accepted for old messages and ignored: a
    duplicate regrade message finds the regrade done and returns).

    Infrastructure failures are raised (the task retries them; anything else leaves the
    submission queued for the sweep), never stored as a learner's grade.
    """
    with transaction.atomic():
        submission = (Submission.objects.select_for_update().select_related("assignment")
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
            result = _error_result(assignment, gettext_noop(
                "The stored notebook is damaged; staff have been told."))
        else:
            try:
                result = grade_bytes(assignment=assignment, source=source, submission=data)
            except NotebookInvalid as exc:
                result = _rejected(exc)
        feedback = _feedback(result, title=assignment.title)
    except Exception:
        _stuck(submission)
        logger.exception("grading submission %s failed; it stays queued", submission.pk)
        raise
    duration_ms = int((time.monotonic() - started) * 1000)
    return _grade_store(submission_id=submission.pk, result=result, feedback=feedback,
                        source_sha256=sha256(source), duration_ms=duration_ms,
                        started_at=started_at)


def _error_result(assignment: Assignment, message: str) -> GradeResult:
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


def _snapshot(grade: Grade) -> dict:
    return {"status": grade.status, "auto_score": str(grade.auto_score),
            "manual_scores": dict(grade.manual_scores), "penalty_percent":
            str(grade.penalty_percent), "override_score": None if grade.override_score is None
            else str(grade.override_score), "score": str(grade.score)}


def _grade_store(*, submission_id: int, result: GradeResult, feedback: dict[str, str],
                 source_sha256: str, duration_ms: int, started_at) -> Grade:
    with transaction.atomic():
        submission = (Submission.objects.select_for_update().select_related("assignment")
                      .get(pk=submission_id))
        grade = Grade.objects.filter(submission=submission).first()
        if grade is not None and not submission.regrade_requested_at:
            return grade  # another run stored its grade first
        assignment = submission.assignment
        try:
            with (assignment.released_source or assignment.source).open("rb") as stream:
                source_nb = nbformat.reads(stream.read().decode(), as_version=4)
        except (OSError, ValueError):
            source_nb = None
        before = _snapshot(grade) if grade else None
        grade = grade or Grade(submission=submission)
        grade.status = result.status
        grade.auto_score = Decimal(str(result.score)).quantize(Decimal("0.01"))
        grade.max_score = Decimal(str(result.max_score or assignment.max_score))
        grade.cells = _cells(result, source_nb)
        grade.record = result.as_record()
        manual_ids = {c["grade_id"] for c in grade.cells if c["manual"]}
        grade.manual_scores = {k: v for k, v in grade.manual_scores.items() if k in manual_ids}
        grade.needs_manual_grade = bool(manual_ids - set(grade.manual_scores))
        _late_set(grade, submission)
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
                                      before=before, after=_snapshot(grade))
        requested = submission.regrade_requested_at
        if requested is None or started_at is None or requested <= started_at:
            submission.state = SubmissionState.DONE
            submission.regrade_requested_at = None
        else:
            # Asked for again while this run was grading: the newer request still stands.
            submission.state = SubmissionState.QUEUED
        submission.save(update_fields=["state", "regrade_requested_at"])
        transaction.on_commit(functools.partial(grade_changed.send, sender=Grade, grade=grade))
    logger.info("submission %s graded: %s %s/%s in %d ms", submission_id, grade.status,
                grade.score, grade.max_score, duration_ms)
    return grade


def _late_set(grade: Grade, submission: Submission) -> None:
    """Days late and the penalty, against the learner's due date now (extensions count)."""
    assignment = submission.assignment
    due = assignment.due_for(submission.learner)
    grade.late_days = assignment.late_days(submitted_at=submission.submitted_at, due_at=due)
    grade.penalty_percent = assignment.penalty_percent(grade.late_days)


# --- The sweep ------------------------------------------------------------------------------


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
        _stuck(submission)
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
        return
    result = _error_result(submission.assignment, gettext_noop(
        "This notebook could not be graded after several tries; staff have been told."))
    _grade_store(submission_id=submission.pk, result=result, feedback={}, source_sha256="",
                 duration_ms=0, started_at=None)


# --- Staff actions --------------------------------------------------------------------------


def regrade_request(*, submissions, actor) -> int:
    """Queue submissions for grading again (their grades are replaced, audited)."""
    ids = list(submissions.values_list("pk", flat=True))
    now = timezone.now()
    Submission.objects.filter(pk__in=ids).update(regrade_requested_at=now, grading_attempts=0,
                                                 state=SubmissionState.QUEUED)
    for pk in ids:
        transaction.on_commit(functools.partial(submission_enqueue, submission_id=pk))
    logger.info("user %s asked for %d regrades", getattr(actor, "pk", None), len(ids))
    return len(ids)


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
    before = _snapshot(grade)
    grade.manual_scores = {**grade.manual_scores, grade_id: float(score)}
    grade.needs_manual_grade = any(c["manual"] and c["grade_id"] not in grade.manual_scores
                                   for c in grade.cells)
    grade.score = grade.compute_score()
    grade.save()
    GradeAudit.objects.create(grade=grade, actor=actor, action=GradeAudit.Action.MANUAL,
                              before=before, after=_snapshot(grade), reason=comment)
    transaction.on_commit(functools.partial(grade_changed.send, sender=Grade, grade=grade))
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
    before = _snapshot(grade)
    grade.override_score = score
    grade.override_reason = reason if score is not None else ""
    grade.score = grade.compute_score()
    grade.save()
    GradeAudit.objects.create(
        grade=grade, actor=actor, reason=reason, before=before, after=_snapshot(grade),
        action=GradeAudit.Action.OVERRIDE if score is not None
        else GradeAudit.Action.OVERRIDE_CLEARED)
    transaction.on_commit(functools.partial(grade_changed.send, sender=Grade, grade=grade))
    return grade


@transaction.atomic
def extension_grant(*, assignment: Assignment, learner, due_at, reason: str,
                    actor) -> Extension:
    if not (reason or "").strip():
        raise GradeChangeRefused(gettext("Give a reason for the extension."))
    extension, _created = Extension.objects.update_or_create(
        assignment=assignment, learner=learner,
        defaults={"due_at": due_at, "reason": reason.strip(), "granted_by": actor,
                  "granted_at": timezone.now()})
    # Grades already given are late against the new date, or not: their penalty follows.
    for grade in Grade.objects.select_for_update().filter(
            submission__assignment=assignment, submission__learner=learner
    ).select_related("submission__assignment", "submission__learner"):
        before = _snapshot(grade)
        _late_set(grade, grade.submission)
        grade.score = grade.compute_score()
        if _snapshot(grade) != before:
            grade.save()
            GradeAudit.objects.create(grade=grade, actor=actor,
                                      action=GradeAudit.Action.EXTENSION, before=before,
                                      after=_snapshot(grade), reason=reason.strip())
            transaction.on_commit(functools.partial(grade_changed.send, sender=Grade,
                                                    grade=grade))
    return extension

