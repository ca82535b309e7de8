"""The per-run statistics aggregates equal the live query after every kind of change, whoever
makes it (the services, the ORM without them, bulk_create, raw SQL, TRUNCATE), and the
dashboard, its downloads and the API publish exactly the figures of the live query (the
reference, ``year_report(live=True)``)."""

from __future__ import annotations

import functools
import logging
import threading

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from courses.models import Enrolment
from courses.services.enrolments import enrolment_approve, enrolment_create, enrolment_drop
from lms.accounts.models import LearnerProfile, User
from lms.accounts.services import profile_update
from lms.certificates.models import Certificate
from lms.certificates.services import certificate_revoke
from lms.reports import aggregates, exports
from lms.reports.aggregates import (
    statistics_catch_up,
    statistics_rebuild,
    statistics_refresh,
)
from lms.reports.api import year_report_document
from lms.reports.models import (
    EnrolmentContribution,
    RunAnswerCount,
    RunTotals,
    StatisticsChange,
    YearTotals,
)
from lms.reports.selectors import (
    runs_of_year,
    year_counts_live,
    year_counts_stored,
    year_report,
    years_overview,
)
from lms.reports.verify import counts_compare, statistics_verify
from tests.courses.factories import ProgrammeRunFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def person(*, consent=True, **answers) -> User:
    user = UserFactory()
    LearnerProfile.objects.update_or_create(user=user, defaults={
        "stats_consent": consent, "stats_consent_at": timezone.now() if consent else None,
        **answers})
    return user


def enrol(user, run, *, status="enrolled", certified=False, revoked=False) -> Enrolment:
    enrolment = Enrolment.objects.create(
        learner=user, run=run, status=status, enrolled_at=timezone.now(),
        drop_reason="사정" if status == "dropped" else "")
    if certified:
        Certificate.objects.create(
            enrolment=enrolment, serial=f"AIMD-T-{enrolment.pk}", holder_name="x",
            programme_title="p", hours=10,
            revoked_at=timezone.now() if revoked else None,
            revoked_reason="취소" if revoked else "")
    return enrolment


STATUSES = ("participant_status", ("college_student", "job_seeker", "employed", "other", ""))
REGIONS = ("seoul", "busan", "gyeonggi", "jeju", "")


@pytest.fixture
def population(run, programme):
    """Two runs of this year, one of last year; every status, consent or not, every answer
    and none, revoked certificates, a learner in two runs of the year, one without a profile."""
    second = ProgrammeRunFactory(programme=programme, number=run.number + 1, year=run.year)
    last_year = ProgrammeRunFactory(programme=programme, number=run.number + 2,
                                    year=run.year - 1)
    people = []
    for index in range(60):
        user = person(consent=index % 7 != 0,
                      participant_status=STATUSES[1][index % 5],
                      ai_major=(None, True, False)[index % 3],
                      gender=("male", "female", "", "other")[index % 4],
                      birth_year=None if index % 11 == 0 else run.year - 17 - index % 45,
                      region=REGIONS[index % 5])
        people.append(user)
        target = (run, second, last_year)[index % 3]
        status = ("enrolled", "completed", "dropped", "applied", "completed")[index % 5]
        enrol(user, target, status=status, certified=status == "completed",
              revoked=index % 10 == 4)
    enrol(people[1], run)  # people[1] is in the second run too
    enrol(UserFactory(), run)  # no profile at all
    return {"runs": [run, second, last_year], "people": people}


def assert_exact(*years: int) -> None:
    """The aggregates equal the live query, figure by figure, for these years."""
    for year in years:
        runs = runs_of_year(year=year)
        stored = year_counts_stored(runs=runs, year=year)
        live = year_counts_live(runs=runs, year=year)
        assert counts_compare(year=year, stored=stored, live=live) == []
    assert years_overview() == years_overview(live=True)


def test_the_aggregates_equal_the_live_query_on_a_known_population(population, run):
    assert_exact(run.year, run.year - 1)
    report = year_report(year=run.year)
    assert report.enrolled.value > 20
    assert report.learners < report.enrolled.value


def test_the_dashboard_figures_are_the_live_querys_for_every_filter(population, run):
    runs = population["runs"]
    filters = [{}, {"programme_key": str(run.programme.translation_key)},
               *({"run_id": r.pk} for r in runs)]
    for year in (run.year, run.year - 1):
        for selection in filters:
            assert year_report(year=year, **selection) == year_report(
                year=year, live=True, **selection)


