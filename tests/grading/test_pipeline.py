"""The grading pipeline through the database: release check, submissions, grades, policy.

Grades come from the real sandbox (bubblewrap), started per grade in the test process.
"""

from datetime import timedelta
from decimal import Decimal

import nbformat
import pytest
from django.utils import timezone

from courses.models import ModuleProgress
from grading.autograder.notebooks import NotebookInvalid
from grading.models import Grade, GradeAudit, ReleaseState, Submission, SubmissionState
from grading.services.assignments import assignment_release, assignment_source_set
from grading.services.extensions import extension_grant
from grading.services.grades import (
    GradeChangeRefused,
    grade_manual_set,
    grade_override,
    submission_autograde,
)
from grading.services.submissions import (
    SubmissionRefused,
    regrade_request,
    submission_create,
    submissions_sweep,
)
from tests.grading.conftest import notebook_with, source_notebook

pytestmark = pytest.mark.django_db

RIGHT = "def square(x):\n    return x * x"
WRONG = "def square(x):\n    return x + x"


def submit(assignment, learner, answer=RIGHT, **kwargs):
    return submission_create(assignment=assignment, learner=learner,
                             data=notebook_with(answer), **kwargs).submission


# --- Release ------------------------------------------------------------------------------


def test_release_generates_the_student_version_and_passes_the_check(released_assignment):
    assert released_assignment.release_state == ReleaseState.RELEASED
    report = released_assignment.release_report
    assert report["passed"]
    assert report["problems"] == []
    assert report["source"]["score"] == 3.0
    assert report["released"]["score"] < 3.0
    released = nbformat.reads(released_assignment.released.open("rb").read().decode(), 4)
    text = nbformat.writes(released)
    assert "return x * x" not in text  # the solution is gone
    assert "HIDDEN_MARKER_9" not in text  # and the hidden tests
    assert "MARK SCHEME" not in text
    assert released.metadata["aimd"]["assignment"] == "squares"
    assert all(not c.get("outputs") for c in released.cells if c.cell_type == "code")


def test_a_source_whose_solution_fails_its_tests_is_not_released(assignment):
    source = source_notebook()
    source.cells[1].source = source.cells[1].source.replace("x * x", "x + 1")
    assignment_source_set(assignment=assignment, data=nbformat.writes(source).encode())

    checked = assignment_release(assignment_id=assignment.pk)

    assert checked.release_state == ReleaseState.FAILED
    assert any("t1" in p for p in checked.release_report["problems"])
    assert not checked.is_released


def test_the_release_check_warns_of_a_test_reading_a_name_of_an_unlocked_cell(assignment):
    # ``CASES`` is made by calling the learner's function in a plain cell: the judge cannot
    # make it itself, so it reads the learner's, which the learner could rebind.
    source = source_notebook()
    source.cells.insert(2, nbformat.v4.new_code_cell("CASES = [square(v) for v in (2, 3)]"))
    source.cells[3].source = "assert list(CASES) == [4, 9]"
    assignment_source_set(assignment=assignment, data=nbformat.writes(source).encode())

    checked = assignment_release(assignment_id=assignment.pk)

    assert checked.release_state == ReleaseState.RELEASED  # a warning, not a failure
    [warning] = checked.release_report["warnings"]
    assert "t1 read CASES" in warning
    assert "read-only" in warning


def test_a_source_whose_tests_pass_the_stub_is_not_released(assignment):
    source = source_notebook()
    source.cells[2].source = "assert True"
    source.cells[3].source = "assert True"
    assignment_source_set(assignment=assignment, data=nbformat.writes(source).encode())

    checked = assignment_release(assignment_id=assignment.pk)

    assert checked.release_state == ReleaseState.FAILED
    assert any("full marks" in p for p in checked.release_report["problems"])


def test_a_new_source_waits_for_its_check_while_the_released_one_stays(
        released_assignment, enrolled_learner):
    changed = source_notebook()
    changed.cells[1].source = changed.cells[1].source.replace("x * x", "x + 1")  # broken
    assignment_source_set(assignment=released_assignment,
                          data=nbformat.writes(changed).encode())

    assert released_assignment.release_state == ReleaseState.DRAFT
    assert released_assignment.is_released
    assert released_assignment.has_unreleased_changes
    checked = assignment_release(assignment_id=released_assignment.pk)
    assert checked.release_state == ReleaseState.FAILED
    assert checked.is_released
    # Learners are still graded against the version that passed its check.
    grade = submission_autograde(submission_id=submit(checked, enrolled_learner).pk)
    assert grade.auto_score == 3


