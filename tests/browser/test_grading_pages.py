"""In Chromium, Korean UI: an instructor grades a written answer with a comment and then
overrides the score, and the learner's feedback page shows each at once; the gradebook's
learner page runs without script errors and its date picker opens; the release page shows
the check's report when it lands, without a reload. Screenshots go to test-artifacts (and
to LMS_SHOTS_DIR, when set, for the change's notes)."""

import os
from decimal import Decimal
from pathlib import Path

import pytest
from wagtail.users.models import UserProfile

from grading.models import Assignment, ReleaseState
from grading.services.assignments import data_file_add
from grading.services.grades import submission_autograde
from grading.services.submissions import submission_create
from tests.browser.steps import log_in
from tests.grading.conftest import notebook_with

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PLOTTING = ("def square(x):\n    return x * x\n\nimport matplotlib.pyplot as plt\n"
            "plt.plot([1, 4, 9, 16])\nplt.title('squares')")
WRITTEN = "제곱은 같은 수를 두 번 곱한 값입니다."


@pytest.fixture
def shots(shoot):
    """shoot(), and a copy under LMS_SHOTS_DIR/<prefix><name>.png when that is set."""
    folder = os.environ.get("LMS_SHOTS_DIR")
    prefix = os.environ.get("LMS_SHOTS_PREFIX", "")

    def _shot(page, name: str) -> None:
        shoot(page, name)
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(folder) / f"{prefix}{name}.png"), full_page=True)

    return _shot


def _log_in(context, live_server, user) -> None:
    UserProfile.get_for_user(user).__class__.objects.filter(user=user).update(
        preferred_language="ko")
    log_in(context, live_server, user)


def _graded(assignment, learner):
    import nbformat

    notebook = nbformat.reads(notebook_with(PLOTTING).decode(), as_version=4)
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "why":
            cell.source = WRITTEN
    submission = submission_create(assignment=assignment, learner=learner,
                                   data=nbformat.writes(notebook).encode()).submission
    submission_autograde(submission_id=submission.pk)
    submission.refresh_from_db()
    return submission


