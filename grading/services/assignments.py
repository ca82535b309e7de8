"""Writes of assignments: the source notebook, data files, and the release check.

The release check runs on a worker (``assignment_release_task``, the ``grading`` queue):
nbgrader generates the released notebook, the source must score full marks on its
autograded tests through the same sandbox as learners' work, and the released version less.
"""

from __future__ import annotations

import logging
from decimal import Decimal

import nbformat
from celery import shared_task
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from courses.page_cache import shared_pages_changed
from grading.autograder.engine import JUDGE_PREFIX, GradeResult
from grading.autograder.notebooks import (
    NotebookInvalid,
    grading_plan,
    notebook_load,
    source_validate,
    unguarded_uses,
)
from grading.autograder.release import released_notebook
from grading.autograder.sandbox.local import SandboxUnavailable
from grading.models import Assignment, AssignmentDataFile, ReleaseState
from grading.services.sandboxes import INFRASTRUCTURE_ERRORS, data_digest, grade_bytes
from grading.storage import sha256

logger = logging.getLogger(__name__)


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
        shared_pages_changed()  # update() sends no signal
    return data_file


def assignment_release_request(*, assignment: Assignment) -> None:
    """Mark the assignment as being checked and send the check to a worker (on commit)."""
    if not assignment.source:
        raise NotebookInvalid(gettext("Upload the source notebook first."))
    Assignment.objects.filter(pk=assignment.pk).update(release_state=ReleaseState.CHECKING)
    shared_pages_changed()  # update() sends no signal
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


def _unguarded_warnings(source_nb: nbformat.NotebookNode) -> list[str]:
    """One line per name a test (or the instructor's code in the judge) reads that only an
    unlocked plain cell binds and the judge cannot make itself (``unguarded_uses``): it is
    read from the learner's process, where the learner can rebind it. A warning, not a
    failure: such a name may be one the exercise means learners to change."""
    return [gettext("%(places)s read %(name)s, which only an unlocked cell binds: grading "
                    "takes it from the learner's code, which can change it. Make that cell "
                    "read-only (locked) if learners must not change it.")
            % {"places": ", ".join(places), "name": name}
            for name, places in unguarded_uses(source_nb).items()]


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
                    sha256(source_bytes), "data_sha256": data_digest(assignment),
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
        report["manual_cells"] = sorted(manual)
        report["warnings"] = _unguarded_warnings(source_nb)
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
                or data_digest(assignment) != report["data_sha256"]):
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
    shared_pages_changed()


@shared_task(name="grading.tasks.assignment_release_task", bind=True, acks_late=True,
             autoretry_for=INFRASTRUCTURE_ERRORS, retry_backoff=2, max_retries=5,
             soft_time_limit=1740, time_limit=1800)
def assignment_release_task(self, assignment_id: int) -> str:
    try:
        return assignment_release(assignment_id=assignment_id).release_state
    except Exception as exc:
        if not isinstance(exc, INFRASTRUCTURE_ERRORS) or self.request.retries >= \
                self.max_retries:
            # The last try: say so on the release page instead of "checking" for ever.
            assignment_release_failed(assignment_id=assignment_id, error=exc)
        raise
