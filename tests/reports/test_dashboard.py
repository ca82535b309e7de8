"""The ministry's figures: certified against target, breakdowns of consenting learners,
small counts hidden (also from differencing), and who may see them."""

import pytest
from django.urls import reverse
from django.utils import timezone

from courses.models import Enrolment
from grading.models import Certificate
from lms.accounts.models import LearnerProfile
from lms.reports.models import YearlyTarget
from lms.reports.selectors import suppressed, year_report
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def learner_with(run, *, status="enrolled", consent=True, certified=False, **profile):
    user = UserFactory()
    LearnerProfile.objects.update_or_create(user=user, defaults={
        "stats_consent": consent, "stats_consent_at": timezone.now() if consent else None,
        **profile})
    enrolment = Enrolment.objects.create(learner=user, run=run, status=status,
                                         enrolled_at=timezone.now())
    if certified:
        Certificate.objects.create(enrolment=enrolment, serial=f"AIMD-T-{enrolment.pk}",
                                   holder_name="x", programme_title="p", hours=10)
    return enrolment


def test_targets_are_seeded():
    assert YearlyTarget.objects.get(year=2023).target == 100
    assert YearlyTarget.objects.get(year=2024).target == 400
    assert YearlyTarget.objects.get(year=2030).target == 400


def test_certified_against_the_target(run):
    YearlyTarget.objects.update_or_create(year=run.year, defaults={"target": 40})
    for _ in range(10):
        learner_with(run, status="completed", certified=True)
    learner_with(run, status="completed", certified=True, consent=False)  # counted too
    revoked = learner_with(run, status="completed", certified=True).certificate
    revoked.revoked_at, revoked.revoked_reason = timezone.now(), "취소"
    revoked.save()

    report = year_report(year=run.year)

    assert report.certified == 11  # exact: consent is not needed, revoked is not counted
    assert report.target == 40
    assert report.progress == pytest.approx(11 / 40)
    assert report.progress_percent == 28


def test_breakdowns_count_only_consenting_learners(run):
    for _ in range(6):
        learner_with(run, participant_status="job_seeker", gender="female", region="busan",
                     birth_year=run.year - 25, ai_major=False)
    for _ in range(5):
        learner_with(run, participant_status="employed", consent=False)

    report = year_report(year=run.year)
    status = {b.key: b for b in report.breakdowns}["participant_status"]
    rows = {enrolled.key: enrolled.value for enrolled, _certified in status.rows}

    assert rows["job_seeker"] == 6
    assert rows["employed"] == 0  # they did not consent
    ages = {e.key: e.value for e, _c in {b.key: b for b in report.breakdowns}["age_band"].rows}
    assert ages["20s"] == 6
    assert report.enrolled.value == 6


def test_small_counts_are_hidden_and_cannot_be_recovered_from_the_total():
    cells = suppressed([("a", "A", 10), ("b", "B", 3), ("c", "C", 7), ("d", "D", 0)])
    shown = {c.key: c.value for c in cells}

    assert shown["b"] is None  # 3 < 5
    assert shown["c"] is None  # hidden too: otherwise 20 - 10 - 7 = 3 gives it back
    assert shown["a"] == 10
    assert shown["d"] == 0
    assert [c.display for c in cells][1] == "<5"


def test_two_small_counts_need_no_second_suppression():
    cells = suppressed([("a", "A", 10), ("b", "B", 3), ("c", "C", 2)])
    assert [c.value for c in cells] == [10, None, None]


@pytest.mark.parametrize(("role_user", "status"), [
    ("ministry_officer", 200), ("programme_staff", 200), ("learner", 403),
    ("instructor", 403)])
def test_only_ministry_officers_and_programme_staff_see_the_dashboard(
        client, request, run, role_user, status):
    client.force_login(request.getfixturevalue(role_user))
    assert client.get(reverse("reports:dashboard")).status_code == status


def test_the_dashboard_shows_counts_and_no_people(client, ministry_officer, run):
    named = [learner_with(run, status="completed", certified=True, participant_status="employed")
             for _ in range(6)]
    client.force_login(ministry_officer)

    page = client.get(reverse("reports:dashboard"), {"year": run.year}).content.decode()

    assert 'data-certified="6"' in page
    for enrolment in named:
        assert enrolment.learner.email not in page
        assert enrolment.learner.full_name not in page
    assert "<svg" in page


def test_the_year_filter(client, ministry_officer, run):
    learner_with(run, status="completed", certified=True)
    client.force_login(ministry_officer)
    other = client.get(reverse("reports:dashboard"), {"year": run.year - 1}).content.decode()
    assert 'data-certified="0"' in other
