"""``manage.py outcomes_matching_export --year Y [--programme KEY] [--run ID] --output FILE.csv
--operator EMAIL``: the completers of a year who consented to matching with public employment
insurance records (name, date of birth, completion date, programme, run), for the operator who
hands the file to the matching. Each export is logged with the operator's name.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from lms.accounts.models import User
from lms.outcomes.models import ExportChannel
from lms.outcomes.selectors import (
    MatchingFilterError,
    matching_filters_parse,
    user_may_export_matching,
)
from lms.outcomes.services import matching_export_write


class Command(BaseCommand):
    help = ("Write the matching list (completers who consented to matching with employment "
            "records) as a UTF-8 CSV for Excel. Personal data: for programme operators only; "
            "every export is logged.")

    def add_arguments(self, parser):
        parser.add_argument("--year", required=True, help="Year of completion, e.g. 2026.")
        parser.add_argument("--programme", help="A programme key (its translation key).")
        parser.add_argument("--run", help="A run id.")
        parser.add_argument("--output", required=True,
                            help="The CSV file to write (replaced if it exists).")
        parser.add_argument("--operator", required=True,
                            help="Your email address: a programme staff account (logged).")
        parser.add_argument("--language", default="ko", choices=["ko", "en"],
                            help="The language of the column headings (default: ko).")

    def handle(self, *args, year, programme, run, output, operator, language, **options):
        user = User.objects.filter(email__iexact=operator.strip()).first()
        if user is None or not user_may_export_matching(user=user):
            raise CommandError(f"{operator} is not a programme operator allowed to export "
                               "the matching list (programme staff with the export "
                               "permission).")
        try:
            filters = matching_filters_parse(year=year, programme=programme, run=run)
        except MatchingFilterError as exc:
            raise CommandError(str(exc)) from None
        path = Path(output)
        if not path.parent.is_dir():
            raise CommandError(f"No such directory: {path.parent}")
        # Written beside and renamed at the end: a failed export leaves no half file behind.
        partial = path.with_name(path.name + ".part")
        try:
            with translation.override(language), \
                    partial.open("w", encoding="utf-8", newline="") as out:
                log = matching_export_write(file=out, operator=user,
                                            channel=ExportChannel.CLI, filters=filters)
            partial.replace(path)
        finally:
            partial.unlink(missing_ok=True)
        self.stderr.write(f"{log.rows} rows written to {path} (export #{log.pk} logged)")