def test_the_downloads_and_the_api_publish_the_live_querys_figures(
        population, run, monkeypatch):
    selection = {"year": run.year, "run_id": population["runs"][1].pk}
    stored_tables = exports.report_tables(year=run.year)
    stored_run = exports.report_tables(**selection)
    stored_api = year_report_document(year_report(year=run.year), programme_key=None,
                                      run_id=None)
    # The same code, with the live query underneath (what the figures were before).
    monkeypatch.setattr(exports, "year_report", functools.partial(year_report, live=True))
    monkeypatch.setattr(exports, "years_overview", functools.partial(years_overview, live=True))

    assert stored_tables == exports.report_tables(year=run.year)
    assert stored_run == exports.report_tables(**selection)
    assert stored_api == year_report_document(year_report(year=run.year, live=True),
                                              programme_key=None, run_id=None)
    assert "".join(exports.csv_lines(stored_tables)) == "".join(
        exports.csv_lines(exports.report_tables(year=run.year)))


def test_the_csv_download_reads_the_aggregates(client, ministry_officer, population, run):
    client.force_login(ministry_officer)
    statistics_catch_up()
    # A figure changed only in the aggregates shows in the download: it reads them.
    RunTotals.objects.filter(run_id=run.pk).update(applicants=999)

    response = client.get(reverse("reports:export_csv"), {"year": run.year,
                                                           "table": "funnel"})

    assert "999" in b"".join(response.streaming_content).decode()


# --- Each kind of change, through the services (counted at commit) ---------------------------
def no_change_left(*enrolments: Enrolment) -> bool:
    return not StatisticsChange.objects.filter(
        Q(enrolment_id__in=[e.pk for e in enrolments])
        | Q(learner_id__in=[e.learner_id for e in enrolments])).exists()


def test_enrolling_approving_and_dropping_through_the_services_is_counted_at_commit(
        population, run, django_capture_on_commit_callbacks):
    user = person(participant_status="employed", region="busan", birth_year=run.year - 33)
    run.requires_approval = True
    run.save()
    statistics_catch_up()  # the population and this person, made without the services

    with django_capture_on_commit_callbacks(execute=True):
        enrolment = enrolment_create(learner=user, run=run)
    assert no_change_left(enrolment)
    assert_exact(run.year)
    with django_capture_on_commit_callbacks(execute=True):
        enrolment_approve(enrolment=enrolment)
    assert no_change_left(enrolment)
    assert_exact(run.year)
    with django_capture_on_commit_callbacks(execute=True):
        enrolment_drop(enrolment=enrolment, reason="일정")
    assert no_change_left(enrolment)
    assert_exact(run.year)


def test_revoking_a_certificate_through_the_service_is_counted_at_commit(
        population, run, programme_staff, django_capture_on_commit_callbacks):
    certificate = Certificate.objects.filter(enrolment__run=run, revoked_at=None).first()
    statistics_catch_up()
    completed = year_report(year=run.year).completed.value

    with django_capture_on_commit_callbacks(execute=True):
        certificate_revoke(certificate=certificate, reason="부정", actor=programme_staff)

    assert no_change_left(certificate.enrolment)
    assert year_report(year=run.year).completed.value == completed - 1
    assert_exact(run.year)


def test_a_profile_saved_through_the_service_is_counted_at_commit(
        population, run, django_capture_on_commit_callbacks):
    user = population["people"][1]  # in two runs of the year
    statistics_catch_up()
    with django_capture_on_commit_callbacks(execute=True):
        profile_update(user=user, full_name="새 이름", participant_status="other",
                       ai_major=True, gender="female", birth_year=run.year - 52,
                       region="jeju", stats_consent=True)

    assert no_change_left(*user.enrolments.all())
    assert_exact(run.year, run.year - 1)


# --- Each kind of change, without the services (the triggers record it) ----------------------
def test_a_certificate_issued_and_revoked_with_the_orm_is_counted(population, run):
    enrolment = Enrolment.objects.filter(run=run, status="enrolled").first()
    certificate = Certificate.objects.create(enrolment=enrolment, serial="AIMD-T-NEW",
                                             holder_name="x", programme_title="p", hours=1)
    assert_exact(run.year)
    certificate.revoked_at, certificate.revoked_reason = timezone.now(), "취소"
    certificate.save()
    assert_exact(run.year)
    certificate.revoked_at, certificate.revoked_reason = None, ""
    certificate.save()
    assert_exact(run.year)
    certificate.delete()
    assert_exact(run.year)


