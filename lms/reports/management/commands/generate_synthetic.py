"""``manage.py generate_synthetic --learners N``: made-up learners for trying the reports at
scale (see ``lms.reports.synthetic``); ``--delete`` removes them again."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from lms.reports.synthetic import (
    SYNTHETIC_DOMAIN,
    SyntheticDataError,
    synthetic_delete,
    synthetic_generate,
)


class Command(BaseCommand):
    help = (f"Add synthetic learners (emails @{SYNTHETIC_DOMAIN}) with profiles, enrolments in "
            "the programmes' runs and certificates; --delete removes them. Development and "
            "benchmarks only: refuses to run with DEBUG off unless --force.")

    def add_arguments(self, parser):
        parser.add_argument("--learners", type=int, help="How many learners to add.")
        parser.add_argument("--year", type=int, action="append", dest="years",
                            help="A year to enrol them in (repeatable; default: 2023 to now).")
        parser.add_argument("--seed", type=int, default=0, help="Same seed, same data.")
        parser.add_argument("--enrolments-per-learner", type=int, default=1,
                            help="Different runs each learner is enrolled in (default 1).")
        parser.add_argument("--runs-per-year", type=int, default=1,
                            help="Create runs so that each programme has at least this many "
                                 "in each year (default 1).")
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument("--delete", action="store_true",
                            help="Remove every synthetic learner instead.")
        parser.add_argument("--force", action="store_true",
                            help="Run even with DEBUG off (it writes fake people into the "
                                 "database this settings module points at).")

    def handle(self, *args, learners, years, seed, enrolments_per_learner, runs_per_year,
               batch_size, delete, force, **options):
        if not settings.DEBUG and not force:
            raise CommandError("DEBUG is off: this may be a production database. Synthetic "
                               "people do not belong there; add --force if you are sure.")
        if delete:
            removed = synthetic_delete(progress=self.stdout.write)
            self.stdout.write(self.style.SUCCESS(f"{removed:,} synthetic learners removed."))
            return
        if learners is None or learners < 0:
            raise CommandError("Give --learners N (a number, 0 or more), or --delete.")
        if enrolments_per_learner < 1 or runs_per_year < 1 or batch_size < 1:
            raise CommandError("--enrolments-per-learner, --runs-per-year and --batch-size "
                               "must be at least 1.")
        if years and not all(2000 <= year <= timezone.localdate().year + 1 for year in years):
            raise CommandError("Each --year must be between 2000 and next year.")
        try:
            summary = synthetic_generate(
                learners=learners, years=years, seed=seed,
                enrolments_per_learner=enrolments_per_learner, runs_per_year=runs_per_year,
                batch_size=batch_size, progress=self.stdout.write)
        except SyntheticDataError as error:
            raise CommandError(str(error)) from None
        for run in summary.runs_created:
            self.stdout.write(f"Created run {run}")
        self.stdout.write(self.style.SUCCESS(
            f"{summary.learners:,} synthetic learners, {summary.enrolments:,} enrolments and "
            f"{summary.certificates:,} certificates added."))
