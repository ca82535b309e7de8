"""The employment follow-up form as a completer opens it from the email, on a phone, in
Korean: the screenshot goes to test-artifacts/screenshots/outcome_form_ko.png."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from courses.models import EnrolmentStatus
from lms.certificates.models import Certificate
from lms.outcomes.definitions import Source, Status
from lms.outcomes.models import Outcome
from lms.outcomes.services import outcome_consent_set, outcome_link_token, outcomes_follow_up
from tests.browser.conftest import ARTIFACTS
from tests.courses.factories import EnrolmentFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def outcome(learner, run):
    today = timezone.localdate()
    run.starts_on, run.ends_on = today - dt.timedelta(days=200), today - dt.timedelta(days=95)
    run.save(update_fields=["starts_on", "ends_on"])
    outcome_consent_set(user=learner, follow_up=True, matching=False, language="ko")
    enrolment = EnrolmentFactory(learner=learner, run=run, status=EnrolmentStatus.COMPLETED,
                                 completed_at=timezone.now() - dt.timedelta(days=93))
    Certificate.objects.create(
        enrolment=enrolment, serial=f"AIMD-{run.year}-000101", holder_name="김하늘",
        programme_title="제조 AI 기초", programme_title_en="AI for Manufacturing", hours=120,
        issued_at=timezone.now() - dt.timedelta(days=93))
    outcomes_follow_up()
    return Outcome.objects.get()


def test_the_korean_form_on_a_phone(browser, live_server, outcome):
    context = browser.new_context(base_url=live_server.url, locale="ko-KR",
                                  timezone_id="Asia/Seoul",
                                  viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    page = context.new_page()
    with translation.override("ko"):
        path = reverse("outcomes:answer", args=[outcome_link_token(outcome=outcome)])
    try:
        page.goto(path)
        assert page.locator("h1").inner_text() == "수료 3개월 후"
        # Details appear once an employed status is chosen.
        assert not page.get_by_label("업종").is_visible()
        page.get_by_text("취업(건강보험 직장가입자)").click()
        assert page.get_by_label("업종").is_visible()
        page.get_by_label("사업체 규모").select_option("50-299")
        page.get_by_label("업종").select_option("C")
        # Nothing is wider than the phone's screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "outcome_form_ko.png"), full_page=True)

        page.get_by_role("button", name="응답 보내기").click()
        page.wait_for_url("**/answer/**")
        assert "감사합니다" in page.locator("h1").inner_text()
    finally:
        context.close()

    outcome.refresh_from_db()
    assert (outcome.status, outcome.source) == (Status.INSURED_EMPLOYEE, Source.FORM)
    assert (outcome.employer_size, outcome.industry) == ("50-299", "C")
