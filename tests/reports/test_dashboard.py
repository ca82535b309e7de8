"""The ministry's figures: certified against target, breakdowns of consenting learners,
small counts hidden (also from differencing), and who may see them."""

import pytest
from django.urls import reverse
from django.utils import timezone

from courses.models import Enrolment
from lms.accounts.models import LearnerProfile
from lms.certificates.models import Certificate
from lms.reports.models import YearlyTarget
from lms.reports.selectors import cells_protected, year_report
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


def test_breakdowns_read_only_consenting_learners_answers_and_head_counts_count_all(run):
    for _ in range(6):
        learner_with(run, participant_status="job_seeker", gender="female", region="busan",
                     birth_year=run.year - 25, ai_major=False)
    for _ in range(5):
        learner_with(run, participant_status="employed", consent=False)

    report = year_report(year=run.year)
    status = {b.key: b for b in report.breakdowns}["participant_status"]
    rows = {enrolled.key: enrolled.value for enrolled, _certified in status.rows}

    assert rows["job_seeker"] == 6
    assert rows["employed"] == 0  # their answers are not read: they did not consent
    assert rows["None"] == 5  # counted under "No answer"
    ages = {e.key: e.value for e, _c in {b.key: b for b in report.breakdowns}["age_band"].rows}
    assert ages["20s"] == 6
    assert report.enrolled.value == 11  # head counts count every learner
    assert status.total[0].value == 11


def test_small_counts_are_hidden_and_cannot_be_recovered_from_the_total():
    cells = cells_protected([("a", "A", 10), ("b", "B", 3), ("c", "C", 7), ("d", "D", 0)])
    shown = {c.key: c.value for c in cells}

    assert shown["b"] is None  # 3 < 5
    # Hidden too: otherwise 20 - 10 - 7 - 0 = 3 gives it back. A zero hides a small count
    # at no cost, and every hidden cell shows the same "x".
    assert shown["d"] is None
    assert shown["a"] == 10
    assert shown["c"] == 7
    assert [c.display for c in cells] == ["10", "x", "7", "x"]


def test_a_larger_count_is_hidden_when_no_zero_can_protect():
    # 1 + 1 = 2 would leave each of them 0, 1 or 2: the 10 is hidden too.
    cells = cells_protected([("a", "A", 10), ("b", "B", 1), ("c", "C", 1)])
    assert [c.display for c in cells] == ["x", "x", "x"]
    assert [c.value for c in cells] == [None, None, None]


def test_two_small_counts_with_room_need_nothing_more():
    # 3 + 2 = 5: each is anything from 0 to 5.
    cells = cells_protected([("a", "A", 10), ("b", "B", 3), ("c", "C", 2)])
    assert [c.display for c in cells] == ["10", "x", "x"]


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


def _column(report, key):
    """{category: (enrolled, certified)} of one breakdown."""
    breakdown = {b.key: b for b in report.breakdowns}[key]
    return {e.key: (e.value, c.value) for e, c in breakdown.rows}


def test_age_bands_at_their_boundaries_and_without_a_birth_year(run, settings):
    settings.REPORTS_SUPPRESSION_THRESHOLD = 1  # nothing hidden: the exact counts show
    for age, count in ((19, 1), (20, 2), (29, 3), (30, 4), (49, 5), (50, 6), (-1, 7)):
        for _ in range(count):
            learner_with(run, birth_year=run.year - age)
    learner_with(run, birth_year=None)

    ages = _column(year_report(year=run.year), "age_band")

    assert ages["under_20"] == (1, 0)
    assert ages["20s"] == (5, 0)  # 20 and 29
    assert ages["30s"] == (4, 0)
    assert ages["40s"] == (5, 0)
    assert ages["50_plus"] == (6, 0)
    assert ages["None"] == (8, 0)  # born after the year, or not given


def test_not_given_rows_show_only_when_someone_did_not_answer(run, settings):
    settings.REPORTS_SUPPRESSION_THRESHOLD = 1
    learner_with(run, participant_status="employed", ai_major=True, gender="female",
                 region="seoul", birth_year=run.year - 30)
    learner_with(run, participant_status="", ai_major=None, gender="", region="",
                 birth_year=run.year - 30)

    report = year_report(year=run.year)

    for key in ("participant_status", "ai_major", "gender", "region"):
        assert _column(report, key)["None"] == (1, 0), key
    assert "None" not in _column(report, "age_band")
    assert "None" not in _column(report, "programme")