def _errors(page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return errors


def test_a_manual_grade_and_an_override_reach_the_learners_feedback(
        browser, page, shots, live_server, released_assignment, enrolled_learner, instructor):
    submission = _graded(released_assignment, enrolled_learner)
    learner = browser.new_context(base_url=live_server.url, locale="ko-KR",
                                  timezone_id="Asia/Seoul",
                                  viewport={"width": 1280, "height": 900})
    learner_page = learner.new_page()
    _log_in(learner, live_server, enrolled_learner)
    _log_in(page.context, live_server, instructor)
    feedback_url = f"/ko/grading/submissions/{submission.pk}/feedback/"

    learner_page.goto(feedback_url)
    assert learner_page.locator("[data-feedback-score]").inner_text() == "3 / 4"
    assert "– / 1" in learner_page.locator("[data-manual-cell=why]").inner_text()
    frame = learner_page.frame_locator("iframe.feedback__frame")
    frame.locator("img[src^='data:image/png;base64,']").first.wait_for()
    shots(learner_page, "feedback-before")

    page.goto(f"/admin/gradebook/submissions/{submission.pk}/")
    answer = page.locator("[data-manual-answer=why] pre")
    assert answer.inner_text() == WRITTEN  # the written answer, where it is graded
    page.locator("#manual-grading").scroll_into_view_if_needed()
    shots(page, "submission-grading")
    page.fill("#manual-why", "1")
    page.fill("#manual-comment", "설명이 정확합니다. 잘했어요!")
    page.locator("form:has(input[value=manual]) button[type=submit]").click()
    page.wait_for_load_state()
    assert "4 / 4" in page.locator("[data-grade-score]").inner_text()

    learner_page.goto(feedback_url)
    assert learner_page.locator("[data-feedback-score]").inner_text() == "4 / 4"
    assert "1 / 1" in learner_page.locator("[data-manual-cell=why]").inner_text()
    assert "설명이 정확합니다. 잘했어요!" in learner_page.locator("[data-grade-note]").inner_text()
    frame = learner_page.frame_locator("iframe.feedback__frame")
    assert "4 / 4" in frame.locator("h4").first.inner_text()
    shots(learner_page, "feedback-after-manual")

    page.fill("input[name=score]", "2.5")
    page.fill("textarea[name=reason]", "제출 규칙 위반으로 감점")
    page.locator("form:has(input[value=override]) button[type=submit]").click()
    page.wait_for_load_state()
    assert "2.5 / 4" in page.locator("[data-grade-score]").inner_text()

    learner_page.goto(feedback_url)
    assert learner_page.locator("[data-feedback-score]").inner_text() == "2.5 / 4"
    assert "제출 규칙 위반으로 감점" in learner_page.locator(".feedback__notes").inner_text()
    assert "2.5 / 4" in learner_page.frame_locator("iframe.feedback__frame") \
        .locator("h4").first.inner_text()
    learner_page.get_by_role("link", name="과제로 돌아가기").click()
    learner_page.wait_for_url(f"**{released_assignment.module.url}**")
    learner.close()
    assert submission.grade.__class__.objects.get(pk=submission.grade.pk).score \
        == Decimal("2.5")


def test_the_gradebooks_learner_page_has_no_script_errors_and_its_date_picker_opens(
        page, shots, live_server, released_assignment, enrolled_learner, instructor, course,
        run):
    _graded(released_assignment, enrolled_learner)
    errors = _errors(page)
    _log_in(page.context, live_server, instructor)

    page.goto(f"/admin/gradebook/{course.pk}/{run.pk}/")
    assert page.locator("[data-to-grade]").inner_text() == "채점 필요: 1번째 시도"
    shots(page, "gradebook")
    page.locator("[data-to-grade]").first.click()
    page.wait_for_url("**/admin/gradebook/submissions/**")

    page.goto(f"/admin/gradebook/{course.pk}/{run.pk}/learners/{enrolled_learner.pk}/")
    page.wait_for_load_state("load")
    page.click("#id_due_at")
    picker = page.locator(".xdsoft_datetimepicker").first
    picker.wait_for(state="visible")
    shots(page, "gradebook-learner")
    assert errors == []


def test_the_release_page_shows_the_report_when_the_check_lands(
        page, shots, live_server, released_assignment, instructor):
    data_file_add(assignment=released_assignment, name="sensor.csv", data=b"t,v\n1,2\n",
                  hidden=False)
    errors = _errors(page)
    _log_in(page.context, live_server, instructor)
    page.goto(f"/admin/snippets/grading/assignment/edit/{released_assignment.pk}/")
    assert page.locator("[data-attached=source]").count() == 1
    assert page.locator("[data-attached='sensor.csv']").count() == 1
    shots(page, "assignment-edit")

    Assignment.objects.filter(pk=released_assignment.pk).update(
        release_state=ReleaseState.CHECKING)
    page.goto(f"/admin/gradebook/assignments/{released_assignment.pk}/release/")
    page.locator("[data-release-progress] progress").wait_for()
    page.evaluate("window.__notReloaded = true")
    page.locator("[data-release-elapsed]").filter(has_text="초").wait_for()
    shots(page, "release-checking")

    Assignment.objects.filter(pk=released_assignment.pk).update(
        release_state=ReleaseState.RELEASED)
    page.locator("[data-release-progress]").wait_for(state="detached", timeout=15_000)
    assert page.evaluate("window.__notReloaded === true")
    assert page.locator("[data-release-state]").inner_text() == "배포됨"
    row = page.locator("[data-release-row=source]").inner_text()
    assert "채점 완료" in row
    assert "3 / 3" in row
    shots(page, "release-report")
    assert errors == []
