"""Issue 16 in a real browser: the site's own Korean web font on headings, a closed run that
reads as closed, a locked module's way out, the status page, the sign-in box. A screenshot of
each page is saved."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from courses.models import ModuleProgress
from grading.models import Submission
from lms.certificates.models import Certificate
from tests.browser.steps import log_in
from tests.courses.factories import ProgrammeRunFactory, course_create, module_create
from tests.courses.learner_side import closed_run, enrol, profile_complete
from tests.grading.conftest import notebook_with

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

FACES = """async () => {
  await document.fonts.ready;
  const faces = [...document.fonts].filter(f => f.family.replace(/["']/g, "") === "Pretendard");
  const h1 = document.querySelector("h1");
  return {
    faces: faces.map(f => [String(f.weight), f.status]),
    h1Family: getComputedStyle(h1).fontFamily,
    h1Weight: getComputedStyle(h1).fontWeight,
    boldHangul: document.fonts.check("700 16px Pretendard", "한글"),
    regularHangul: document.fonts.check("400 16px Pretendard", "한글"),
  };
}"""


def _log_in(page, live_server, user) -> None:
    log_in(page.context, live_server, user)


def test_headings_use_the_sites_own_korean_font(page, shoot, live_server, programme, course,
                                                run):
    fonts, blocked = [], []
    page.on("response", lambda r: "/fonts/" in r.url and fonts.append((r.url, r.status)))
    page.on("console", lambda m: "Content Security Policy" in m.text and blocked.append(m.text))

    page.goto(programme.url)
    found = page.evaluate(FACES)
    shoot(page, "programme-font")

    assert found["h1Family"].startswith("Pretendard")
    assert found["h1Weight"] == "700"
    assert ["700", "loaded"] in found["faces"]
    assert ["400", "loaded"] in found["faces"]
    assert found["boldHangul"]
    assert found["regularHangul"]
    assert fonts
    assert all(status == 200 and url.startswith(live_server.url) for url, status in fonts)
    assert blocked == []


def test_a_closed_run_reads_as_closed_and_offers_no_button(page, shoot, live_server,
                                                           programme, course, run, learner):
    profile_complete(learner)
    closed_run(programme, 7)
    _log_in(page, live_server, learner)

    page.goto(programme.url + "#runs")
    closed_row = page.locator("tr", has_text="7회차")
    open_row = page.locator("tr", has_text=f"{run.number}회차").first
    shoot(page, "programme-runs")

    assert closed_row.locator("button").count() == 0
    assert closed_row.locator(".run-closed").is_visible()
    assert "신청이 마감되었습니다" in closed_row.locator(".run-closed").inner_text()
    assert open_row.get_by_role("button", name="수강 신청").is_visible()


def test_a_locked_module_sends_to_the_module_that_unlocks_it(page, shoot, live_server,
                                                             programme, run, learner):
    gated = course_create(parent=programme, title="순서대로", slug="in-order", gated=True)
    steps = [module_create(parent=gated, title=f"단계 {i}", slug=f"step-{i}") for i in (1, 2, 3)]
    enrol(learner, run)
    _log_in(page, live_server, learner)

    page.goto(steps[2].url)
    shoot(page, "locked-module")
    page.get_by_role("link", name="“단계 1” 바로 가기").click()

    assert page.url.endswith(steps[0].url)
    assert page.locator(".panel--locked").count() == 0


def test_my_learning_suggests_the_next_module_of_the_course_worked_in(
        page, shoot, live_server, programme, course, run, learner):
    first = [module_create(parent=course, title=f"기초 {i}", slug=f"basics-{i}")
             for i in (1, 2, 3)]
    other = course_create(parent=programme, title="머신러닝", slug="ml")
    module_create(parent=other, title="머신러닝 1", slug="ml-1")
    enrol(learner, run)
    now = timezone.now()
    for module, minutes in ((first[0], 30), (first[2], 1)):
        at = now - dt.timedelta(minutes=minutes)
        ModuleProgress.objects.create(learner=learner, module_key=module.translation_key,
                                      first_viewed_at=at, last_viewed_at=at, completed_at=at)
    _log_in(page, live_server, learner)

    page.goto("/ko/learning/")
    shoot(page, "my-learning")

    assert page.locator(".dashboard__continue").inner_text().endswith("기초 2")


def test_the_catalogue_filters_judge_one_run(page, shoot, live_server, catalogue, programme,
                                             course):
    ProgrammeRunFactory(programme=programme, number=1, year=2023,
                        enrolment_opens_at=timezone.now() - dt.timedelta(days=900),
                        enrolment_closes_at=timezone.now() - dt.timedelta(days=800))
    ProgrammeRunFactory(programme=programme, number=2, year=2026)

    page.goto("/ko/?status=open&year=2023")
    shoot(page, "catalogue-filter")

    assert page.locator(".card").count() == 0
    assert page.get_by_text("조건에 맞는 과정이 없습니다.").is_visible()


def test_the_status_page_and_the_sign_in_box_read_well(page, shoot, live_server, catalogue):
    page.goto("/ko/")
    page.get_by_role("link", name="서비스 상태").click()
    shoot(page, "status")

    assert page.url.endswith("/ko/status/")
    assert page.get_by_role("heading", name="서비스 상태").is_visible()
    assert page.get_by_text("모든 서비스가 정상적으로 동작하고 있습니다.").is_visible()

    page.goto("/ko/accounts/login/")
    shoot(page, "login")
    assert page.get_by_label("로그인 상태 유지").is_visible()
    assert page.get_by_text("아이디 저장").count() == 0


def test_the_verification_page_gives_hours_with_their_unit(page, shoot, live_server,
                                                           enrolled_learner, run):
    certificate = Certificate.objects.create(
        enrolment=enrolled_learner.enrolments.get(run=run), serial=f"AIMD-{run.year}-000042",
        holder_name="김하늘", programme_title="제조 AI 기초 과정",
        programme_title_en="AI for Manufacturing", hours=120, issued_at=timezone.now())

    page.goto(f"/verify/{certificate.code}/")
    shoot(page, "verify")

    hours = page.locator("dt", has_text="교육 시간").locator("xpath=following-sibling::dd")
    assert hours.inner_text() == "120시간"


def test_the_submission_receipt_dates_like_the_rest_of_the_site(page, shoot, live_server,
                                                                released_assignment,
                                                                enrolled_learner, tmp_path):
    _log_in(page, live_server, enrolled_learner)
    notebook = tmp_path / "squares.ipynb"
    notebook.write_bytes(notebook_with("def square(x):\n    return x * x"))

    page.goto(released_assignment.module.url)
    page.set_input_files("input[name=notebook]", str(notebook))
    page.locator("form.assignment__submit button[type=submit]").click()
    page.wait_for_load_state()
    receipt = page.locator(".message--success").inner_text()
    history = page.locator(".assignment__history").inner_text()
    shoot(page, "receipt")

    submitted = timezone.localtime(Submission.objects.get().submitted_at,
                                   timezone=ZoneInfo("Asia/Seoul"))
    assert f"{submitted.year}년 {submitted.month}월 {submitted.day}일" in receipt
    assert not re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", receipt)
    # The history below the receipt writes the attempt's time the same way.
    assert f"{submitted.year}년 {submitted.month}월 {submitted.day}일" in history
    assert not re.search(r"\d{4}-\d{2}-\d{2}", history)
