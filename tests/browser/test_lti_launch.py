"""A university's LMS launches a graded assignment in an iframe and gets the grade back.

Real parts only: the test platform (tests/lti/platform.py) on http://127.0.0.1 frames the
tool, served by the live server on http://localhost (another site: the tool is a third party
in the iframe); Chromium follows the whole OIDC flow (login initiation → the platform's auth
endpoint → the auto-posted id_token → the launch) and lands on the assignment's page, signed
in. A grade stored through the grading service then reaches the platform over HTTP, sent by a
real Celery worker through Redis (AGS: token by JWT client assertion, line item, score).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from lti_tool.models import Key

from grading.autograder.engine import GradeResult
from grading.models import Submission
from grading.services.grades import grade_store
from lms.celery import app
from lms.lti.models import ScorePost
from tests.grading.conftest import notebook_with
from tests.grading.test_worker import ROOT, _database_url, stop_worker, wait_for
from tests.lti.conftest import register
from tests.lti.platform import LEARNER, LaunchSpec, TestPlatform

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

RIGHT = "def square(x):\n    return x * x"


def _start_default_worker() -> subprocess.Popen:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings",
           "DATABASE_URL": _database_url(), "CELERY_BROKER_URL": app.conf.broker_url}
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "lms", "worker", "-Q", "default", "--pool",
         "solo", "--loglevel", "INFO", "--hostname",
         f"lti-{os.getpid()}-{time.monotonic_ns()}@%h"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)


@pytest.fixture
def lti_platform(live_server, programme):
    platform = TestPlatform().start()
    assert "localhost" in live_server.url  # another site than the platform's 127.0.0.1
    platform.launch_url = f"{live_server.url}/lti/launch/"
    platform.login_url = f"{live_server.url}/lti/login/"
    platform.tool_jwks_url = f"{live_server.url}/lti/jwks/"
    Key.objects.generate()
    register(platform, programmes=[programme])
    yield platform
    platform.stop()


def test_a_platform_launches_a_graded_assignment_in_an_iframe_and_receives_the_score(
        page, shoot, tmp_path, live_server, lti_platform, assignment_module,
        released_assignment, run):
    assignment = released_assignment
    app.control.purge()
    worker = _start_default_worker()
    try:
        lti_platform.prepare("student-1", LaunchSpec(
            sub="student-1", roles=[LEARNER], name="김학생", email="student1@univ.ac.kr",
            custom={"lms_page": str(assignment_module.pk), "lms_assignment": assignment.key}))

        page.goto(f"{lti_platform.url}/course?hint=student-1")
        tool = page.frame_locator("#tool")
        tool.locator("h1", has_text=assignment_module.title).wait_for()
        # Signed in as the launched person, inside the platform's iframe.
        assert "김학생" in tool.locator(".site-tools").inner_text()
        # The released assignment's submit form is there, for this learner.
        assert tool.locator("input[name=notebook]").count() == 1
        frame = next(f for f in page.frames if f.url.startswith(live_server.url))
        assert frame.url.split("?")[0].endswith(assignment_module.url)
        shoot(page, "launched")

        # The line item was made on the platform by the worker after the launch.
        wait_for(lambda: lti_platform.line_items.get("course-1"), timeout=60,
                 what="the line item on the platform")

        # The learner submits inside the iframe: the form's CSRF cookie works there too.
        notebook = tmp_path / "squares.ipynb"
        notebook.write_bytes(notebook_with(RIGHT))
        tool.locator("input[name=notebook]").set_input_files(str(notebook))
        tool.locator("form.assignment__submit button[type=submit]").click()
        tool.locator("main", has_text="SHA-256").wait_for()
        shoot(page, "submitted")
        submission = Submission.objects.get(assignment=assignment,
                                            learner__email="student1@univ.ac.kr")
        # Its grade is stored through the grading service (the sandbox's own run is covered
        # by the grading tests), and that is what sends the score.
        grade_store(submission_id=submission.pk, result=GradeResult(
            status="graded", score=3.0, max_score=4.0, needs_manual_grade=False),
            feedback={}, source_sha256="", duration_ms=1, started_at=None)

        wait_for(lambda: lti_platform.scores, timeout=60, what="the score on the platform")
    finally:
        log = stop_worker(worker)
    score = lti_platform.scores[0]
    assert score["userId"] == "student-1"
    assert (score["scoreGiven"], score["scoreMaximum"]) == (3.0, 4.0)
    assert score["lineitem"] == lti_platform.line_items["course-1"][0]["id"]
    assert len(lti_platform.line_items["course-1"]) == 1
    assert ScorePost.objects.get().status == "sent"
    assert "score_publish_task" in log


def test_a_platform_launches_the_tool_in_a_new_window(page, shoot, live_server, lti_platform,
                                                     assignment_module, assignment, run):
    lti_platform.prepare("student-2", LaunchSpec(
        sub="student-2", roles=[LEARNER], name="이학생", email="student2@univ.ac.kr",
        custom={"lms_page": str(assignment_module.pk), "lms_assignment": assignment.key}))
    page.goto(f"{lti_platform.url}/course-window?hint=student-2")
    with page.context.expect_page() as opened:
        page.click("#open")
    window = opened.value
    window.locator("h1", has_text=assignment_module.title).wait_for()
    assert window.url.startswith(live_server.url)
    assert "이학생" in window.locator(".site-tools").inner_text()
    shoot(window, "new-window")