@pytest.mark.parametrize(("data", "reason"), [
    (b"not json", "JSON"),
    (nbformat.writes(nbformat.v4.new_notebook()).encode(), "graded"),
])
def test_bad_sources_are_refused_with_a_reason(assignment, data, reason):
    with pytest.raises(NotebookInvalid, match=reason):
        assignment_source_set(assignment=assignment, data=data)


# --- Submissions and grades ---------------------------------------------------------------


def test_a_submission_is_stored_then_graded_once(released_assignment, enrolled_learner, run):
    data = notebook_with(RIGHT)
    submission = submission_create(assignment=released_assignment, learner=enrolled_learner,
                                   data=data).submission

    assert submission.state == SubmissionState.QUEUED
    assert submission.attempt == 1
    assert submission.run == run
    assert submission.notebook.open("rb").read() == data
    grade = submission_autograde(submission_id=submission.pk)
    again = submission_autograde(submission_id=submission.pk)

    assert grade.pk == again.pk
    assert Grade.objects.filter(submission=submission).count() == 1
    assert (grade.status, grade.auto_score, grade.max_score) == ("graded", 3, 4)
    assert grade.needs_manual_grade
    assert [c["grade_id"] for c in grade.manual_pending] == ["why"]
    submission.refresh_from_db()
    assert submission.state == SubmissionState.DONE


def test_submissions_are_immutable(released_assignment, enrolled_learner):
    submission = submit(released_assignment, enrolled_learner)
    submission.sha256 = "0" * 64
    with pytest.raises(ValueError, match="immutable"):
        submission.save()


def test_the_same_notebook_twice_is_one_submission(released_assignment, enrolled_learner):
    first = submission_create(assignment=released_assignment, learner=enrolled_learner,
                              data=notebook_with(RIGHT))
    second = submission_create(assignment=released_assignment, learner=enrolled_learner,
                               data=notebook_with(RIGHT))

    assert first.created
    assert not second.created
    assert second.submission.pk == first.submission.pk
    assert Submission.objects.count() == 1


def test_attempts_are_counted_and_capped(released_assignment, enrolled_learner):
    released_assignment.max_attempts = 2
    released_assignment.save()
    submit(released_assignment, enrolled_learner, WRONG)
    second = submit(released_assignment, enrolled_learner, RIGHT)

    assert second.attempt == 2
    with pytest.raises(SubmissionRefused) as refused:
        submit(released_assignment, enrolled_learner, RIGHT + "\n")
    assert refused.value.code == "no_attempts"


@pytest.mark.parametrize(("counting", "expected"), [("best", Decimal("3.00")),
                                                ("last", Decimal("0.00"))])
def test_best_or_last_attempt_counts(released_assignment, enrolled_learner, counting, expected):
    from grading.selectors.grades import learner_assignment

    released_assignment.counting = counting
    released_assignment.save()
    for answer in (RIGHT, WRONG):
        submission_autograde(submission_id=submit(released_assignment, enrolled_learner,
                                                  answer).pk)

    state = learner_assignment(assignment=released_assignment, learner=enrolled_learner)
    assert state.counted.auto_score == expected


def test_late_penalty_per_day_with_a_cap(released_assignment, enrolled_learner):
    now = timezone.now()
    released_assignment.due_at = now - timedelta(days=2, hours=1)  # 3 days late (rounded up)
    released_assignment.late_penalty_percent_per_day = Decimal(10)
    released_assignment.late_penalty_cap_percent = Decimal(25)
    released_assignment.save()

    submission = submit(released_assignment, enrolled_learner, now=now)
    grade = submission_autograde(submission_id=submission.pk)

    assert submission.late_days == 3
    assert grade.penalty_percent == Decimal(25)  # 30 % capped at 25 %
    assert grade.score == Decimal("2.25")  # 3 points less 25 %


def test_an_extension_moves_the_due_date(released_assignment, enrolled_learner,
                                         programme_staff):
    now = timezone.now()
    released_assignment.due_at = now - timedelta(days=1)
    released_assignment.late_penalty_percent_per_day = Decimal(10)
    released_assignment.save()
    extension_grant(assignment=released_assignment, learner=enrolled_learner,
                    due_at=now + timedelta(days=1), reason="병가", actor=programme_staff)

    submission = submit(released_assignment, enrolled_learner, now=now)

    assert submission.late_days == 0
    assert submission_autograde(submission_id=submission.pk).penalty_percent == 0


