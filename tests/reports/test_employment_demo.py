"""The demo's history has follow-up answers: the dashboard shows employment rates for the
completions of 2023-2025 (synthetic, deterministic, made once)."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from lms.outcomes.models import Outcome, OutcomeConsent
from lms.reports.employment import employment_table
from lms.reports.synthetic import synthetic_delete, synthetic_users

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    call_command("seed_demo", "--without-release", stdout=io.StringIO())


def test_the_past_years_have_an_employment_rate(demo):
    for year in (2023, 2024, 2025):
        table = employment_table(year=year)

        whole = table.rows[0]
        assert whole.level == "year"
        assert 0.4 < whole.employment_rate < 0.8, year
        assert 0.6 < whole.response_rate < 0.95, year
        assert 0.05 < whole.large_share < 0.4, year
        assert 0.35 < whole.ai_share < 0.8, year
        bands = [cell.value for cell in whole.pay_cells]
        assert sum(v for v in bands if v) <= whole.cells["employed"].value
        assert len([v for v in bands if v]) >= 4  # most pay bands shown
        assert not table.pending  # every completion of those years is due by now


def test_the_answers_are_a_realistic_mix(demo):
    outcomes = Outcome.objects.filter(certificate__enrolment__learner__in=synthetic_users())

    statuses = set(outcomes.values_list("status", flat=True))
    assert {"insured_employee", "freelancer", "not_employed", "further_study",
            "military_service", "no_answer"} <= statuses
    assert set(outcomes.values_list("months", flat=True)) == {3, 6}
    assert set(outcomes.exclude(status="no_answer").values_list("source", flat=True)) == {"form"}
    consents = OutcomeConsent.objects.filter(user__in=synthetic_users())
    assert consents.filter(follow_up=True).count() > consents.filter(follow_up=False).count() > 0
    assert consents.filter(matching=True, birth_date__isnull=False).exists()


def test_seeding_again_adds_no_answers_and_gives_the_same_rates(demo):
    before = (Outcome.objects.count(), OutcomeConsent.objects.count(),
              [r.cells["employed"].value for r in employment_table(year=2024).rows])

    call_command("seed_demo", "--without-release", stdout=io.StringIO())

    after = (Outcome.objects.count(), OutcomeConsent.objects.count(),
             [r.cells["employed"].value for r in employment_table(year=2024).rows])
    assert after == before


def test_the_dashboard_shows_the_rate_of_a_past_year(client, demo, ministry_officer):
    client.force_login(ministry_officer)

    page = client.get(reverse("reports:dashboard"), {"year": 2024}).content.decode()

    assert 'data-table="employment"' in page
    assert 'data-level="year"' in page
    assert "data-employment-empty" not in page


def test_removing_the_synthetic_learners_removes_their_answers(demo):
    synthetic_delete()

    assert not Outcome.objects.exists()
    assert not OutcomeConsent.objects.exists()
