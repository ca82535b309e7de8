"""Count every statistics aggregate again from the live tables."""

from django.core.management.base import BaseCommand

from lms.reports.aggregates import statistics_rebuild


class Command(BaseCommand):
    help = ("Count the statistics' per-run aggregates again from the enrolments, certificates "
            "and profiles (after a restore, or when reports_verify finds drift).")

    def handle(self, *args, **options):
        statistics_rebuild()
        self.stdout.write("The statistics aggregates were counted again.")