def test_late_submissions_close_at_the_cutoff(released_assignment, enrolled_learner):
    released_assignment.accept_late_until = timezone.now() - timedelta(minutes=1)
    released_assignment.save()
    with pytest.raises(SubmissionRefused) as refused:
        submit(released_assignment, enrolled_learner)
    assert refused.value.code == "closed"


def test_refusals(assignment, released_assignment, learner, enrolled_learner):
    with pytest.raises(SubmissionRefused) as refused:
        submit(released_assignment, learner.__class__.objects.create_user(
            email="stranger@example.com", password="x" * 12))
    assert refused.value.code == "not_enrolled"
    with pytest.raises(SubmissionRefused) as refused:
        submission_create(assignment=released_assignment, learner=enrolled_learner,
                          data=notebook_with(RIGHT, assignment_key="another"))
    assert refused.value.code == "wrong_assignment"
    with pytest.raises(NotebookInvalid):
        submission_create(assignment=released_assignment, learner=enrolled_learner,
                          data=b"{not a notebook")


def test_an_oversize_notebook_is_refused(released_assignment, enrolled_learner, settings):
    settings.GRADING_MAX_NOTEBOOK_BYTES = 1000
    with pytest.raises(NotebookInvalid, match="limit"):
        submit(released_assignment, enrolled_learner)
    assert not Submission.objects.exists()


def test_passing_completes_the_module_and_a_lower_override_reopens_it(
        released_assignment, enrolled_learner, programme_staff, django_capture_on_commit_callbacks):
    module_key = released_assignment.module.translation_key
    with django_capture_on_commit_callbacks(execute=True):
        grade = submission_autograde(
            submission_id=submit(released_assignment, enrolled_learner).pk)
    progress = ModuleProgress.objects.get(learner=enrolled_learner, module_key=module_key)
    assert progress.completed_at is not None  # 3 of 4 ≥ 60 %

    with django_capture_on_commit_callbacks(execute=True):
        grade_override(grade=grade, score=Decimal(1), reason="표절 확인", actor=programme_staff)
    progress.refresh_from_db()
    assert progress.completed_at is None


# --- Staff changes ------------------------------------------------------------------------


def test_manual_grades_and_overrides_are_audited(released_assignment, enrolled_learner,
                                                  instructor):
    grade = submission_autograde(submission_id=submit(released_assignment, enrolled_learner).pk)

    grade = grade_manual_set(grade=grade, grade_id="why", score=Decimal("0.5"), actor=instructor)
    assert grade.score == Decimal("3.50")
    assert not grade.needs_manual_grade
    with pytest.raises(GradeChangeRefused):
        grade_manual_set(grade=grade, grade_id="why", score=Decimal(2), actor=instructor)
    with pytest.raises(GradeChangeRefused):
        grade_override(grade=grade, score=Decimal(4), reason="  ", actor=instructor)
    grade = grade_override(grade=grade, score=Decimal(4), reason="재채점 합의", actor=instructor)

    assert grade.score == Decimal(4)
    audit = list(GradeAudit.objects.filter(grade=grade).order_by("at"))
    assert [a.action for a in audit] == ["manual", "override"]
    assert audit[1].before["score"] == "3.50"
    assert audit[1].after["score"] == "4.00"
    assert audit[1].actor == instructor
    assert audit[1].reason == "재채점 합의"


def test_a_regrade_replaces_the_grade_keeps_manual_scores_and_is_audited(
        released_assignment, enrolled_learner, instructor):
    submission = submit(released_assignment, enrolled_learner)
    grade = submission_autograde(submission_id=submission.pk)
    grade_manual_set(grade=grade, grade_id="why", score=Decimal(1), actor=instructor)

    assert regrade_request(submissions=Submission.objects.filter(pk=submission.pk),
                           actor=instructor) == 1
    regraded = submission_autograde(submission_id=submission.pk)

    assert regraded.pk == grade.pk
    assert regraded.manual_scores == {"why": 1.0}
    assert regraded.score == Decimal(4)
    assert GradeAudit.objects.filter(grade=grade, action="regrade").count() == 1
    assert Grade.objects.filter(submission=submission).count() == 1


