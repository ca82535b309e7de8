"""Every service that can complete a learner's last requirement ends in the completion check.

Each test drives one path through the services alone (no page is visited, so no progress row
exists beforehand), runs the on-commit work, and expects the certificate. The first one is the
path that lost a certificate before the completion check was an explicit call: a reading
module completed by a learner who had never opened it.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Q
from django.utils import timezone

from courses.models import EnrolmentStatus, ModuleProgress
from courses.services.enrolments import enrolment_drop, enrolments_bulk_create
from courses.services.progress import module_complete
from grading.autograder.engine import GradeResult
from grading.models import Submission
from grading.services.extensions import extension_grant
from grading.services.grades import grade_manual_set, grade_override, submission_autograde
from grading.services.submissions import regrade_request, submission_create
from lms.certificates.models import Certificate
from tests.courses.factories import ProgrammeRunFactory
from tests.grading.conftest import notebook_with

RIGHT = "def square(x):\n    return x * x"
WRONG = "def square(x):\n    return x + x"

pytestmark = pytest.mark.django_db


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run a step and then what it left for after its commit, as a request or a task does."""
    def run(step, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return step(*args, **kwargs)
    return run


def _submit(commit, assignment, learner, answer=RIGHT, **kwargs):
    submission = commit(submission_create, assignment=assignment, learner=learner,
                        data=notebook_with(answer), **kwargs).submission
    return commit(submission_autograde, submission_id=submission.pk)


def _read(commit, learner, modules):
    for module in modules:
        commit(module_complete, learner=learner, module=module)


def _certified(learner, run) -> bool:
    return Certificate.objects.filter(enrolment__learner=learner, enrolment__run=run).exists()


def test_reading_a_module_never_opened_before_completes_the_run(
        commit, released_assignment, enrolled_learner, modules, run):
    _submit(commit, released_assignment, enrolled_learner)
    assert not ModuleProgress.objects.filter(
        learner=enrolled_learner, module_key__in=[m.translation_key for m in modules]).exists()
    _read(commit, enrolled_learner, modules)  # the last requirement, without a visit first

    assert _certified(enrolled_learner, run)
    assert enrolled_learner.enrolments.get(run=run).status == EnrolmentStatus.COMPLETED


def test_a_grade_completes_the_run(commit, released_assignment, enrolled_learner, modules,
                                   run):
    _read(commit, enrolled_learner, modules)
    assert not _certified(enrolled_learner, run)
    _submit(commit, released_assignment, enrolled_learner)
    assert _certified(enrolled_learner, run)


def test_an_override_completes_the_run(commit, released_assignment, enrolled_learner,
                                       modules, run, instructor):
    _read(commit, enrolled_learner, modules)
    grade = _submit(commit, released_assignment, enrolled_learner, answer=WRONG)
    assert not _certified(enrolled_learner, run)
    commit(grade_override, grade=grade, score=Decimal(4), reason="채점 오류 정정",
           actor=instructor)
    assert _certified(enrolled_learner, run)


def test_a_manual_grade_completes_the_run(commit, released_assignment, enrolled_learner,
                                          modules, run, instructor):
    released_assignment.pass_mark = Decimal(4)  # the written answer's point is needed too
    released_assignment.save()
    _read(commit, enrolled_learner, modules)
    grade = _submit(commit, released_assignment, enrolled_learner)
    assert grade.score == 3
    assert not _certified(enrolled_learner, run)
    commit(grade_manual_set, grade=grade, grade_id="why", score=Decimal(1), actor=instructor)
    assert _certified(enrolled_learner, run)


def test_a_regrade_completes_the_run(commit, released_assignment, enrolled_learner, modules,
                                     run, instructor, monkeypatch):
    _read(commit, enrolled_learner, modules)

    def misjudged(**kwargs):  # the first grading went wrong (say, a broken data file)
        return GradeResult(status="graded", score=0.0, max_score=4.0,
                           needs_manual_grade=True, message="")

    with monkeypatch.context() as patch:
        patch.setattr("grading.services.grades.grade_bytes", misjudged)
        grade = _submit(commit, released_assignment, enrolled_learner)
    assert grade.score == 0
    assert not _certified(enrolled_learner, run)

    commit(regrade_request, submissions=Submission.objects.filter(pk=grade.submission_id),
           actor=instructor)
    commit(submission_autograde, submission_id=grade.submission_id)
    assert _certified(enrolled_learner, run)


def test_an_extension_completes_the_run(commit, released_assignment, enrolled_learner,
                                        modules, run, instructor):
    _read(commit, enrolled_learner, modules)
    after_the_run = timezone.make_aware(dt.datetime.combine(
        run.ends_on + dt.timedelta(days=2), dt.time(10)))
    _submit(commit, released_assignment, enrolled_learner, now=after_the_run)
    assert not _certified(enrolled_learner, run)  # handed in after the run ended

    commit(extension_grant, assignment=released_assignment, learner=enrolled_learner,
           due_at=after_the_run + dt.timedelta(days=1), reason="입원", actor=instructor)
    assert _certified(enrolled_learner, run)


def test_a_bulk_enrolment_completes_the_run(commit, released_assignment, learner, modules,
                                            programme, run):
    # The learner did the work in an earlier run, after it had ended; staff move them to
    # the current run by a CSV import, where that work is in time.
    ended = ProgrammeRunFactory(programme=programme, number=2,
                                starts_on=timezone.localdate() - dt.timedelta(days=60),
                                ends_on=timezone.localdate() - dt.timedelta(days=1))
    commit(enrolments_bulk_create, run=ended, data=learner.email.encode())
    _read(commit, learner, modules)
    _submit(commit, released_assignment, learner)
    assert not Certificate.objects.filter(Q(enrolment__learner=learner)).exists()

    commit(enrolment_drop, enrolment=learner.enrolments.get(run=ended), reason="회차 변경")
    report = commit(enrolments_bulk_create, run=run, data=learner.email.encode())
    assert [row.outcome for row in report.rows] == ["enrolled"]
    assert _certified(learner, run)
    assert not _certified(learner, ended)


def test_an_extension_without_work_touches_no_progress(commit, released_assignment,
                                                      enrolled_learner, run, instructor):
    # Nothing handed in, nothing to settle: no progress row appears, so "continue where
    # you left off" keeps pointing where the learner really was.
    commit(extension_grant, assignment=released_assignment, learner=enrolled_learner,
           due_at=timezone.now() + dt.timedelta(days=7), reason="출장", actor=instructor)
    assert not ModuleProgress.objects.filter(learner=enrolled_learner).exists()
    assert not _certified(enrolled_learner, run)
