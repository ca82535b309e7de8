"""Compare the statistics aggregates with the live query, figure by figure."""

from django.core.management.base import BaseCommand, CommandError

from lms.reports.verify import statistics_verify


class Command(BaseCommand):
    help = ("Compare the statistics' per-run aggregates with the live query over every "
            "enrolment, for every year; exit 1 on any difference (logged). --repair counts "
            "everything again when one is found.")

    def add_arguments(self, parser):
        parser.add_argument("--repair", action="store_true",
                            help="Reinstall the triggers and count everything again on drift.")

    def handle(self, *args, repair, **options):
        found = statistics_verify(repair=repair)
        for drift in found:
            self.stderr.write(f"drift: {drift}")
        if found:
            raise CommandError(f"{len(found)} figures differ from the live query.")
        self.stdout.write("The statistics aggregates equal the live query.")
