"""The statistics aggregates on SQLite (the demo's database), run by test_statistics_sqlite.py
in a child process (the suite itself runs on PostgreSQL):

    DATABASE_URL=sqlite:////tmp/x.sqlite3 python -m tests.reports.sqlite_scenario

Migrates a new SQLite file (which installs the triggers), seeds the demo with its 1,400
synthetic learners of history, then makes each kind of change without the services (ORM,
bulk_create, raw SQL, deletions, a run moved to another year) and checks after each that the
aggregates equal the live query. Last, a table rebuilt by a later migration (SQLite drops its
triggers) gets its triggers back from ``migrate``. Prints one line per step; exits non-zero
at the first difference.
"""

from __future__ import annotations

import io
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")
    import django  # noqa: PLC0415 - a script: Django is set up here

    django.setup()
    from django.core.management import call_command  # noqa: PLC0415
    from django.db import connection  # noqa: PLC0415
    from django.utils import timezone  # noqa: PLC0415

    from courses.models import Enrolment, ProgrammeRun  # noqa: PLC0415
    from lms.accounts.models import LearnerProfile, User  # noqa: PLC0415
    from lms.certificates.models import Certificate  # noqa: PLC0415
    from lms.reports.models import StatisticsChange  # noqa: PLC0415
    from lms.reports.selectors import year_report  # noqa: PLC0415
    from lms.reports.triggers import triggers_missing  # noqa: PLC0415
    from lms.reports.verify import statistics_verify  # noqa: PLC0415

    assert connection.vendor == "sqlite", connection.vendor

    def check(step: str) -> None:
        found = statistics_verify()
        if found:
            sys.exit(f"FAIL {step}: " + "; ".join(map(str, found)))
        print(f"ok {step}")  # noqa: T201 - the parent test reads these lines

    call_command("migrate", verbosity=0)
    if triggers_missing(connection):
        sys.exit(f"FAIL triggers after migrate: missing {triggers_missing(connection)}")
    print("ok triggers installed by migrate")  # noqa: T201
    call_command("seed_demo", without_release=True, stdout=io.StringIO())
    pending = StatisticsChange.objects.count()
    if pending:
        sys.exit(f"FAIL seed_demo left {pending} changes uncounted")
    check("seed_demo's history (counted by the generator)")
    year = max(ProgrammeRun.objects.filter(enrolments__isnull=False)
               .values_list("year", flat=True))

    Enrolment.objects.filter(status="applied").update(status="enrolled")
    check("statuses changed in bulk with the ORM")
    certificate = Certificate.objects.filter(revoked_at=None).first()
    certificate.revoked_at, certificate.revoked_reason = timezone.now(), "취소"
    certificate.save()
    check("a certificate revoked with save()")
    Certificate.objects.filter(pk=certificate.pk).update(revoked_at=None, revoked_reason="")
    check("a certificate un-revoked with update()")
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {LearnerProfile._meta.db_table} SET region = 'jeju', "  # noqa: S608 - the model's table
                       "birth_year = 1990 WHERE id % 3 = 0")
    check("answers changed with raw SQL")
    LearnerProfile.objects.filter(pk__in=LearnerProfile.objects.filter(stats_consent=True)
                                  .values("pk")[:50]).update(stats_consent=False,
                                                             stats_consent_at=None)
    check("consent withdrawn with the ORM")
    LearnerProfile.objects.filter(pk__in=LearnerProfile.objects.values("pk")[:5]).delete()
    check("profiles deleted")
    Enrolment.objects.filter(certificate__isnull=True, status="dropped").first().delete()
    check("an enrolment deleted")
    learner = User.objects.filter(enrolments__isnull=False,
                                  enrolments__certificate__isnull=True).first()
    Certificate.objects.filter(enrolment__learner=learner).delete()
    learner.delete()
    check("a learner deleted with their enrolments and profile")
    run = ProgrammeRun.objects.filter(year=year).first()
    users = User.objects.bulk_create([User(email=f"bulk{i}@example.com") for i in range(30)])
    LearnerProfile.objects.bulk_create([LearnerProfile(
        user=u, stats_consent=True, stats_consent_at=timezone.now(), gender="female",
        region="seoul", birth_year=year - 30, participant_status="employed") for u in users])
    made = Enrolment.objects.bulk_create([Enrolment(learner=u, run=run, status="completed")
                                          for u in users])
    Certificate.objects.bulk_create([Certificate(
        enrolment=e, serial=f"AIMD-S-{e.pk}", code=f"code-{e.pk}", holder_name="x",
        programme_title="p", hours=1) for e in made])
    check("enrolments, profiles and certificates made with bulk_create")
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {Enrolment._meta.db_table} "  # noqa: S608 - the model's table
                       "(learner_id, run_id, status, applied_at, drop_reason) "
                       "VALUES (%s, %s, 'dropped', %s, '사정')",
                       [User.objects.create(email="raw@example.com").pk, run.pk,
                        timezone.now()])
    check("an enrolment inserted with raw SQL")
    ProgrammeRun.objects.filter(pk=run.pk).update(year=year + 1)
    check("a run moved to the next year")
    report, live = year_report(year=year + 1), year_report(year=year + 1, live=True)
    if report != live:
        sys.exit("FAIL the year's report differs from the live query's")
    print("ok the moved run's year report equals the live query's")  # noqa: T201

    # A later migration that rebuilds a watched table (SQLite's way to alter a column) drops
    # its triggers, and must not fail because of them; migrate puts them back (post_migrate).
    with connection.schema_editor() as editor:
        for model in (Enrolment, Certificate, LearnerProfile, ProgrammeRun):
            editor._remake_table(model)
    if not triggers_missing(connection):
        sys.exit("FAIL rebuilding the table should have dropped its triggers")
    call_command("migrate", verbosity=0)
    if triggers_missing(connection):
        sys.exit(f"FAIL migrate did not reinstall {triggers_missing(connection)}")
    Enrolment.objects.filter(run=run, status="completed").update(status="dropped",
                                                                 drop_reason="재구성 후")
    check("triggers back after a table rebuild")


if __name__ == "__main__":
    main()