# --- Nothing lost -------------------------------------------------------------------------


def test_the_sweep_sends_what_was_never_sent_and_what_is_stuck(
        released_assignment, enrolled_learner, monkeypatch):
    sent = []
    monkeypatch.setattr("grading.tasks.submission_autograde_task.apply_async",
                        lambda args, kwargs=None, **options: sent.append(args[0]))
    never_sent = submit(released_assignment, enrolled_learner, WRONG)
    stuck = submit(released_assignment, enrolled_learner, RIGHT)
    Submission.objects.filter(pk=stuck.pk).update(
        state=SubmissionState.GRADING, enqueued_at=timezone.now() - timedelta(hours=1),
        enqueue_count=1, grading_started_at=timezone.now() - timedelta(hours=1))
    Submission.objects.filter(pk=never_sent.pk).update(
        submitted_at=timezone.now() - timedelta(minutes=1))
    fresh = submit(released_assignment, enrolled_learner, RIGHT + "\n")  # its send may come

    counts = submissions_sweep()

    assert sorted(sent) == sorted([never_sent.pk, stuck.pk])
    assert fresh.pk not in sent
    assert counts == {"requeued": 2, "given_up": 0}
    stuck.refresh_from_db()
    assert stuck.state == SubmissionState.QUEUED
    assert stuck.enqueue_count == 2


def test_the_sweep_gives_up_after_too_many_tries(released_assignment, enrolled_learner,
                                                 settings):
    submission = submit(released_assignment, enrolled_learner)
    Submission.objects.filter(pk=submission.pk).update(
        grading_attempts=settings.GRADING_MAX_ENQUEUES, state=SubmissionState.GRADING,
        grading_started_at=timezone.now() - timedelta(hours=1))

    assert submissions_sweep()["given_up"] == 1
    grade = Grade.objects.get(submission=submission)
    assert grade.status == "error"
    assert "staff" in grade.messages["en"]


def test_a_broker_that_refuses_leaves_the_submission_queued(
        released_assignment, enrolled_learner, monkeypatch, django_capture_on_commit_callbacks,
        caplog):
    from kombu.exceptions import OperationalError

    def down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr("grading.tasks.submission_autograde_task.apply_async", down)
    with django_capture_on_commit_callbacks(execute=True):
        submission = submit(released_assignment, enrolled_learner)

    submission.refresh_from_db()
    assert submission.state == SubmissionState.QUEUED
    assert submission.enqueued_at is None
    assert "stays queued" in caplog.text


def test_the_configured_backend_makes_the_sandboxes(settings):
    from grading.autograder.sandbox.local import Limits
    from grading.services.sandboxes import _sandbox_factory

    settings.GRADING_SANDBOX_BACKEND = "local"
    assert _sandbox_factory() is None  # the worker's pool serves the local backend
    settings.GRADING_SANDBOX_BACKEND = "docker"
    factory = _sandbox_factory()
    assert factory.args == ("docker",)
    assert factory.keywords["image"] == settings.GRADING_SANDBOX_IMAGE
    assert isinstance(factory.keywords["limits"], Limits)


# --- What the review found: retries, the sweep, extensions, refusals ------------------------


def test_a_backlog_is_not_sent_twice_and_a_grade_is_never_given_up_on(
        released_assignment, enrolled_learner, monkeypatch, settings):
    sent = []
    monkeypatch.setattr("grading.tasks.submission_autograde_task.apply_async",
                        lambda args, kwargs=None, **options: sent.append(args[0]))
    waiting = submit(released_assignment, enrolled_learner)
    Submission.objects.filter(pk=waiting.pk).update(
        enqueued_at=timezone.now() - timedelta(minutes=10))
    assert submissions_sweep()["requeued"] == 0  # still in the broker's queue: left alone

    grade = submission_autograde(submission_id=waiting.pk)
    Submission.objects.filter(pk=waiting.pk).update(
        state=SubmissionState.GRADING, regrade_requested_at=timezone.now(),
        grading_attempts=settings.GRADING_MAX_ENQUEUES,
        grading_started_at=timezone.now() - timedelta(hours=1))
    assert submissions_sweep()["given_up"] == 1
    grade.refresh_from_db()
    assert grade.status == "graded"
    assert grade.auto_score == 3