def test_consent_withdrawn_and_answers_changed_with_raw_sql_are_counted(population, run):
    statistics_catch_up()
    table = LearnerProfile._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET stats_consent = FALSE, stats_consent_at = NULL "  # noqa: S608 - the model's table
                       f"WHERE id IN (SELECT id FROM {table} ORDER BY id LIMIT 10)")
        cursor.execute(f"UPDATE {table} SET region = 'ulsan', birth_year = 1999")  # noqa: S608 - the model's table
    assert_exact(run.year, run.year - 1)


def test_statuses_changed_in_bulk_with_the_orm_are_counted(population, run):
    statistics_catch_up()
    Enrolment.objects.filter(run=run, status="applied").update(status="enrolled")
    Enrolment.objects.filter(run=run, status="enrolled").update(status="dropped",
                                                                drop_reason="일괄")
    assert_exact(run.year)


def test_enrolments_and_certificates_made_with_bulk_create_and_raw_sql_are_counted(
        population, run):
    users = [person(participant_status="job_seeker", region="seoul",
                    birth_year=run.year - 24) for _ in range(8)]
    made = Enrolment.objects.bulk_create([Enrolment(learner=u, run=run, status="completed")
                                          for u in users])
    Certificate.objects.bulk_create([Certificate(
        enrolment=e, serial=f"AIMD-B-{e.pk}", holder_name="x", programme_title="p", hours=1)
        for e in made])
    other = person(consent=False)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {Enrolment._meta.db_table} "  # noqa: S608 - the model's table
                       "(learner_id, run_id, status, applied_at, drop_reason) "
                       "VALUES (%s, %s, 'enrolled', now(), '')", [other.pk, run.pk])
    assert_exact(run.year)


def test_deleting_an_enrolment_a_profile_and_a_learner_is_counted(population, run):
    statistics_catch_up()
    people = population["people"]
    Enrolment.objects.filter(learner=people[0]).delete()  # enrolled, no certificate
    LearnerProfile.objects.filter(user=people[4]).delete()
    # A learner with their profile and enrolments (certificates protect the others).
    people[3].delete()
    assert_exact(run.year, run.year - 1)


def test_a_run_moved_to_another_year_is_counted_in_both(population, run):
    statistics_catch_up()
    moved = population["runs"][1]
    moved.year = run.year + 1
    moved.save()
    assert_exact(run.year, run.year + 1)


def test_an_enrolment_moved_to_another_run_is_counted_in_both(population, run):
    statistics_catch_up()
    enrolment = Enrolment.objects.filter(run=population["runs"][2]).first()
    Enrolment.objects.filter(pk=enrolment.pk).update(run=run)
    assert_exact(run.year, run.year - 1)


def test_a_truncated_table_is_counted_again_from_scratch(population, run):
    statistics_catch_up()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE wants no pending checks
        cursor.execute(f"TRUNCATE {Certificate._meta.db_table} CASCADE")

    assert StatisticsChange.objects.filter(enrolment_id=None).exists()
    assert_exact(run.year, run.year - 1)
    assert year_report(year=run.year).certified == 0


def test_a_change_the_triggers_record_is_counted_by_the_next_read_only(population, run):
    statistics_catch_up()
    enrolment = Enrolment.objects.filter(run=run, status="enrolled").first()
    before = RunTotals.objects.get(run_id=run.pk).dropped
    Enrolment.objects.filter(pk=enrolment.pk).update(status="dropped", drop_reason="x")

    assert StatisticsChange.objects.filter(enrolment_id=enrolment.pk).exists()
    assert RunTotals.objects.get(run_id=run.pk).dropped == before  # not counted yet
    assert year_report(year=run.year).dropped.value == year_report(
        year=run.year, live=True).dropped.value
    assert RunTotals.objects.get(run_id=run.pk).dropped == before + 1
    assert not StatisticsChange.objects.exists()


def test_counting_again_changes_nothing(population, run):
    statistics_catch_up()
    before = (sorted(RunTotals.objects.values_list()), sorted(RunAnswerCount.objects.filter(
        enrolled__gt=0).values_list("run_id", "dimension", "category", "enrolled",
                                    "certified")), sorted(YearTotals.objects.values_list()))

    statistics_rebuild()
    statistics_refresh(enrolment_ids=Enrolment.objects.values_list("pk", flat=True))

    assert before == (sorted(RunTotals.objects.values_list()), sorted(
        RunAnswerCount.objects.filter(enrolled__gt=0).values_list(
            "run_id", "dimension", "category", "enrolled", "certified")),
        sorted(YearTotals.objects.values_list()))
    assert EnrolmentContribution.objects.count() == Enrolment.objects.count()