def test_the_sql_counts_match_counting_enrolment_by_enrolment(run, programme, settings):
    """The breakdowns are one GROUP BY in the database: the same numbers as going through
    the enrolments one by one."""
    import random

    from courses.models import ProgrammeRun

    settings.REPORTS_SUPPRESSION_THRESHOLD = 1
    second = ProgrammeRun.objects.create(
        programme=programme, number=run.number + 1, year=run.year, starts_on=run.starts_on,
        ends_on=run.ends_on, enrolment_opens_at=run.enrolment_opens_at,
        enrolment_closes_at=run.enrolment_closes_at, capacity=30)
    rng = random.Random(7)  # noqa: S311 - test data
    for _ in range(40):
        status = rng.choice(["applied", "enrolled", "completed", "dropped"])
        enrolment = learner_with(
            rng.choice([run, second]), status="enrolled" if status == "dropped" else status,
            consent=rng.random() < 0.8,
            certified=status == "completed" and rng.random() < 0.9,
            participant_status=rng.choice(["college_student", "employed", ""]),
            ai_major=rng.choice([True, False, None]), gender=rng.choice(["male", "female", ""]),
            region=rng.choice(["seoul", "busan", ""]),
            birth_year=rng.choice([None, run.year - 18, run.year - 35, run.year - 60]))
        if status == "dropped":
            Enrolment.objects.filter(pk=enrolment.pk).update(status=status, drop_reason="사유")

    report = year_report(year=run.year)

    counted = [e for e in Enrolment.objects.select_related("learner__profile")
               if e.status in ("enrolled", "completed", "dropped")]
    certified = {c.enrolment_id for c in Certificate.objects.filter(revoked_at__isnull=True)}
    expected_gender = {}
    for e in counted:
        profile = e.learner.profile
        key = str((profile.gender if profile.stats_consent else None) or None)
        enrolled, certs = expected_gender.get(key, (0, 0))
        expected_gender[key] = (enrolled + 1, certs + (e.pk in certified))
    gender = {k: v for k, v in _column(report, "gender").items() if v != (0, 0)}
    assert gender == expected_gender
    assert report.enrolled.value == len(counted)
    assert report.completed.value == sum(e.pk in certified for e in counted)
    assert report.dropped.value == sum(e.status == "dropped" for e in counted)
    runs = _column(report, "run")
    assert runs[str(second.pk)][0] == sum(e.run_id == second.pk for e in counted)
    assert sum(v[1] for v in runs.values()) == len(certified & {e.pk for e in counted})


def test_the_dashboard_makes_a_bounded_number_of_queries(
        client, ministry_officer, run, django_assert_max_num_queries):
    for index in range(30):
        learner_with(run, status="completed", certified=index % 2 == 0,
                     participant_status="employed", region="busan",
                     birth_year=run.year - 20 - index)
    client.force_login(ministry_officer)
    # The first read counts the changes the triggers recorded (a fixed number of statements
    # per chunk of enrolments, tested in test_aggregates.py); then each read is a few rows.
    client.get(reverse("reports:dashboard"), {"year": run.year})

    with django_assert_max_num_queries(20):
        response = client.get(reverse("reports:dashboard"), {"year": run.year})

    assert response.status_code == 200


def test_people_and_enrolments_are_told_apart_and_revoked_certificates_leave_completed(
        run, programme):
    from tests.courses.factories import ProgrammeRunFactory

    second = ProgrammeRunFactory(programme=programme, number=run.number + 1, year=run.year)
    moved = learner_with(run)
    Enrolment.objects.filter(pk=moved.pk).update(status="dropped", drop_reason="회차 변경")
    Enrolment.objects.create(learner=moved.learner, run=second, status="enrolled",
                             enrolled_at=timezone.now())
    for _ in range(6):
        learner_with(second, status="completed", certified=True)
    revoked = learner_with(second, status="completed", certified=True).certificate
    revoked.revoked_at, revoked.revoked_reason = timezone.now(), "취소"
    revoked.save()

    report = year_report(year=run.year)

    assert report.learners == 8  # the learner who moved runs is one person...
    assert report.enrolled.value == 9  # ...and two enrolments
    assert report.completed.value == 6  # the revoked certificate is not a completion
    assert report.certified == 6
    assert report.dropped.value == 1
