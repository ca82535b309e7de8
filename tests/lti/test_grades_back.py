"""Grades back to the platform (AGS): one line item per assignment, found or created by
resource id; scores sent over HTTP when a grade is stored or changed, idempotently, with
retries on the platform's errors; instructors resend; the roster (NRPS)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone
from lti_tool.models import LtiContext, LtiLineItem, LtiUser

from grading.autograder.engine import GradeResult
from grading.models import Submission
from grading.services.grades import grade_override, grade_store
from lms.accounts.models import User
from lms.celery import app
from lms.lti.models import ScorePost, ScorePostStatus
from lms.lti.services import score_publish_task
from tests.lti.conftest import INSTRUCTOR, LEARNER, LaunchSpec, launch

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager_tasks():
    """Tasks run in the test's process when sent (the worker itself is covered by the
    browser test, which runs a real one): the HTTP to the platform is real either way."""
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = False, False


def _spec(module, *, sub="s-1", roles=(LEARNER,), **changes):
    return LaunchSpec(sub=sub, roles=list(roles), email=f"{sub}@univ.ac.kr",
                      custom={"lms_page": str(module.pk), "lms_assignment": "squares"},
                      **changes)


def _launched(client, platform, module, django_capture_on_commit_callbacks, **kw) -> User:
    with django_capture_on_commit_callbacks(execute=True):
        response = launch(client, platform, kw.get("sub", "s-1"), _spec(module, **kw))
    assert response.status_code == 302, response.content[:300]
    return LtiUser.objects.get(sub=kw.get("sub", "s-1")).auth_user


def _grade(learner, assignment, *, score: float, attempt: int = 1):
    submission = Submission.objects.create(
        assignment=assignment, learner=learner, attempt=attempt, notebook="x.ipynb",
        sha256="0" * 64, size=1, submitted_at=timezone.now())
    return grade_store(submission_id=submission.pk, result=GradeResult(
        status="graded", score=score, max_score=4.0, needs_manual_grade=False),
        feedback={}, source_sha256="", duration_ms=1, started_at=None)


def test_a_line_item_is_made_once_whatever_the_relaunches(
        client, platform, registration, assignment_module, assignment, run, eager_tasks,
        django_capture_on_commit_callbacks):
    _launched(client, platform, assignment_module, django_capture_on_commit_callbacks)
    _launched(client, platform, assignment_module, django_capture_on_commit_callbacks)
    _launched(client, platform, assignment_module, django_capture_on_commit_callbacks,
              sub="s-2")
    items = platform.line_items["course-1"]
    assert len(items) == 1
    assert items[0]["resourceId"] == "aimd-assignment-squares"
    assert items[0]["label"] == assignment.title
    assert LtiLineItem.objects.count() == 1


def test_a_line_item_the_platform_already_has_is_reused(
        client, platform, registration, assignment_module, assignment, run, eager_tasks,
        django_capture_on_commit_callbacks):
    platform.line_items["course-1"] = [{"id": f"{platform.url}/lineitems/course-1/1",
                                        "resourceId": "aimd-assignment-squares",
                                        "label": "Squares", "scoreMaximum": 4}]
    _launched(client, platform, assignment_module, django_capture_on_commit_callbacks)
    assert len(platform.line_items["course-1"]) == 1
    assert LtiLineItem.objects.get().url == f"{platform.url}/lineitems/course-1/1"


def test_a_stored_grade_is_sent_to_the_platform(
        client, platform, registration, assignment_module, assignment, run, eager_tasks,
        django_capture_on_commit_callbacks):
    learner = _launched(client, platform, assignment_module, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        _grade(learner, assignment, score=3.0)
    assert len(platform.scores) == 1
    score = platform.scores[0]
    assert score["userId"] == "s-1"
    assert (score["scoreGiven"], score["scoreMaximum"]) == (3.0, 4.0)
    assert score["activityProgress"] == "Completed"
    assert score["gradingProgress"] == "FullyGraded"
    # The token came from a client assertion the platform checked against our JWKS.
    assert platform.token_requests[-1]["client_assertion"]
    post = ScorePost.objects.get()
    assert post.status == ScorePostStatus.SENT
    assert post.score == Decimal("3.00")


def test_an_override_sends_the_new_score_and_the_same_score_is_not_sent_twice(
        client, platform, registration, assignment_module, assignment, run, eager_tasks,
        django_capture_on_commit_callbacks, instructor):
    learner = _launched(client, platform, assignment_module, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        grade = _grade(learner, assignment, score=2.0)
    with django_capture_on_commit_callbacks(execute=True):
        grade_override(grade=grade, score=Decimal("4"), reason="재채점", actor=instructor)
    assert [s["scoreGiven"] for s in platform.scores] == [2.0, 4.0]
    context, lti_user = LtiContext.objects.get(), LtiUser.objects.get(sub="s-1")
    result = score_publish_task.apply(args=(context.pk, lti_user.pk, assignment.pk)).get()
    assert result == "unchanged"
    assert len(platform.scores) == 2


def test_only_learners_launched_through_a_graded_placement_have_scores_sent(
        client, platform, registration, assignment_module, assignment, run, eager_tasks,
        django_capture_on_commit_callbacks, enrolled_learner):
    with django_capture_on_commit_callbacks(execute=True):
        _grade(enrolled_learner, assignment, score=4.0)
    assert platform.scores == []
    assert ScorePost.objects.count() == 0


def test_the_platforms_errors_are_retried_until_the_score_is_taken(
        client, platform, registration, assignment_module, assignment, run, eager_tasks,
        django_capture_on_commit_callbacks):
    learner = _launched(client, platform, assignment_module, django_capture_on_commit_callbacks)
    platform.fail_scores = 2
    _grade(learner, assignment, score=3.0)
    context, lti_user = LtiContext.objects.get(), LtiUser.objects.get(sub="s-1")
    # As a worker runs it: each 503 is a retry (with backoff; apply() runs them at once).
    app.conf.task_eager_propagates = False
    result = score_publish_task.apply(args=(context.pk, lti_user.pk, assignment.pk),
                                      throw=False)
    assert result.get() == "sent"
    assert platform.score_requests == 3
    assert len(platform.scores) == 1
    post = ScorePost.objects.get()
    assert post.status == ScorePostStatus.SENT
    assert post.attempts == 3


def test_a_refusal_by_the_platform_is_recorded_and_not_retried(
        client, platform, registration, assignment_module, assignment, run, eager_tasks,
        django_capture_on_commit_callbacks):
    learner = _launched(client, platform, assignment_module, django_capture_on_commit_callbacks)
    platform.tool_jwks = {"keys": []}  # the platform no longer trusts our key: 401
    platform.tokens.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _grade(learner, assignment, score=3.0)
    context, lti_user = LtiContext.objects.get(), LtiUser.objects.get(sub="s-1")
    result = score_publish_task.apply(args=(context.pk, lti_user.pk, assignment.pk),
                                      throw=False)
    assert result.failed()
    assert len(platform.token_requests) == 2  # the launch's line item, then this one only
    post = ScorePost.objects.get()
    assert post.status == ScorePostStatus.FAILED
    assert "401" in post.last_error
    assert callbacks  # grading asked for the score to be sent


def test_an_instructor_resends_every_score(
        client, platform, registration, assignment_module, assignment, run, eager_tasks,
        django_capture_on_commit_callbacks):
    learner = _launched(client, platform, assignment_module, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        _grade(learner, assignment, score=3.0)
    client.cookies.clear()
    _launched(client, platform, assignment_module, django_capture_on_commit_callbacks,
              sub="t-1", roles=(INSTRUCTOR,))
    placement_url = f"/lti/placements/{assignment.lti_placements.get().pk}/"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(placement_url)
    assert response.status_code == 200
    assert len(platform.scores) == 2
    assert platform.scores[1]["scoreGiven"] == 3.0


def test_the_roster_shows_who_has_not_started(
        client, platform, registration, assignment_module, assignment, run, eager_tasks,
        django_capture_on_commit_callbacks):
    learner = _launched(client, platform, assignment_module, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        _grade(learner, assignment, score=3.0)
    platform.members["course-1"] = [
        {"user_id": "s-1", "name": "김학생", "roles": [LEARNER]},
        {"user_id": "s-2", "name": "이학생", "roles": [LEARNER]},
    ]
    client.cookies.clear()
    _launched(client, platform, assignment_module, django_capture_on_commit_callbacks,
              sub="t-1", roles=(INSTRUCTOR,))
    page = client.get(f"/lti/placements/{assignment.lti_placements.get().pk}/")
    html = page.content.decode()
    assert html.count('data-started="yes"') == 1
    assert html.count('data-started="no"') == 1