# --- The check, the commands ------------------------------------------------------------------
def test_drift_is_found_logged_and_repaired(population, run, caplog):
    statistics_catch_up()
    RunTotals.objects.filter(run_id=run.pk).update(enrolled=0)  # a corrupted aggregate

    with caplog.at_level(logging.ERROR, logger="lms.reports.verify"):
        found = statistics_verify()
    assert [d.figure for d in found] == [f"run {run.pk}"]
    assert "statistics drift" in caplog.text

    assert statistics_verify(repair=True) == []
    assert statistics_verify() == []


def test_a_missing_trigger_is_found_and_reinstalled(population, run):
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER reports_stats_certificate_update "
                       f"ON {Certificate._meta.db_table}")

    assert [d.figure for d in statistics_verify()] == ["trigger missing"]
    assert statistics_verify(repair=True) == []


def test_the_commands_rebuild_and_verify(population, run, capsys):
    call_command("reports_rebuild")
    call_command("reports_verify")
    assert "equal the live query" in capsys.readouterr().out

    RunTotals.objects.filter(run_id=run.pk).update(completed=77)
    with pytest.raises(Exception, match="differ from the live query"):
        call_command("reports_verify")
    call_command("reports_verify", "--repair")


# --- Two transactions counting the same enrolments at once -----------------------------------
# serialized_rollback: the flush after the test would remove the pages the migrations made.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_transactions_counting_the_same_changes_count_them_once(programme):
    run = ProgrammeRunFactory(programme=programme, number=1)
    users = [person(participant_status="employed", region="seoul") for _ in range(150)]
    Enrolment.objects.bulk_create([Enrolment(learner=u, run=run, status="applied")
                                   for u in users])
    statistics_catch_up()
    Enrolment.objects.filter(run=run).update(status="enrolled")  # 150 changes recorded
    ids = list(Enrolment.objects.filter(run=run).values_list("pk", flat=True))
    start = threading.Barrier(2)
    errors = []

    # One by the enrolments (it takes their recorded changes), one by the learners (a profile
    # saved at the same time): nothing but the contribution rows' locks orders the two.
    def count(selection: dict) -> None:
        try:
            start.wait()
            statistics_refresh(**selection)
        except Exception as error:  # noqa: BLE001 - reported by the test
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=count, args=(selection,)) for selection in (
        {"enrolment_ids": ids}, {"learner_ids": [u.pk for u in users]})]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    totals = RunTotals.objects.get(run_id=run.pk)
    assert (totals.applicants, totals.enrolled) == (150, 150)
    assert YearTotals.objects.get(year=run.year).learners == 150
    assert_exact(run.year)


# serialized_rollback: the flush after the test would remove the pages the migrations made.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_change_committed_while_counting_is_not_lost(programme, monkeypatch):
    run = ProgrammeRunFactory(programme=programme, number=1)
    users = [person() for _ in range(40)]
    Enrolment.objects.bulk_create([Enrolment(learner=u, run=run, status="enrolled")
                                   for u in users])
    statistics_catch_up()
    Enrolment.objects.filter(run=run).update(status="dropped", drop_reason="a")
    ids = list(Enrolment.objects.filter(run=run).values_list("pk", flat=True))
    read, written = threading.Event(), threading.Event()
    original = aggregates._contributions

    def contributions_then_a_write(enrolment_ids):
        found = original(enrolment_ids)
        read.set()  # the enrolments are read; another transaction changes ten of them now
        written.wait(timeout=10)
        return found

    def write() -> None:
        try:
            read.wait(timeout=10)
            with transaction.atomic():
                Enrolment.objects.filter(pk__in=ids[:10]).update(status="enrolled",
                                                                 drop_reason="")
        finally:
            written.set()
            connections.close_all()

    monkeypatch.setattr(aggregates, "_contributions", contributions_then_a_write)
    writer = threading.Thread(target=write)
    writer.start()
    statistics_refresh(enrolment_ids=ids)
    writer.join()
    monkeypatch.setattr(aggregates, "_contributions", original)

    # The change committed after the read is still recorded, and the next read counts it.
    assert StatisticsChange.objects.filter(enrolment_id__in=ids[:10]).count() >= 10
    assert year_report(year=run.year).dropped.value == 30
    assert_exact(run.year)
