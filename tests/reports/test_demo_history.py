"""The demo's history: the closed runs of 2023-2025 hold made-up learners, certificates and
profiles, so the ministry dashboard has real-looking figures to show, and says they are demo
data."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from lms.accounts.models import Role
from lms.reports.selectors import year_report, years_overview
from lms.reports.synthetic import synthetic_delete, synthetic_users
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    call_command("seed_demo", "--without-release", stdout=io.StringIO())


def test_the_demo_seeds_years_of_certified_learners_against_the_targets(demo):
    bars = {bar.year: bar for bar in years_overview()}

    # Near the targets of 100 (2023) and 400 (2024, 2025), neither empty nor exact
    assert 80 <= bars[2023].certified <= 130
    assert bars[2023].target == 100
    for year in (2024, 2025):
        assert 330 <= bars[year].certified <= 470
        assert bars[year].certified != bars[year].target
    assert bars[2026].certified == 0  # the open run: nobody has finished it


def test_a_seeded_year_has_a_funnel_and_breakdowns(demo):
    report = year_report(year=2024)

    # Completion below enrolment below applications, and drop-outs
    (funnel,) = report.funnels
    applicants, enrolled, completed = (funnel.cells[k].value
                                       for k in ("applicants", "enrolled", "completed"))
    assert applicants > enrolled > completed == report.certified > 0
    assert report.dropped.value > 0
    assert 0.5 < report.completion_rate < 0.8
    # Every breakdown by the learners' answers has several categories with counts shown
    by_answers = [b for b in report.breakdowns if b.key not in ("programme", "run")]
    assert len(by_answers) >= 5
    for breakdown in by_answers:
        shown = [enrolled for enrolled, _certified in breakdown.rows
                 if enrolled.hidden == "shown" and enrolled.value]
        assert len(shown) >= 2, breakdown.key


def test_seeding_twice_adds_no_more_history(demo):
    before = synthetic_users().count()

    call_command("seed_demo", "--without-release", stdout=io.StringIO())

    assert before == 1400
    assert synthetic_users().count() == before


@pytest.mark.parametrize(("language", "notice"), [
    ("ko", "데모 데이터"), ("en", "Demo data")])
def test_the_dashboard_says_the_figures_include_demo_data(client, demo, language, notice):
    client.force_login(UserFactory(roles=[Role.MINISTRY_OFFICER]))

    with translation.override(language):
        body = client.get(reverse("reports:dashboard")).content.decode()

    assert 'data-demo-notice="1400"' in body
    assert notice in body
    assert "1,400" in body


def test_no_notice_without_synthetic_learners(client, demo):
    synthetic_delete()
    client.force_login(UserFactory(roles=[Role.MINISTRY_OFFICER]))

    body = client.get(reverse("reports:dashboard")).content.decode()

    assert "data-demo-notice" not in body