def test_an_infrastructure_failure_is_never_stored_as_a_grade(released_assignment,
                                                              enrolled_learner, monkeypatch):
    submission = submit(released_assignment, enrolled_learner)

    def broken(**kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("grading.services.grades.grade_bytes", broken)
    with pytest.raises(OSError, match="No space"):
        submission_autograde(submission_id=submission.pk)
    submission.refresh_from_db()
    assert submission.state == SubmissionState.QUEUED
    assert not Grade.objects.filter(submission=submission).exists()


def test_a_regrade_asked_for_while_grading_is_not_lost(released_assignment, enrolled_learner,
                                                       instructor, monkeypatch):
    submission = submit(released_assignment, enrolled_learner)
    from grading.services import grades

    real = grades.grade_bytes

    def slow(**kwargs):  # an instructor asks for a regrade while this grade runs
        result = real(**kwargs)
        regrade_request(submissions=Submission.objects.filter(pk=submission.pk),
                        actor=instructor)
        return result

    monkeypatch.setattr("grading.services.grades.grade_bytes", slow)
    submission_autograde(submission_id=submission.pk)
    submission.refresh_from_db()
    assert submission.state == SubmissionState.QUEUED
    assert submission.regrade_requested_at


def test_an_extension_lifts_the_cutoff_and_the_penalty_already_given(
        released_assignment, enrolled_learner, programme_staff):
    now = timezone.now()
    released_assignment.due_at = now - timedelta(days=3)
    released_assignment.accept_late_until = now - timedelta(days=1)
    released_assignment.late_penalty_percent_per_day = Decimal(10)
    released_assignment.save()
    with pytest.raises(SubmissionRefused):
        submit(released_assignment, enrolled_learner)

    extension_grant(assignment=released_assignment, learner=enrolled_learner,
                    due_at=now + timedelta(days=2), reason="입원", actor=programme_staff)
    grade = submission_autograde(submission_id=submit(released_assignment,
                                                      enrolled_learner).pk)
    assert grade.penalty_percent == 0
    assert grade.late_days == 0


def test_an_extension_recomputes_a_late_grade_with_an_audit(released_assignment,
                                                            enrolled_learner,
                                                            programme_staff):
    now = timezone.now()
    released_assignment.due_at = now - timedelta(days=1, hours=12)  # two days late
    released_assignment.late_penalty_percent_per_day = Decimal(10)
    released_assignment.save()
    grade = submission_autograde(submission_id=submit(released_assignment,
                                                      enrolled_learner, now=now).pk)
    assert grade.score == Decimal("2.40")

    extension_grant(assignment=released_assignment, learner=enrolled_learner,
                    due_at=now + timedelta(days=1), reason="병가", actor=programme_staff)
    grade.refresh_from_db()
    assert grade.score == Decimal("3.00")
    assert grade.penalty_percent == 0
    assert GradeAudit.objects.filter(grade=grade, action="extension").count() == 1


def test_a_notebook_of_another_assignment_without_our_metadata_is_refused(
        released_assignment, enrolled_learner):
    other = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1)")])
    with pytest.raises(SubmissionRefused) as refused:
        submission_create(assignment=released_assignment, learner=enrolled_learner,
                          data=nbformat.writes(other).encode())
    assert refused.value.code == "wrong_assignment"


def test_messages_are_kept_in_every_language(released_assignment, enrolled_learner):
    submission = submission_create(assignment=released_assignment, learner=enrolled_learner,
                                   data=notebook_with("while True:\n    pass")).submission
    released_assignment.time_limit_seconds = 5
    released_assignment.save()
    grade = submission_autograde(submission_id=submission.pk)

    assert grade.status == "timed_out"
    assert set(grade.messages) == {"ko", "en"}
    assert grade.messages["ko"] != grade.messages["en"]


def test_a_release_check_that_cannot_run_is_reported_not_left_checking(assignment):
    from grading.services.assignments import assignment_release_failed
    from grading.tasks import assignment_release_task

    Assignment = type(assignment)
    Assignment.objects.filter(pk=assignment.pk).update(release_state=ReleaseState.CHECKING)
    assignment_release_failed(assignment_id=assignment.pk,
                              error=RuntimeError("bubblewrap: permission denied"))
    assignment.refresh_from_db()
    assert assignment.release_state == ReleaseState.FAILED
    assert "bubblewrap" in assignment.release_report["problems"][0]
    assert assignment_release_task.max_retries == 5
