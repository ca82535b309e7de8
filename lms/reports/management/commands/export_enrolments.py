"""``manage.py export_enrolments --output FILE [--year Y]``: the pseudonymised enrolment-level
CSV (see ``lms.reports.microdata``).

Operators only: the file has a row per enrolment with nothing suppressed, so it is made from
a server's shell and handed over under the data-sharing agreement, never from the site.
"""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from lms.core.filters import MAX_YEAR, MIN_YEAR
from lms.reports.microdata import microdata_export


class Command(BaseCommand):
    help = ("Write one CSV row per enrolment of learners who consented to statistical use, "
            "with a keyed pseudonym instead of the learner (REPORTS_PSEUDONYM_KEY). For "
            "operators: the rows are not suppressed; do not publish the file.")

    def add_arguments(self, parser):
        parser.add_argument("--output", required=True,
                            help="The CSV file to write (replaced if it exists).")
        parser.add_argument("--year", type=int,
                            help="Only runs that count towards this year (default: all).")

    def handle(self, *args, output: str, year: int | None, **options):
        if year is not None and not MIN_YEAR <= year <= MAX_YEAR:
            raise CommandError(f"--year must be between {MIN_YEAR} and {MAX_YEAR}.")
        path = Path(output)
        if not path.parent.is_dir():
            raise CommandError(f"No such directory: {path.parent}")
        # Written beside and renamed at the end: a failed export leaves no half file behind.
        partial = path.with_name(path.name + ".part")
        started = time.monotonic()
        try:
            with partial.open("wb") as out:
                rows = microdata_export(out=out, year=year)
            partial.replace(path)
        finally:
            partial.unlink(missing_ok=True)
        self.stderr.write(f"{rows} rows written to {path} in {time.monotonic() - started:.2f} s")
