"""The ministry dashboard's tables for one year as CSV, XLSX or JSON (counts only)."""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from lms.reports.exports import (
    ReportFilterError,
    csv_lines,
    export_filename,
    json_document,
    report_filters_parse,
    report_tables,
    xlsx_write,
)


class Command(BaseCommand):
    help = ("Export the ministry dashboard's tables for a year: CSV or JSON to standard output "
            "(or --output), XLSX to --output or aimd-stats-YEAR.xlsx.")

    def add_arguments(self, parser):
        parser.add_argument("--year", required=True, help="The year the runs count towards.")
        parser.add_argument("--format", choices=["csv", "xlsx", "json"], default="csv")
        parser.add_argument("--programme", help="Only this programme (its key, a UUID).")
        parser.add_argument("--run", help="Only this run (its id).")
        parser.add_argument("--output", help="Write to this file instead.")
        parser.add_argument("--language", default=settings.LANGUAGE_CODE,
                            choices=[code for code, _name in settings.LANGUAGES],
                            help="The language of titles and labels.")

    def handle(self, *args, year, format, programme, run, output, language, **options):
        try:
            filters = report_filters_parse(year=year, programme=programme, run=run)
        except ReportFilterError as error:
            raise CommandError(str(error)) from None
        with translation.override(language):
            tables = report_tables(year=filters.year, programme_key=filters.programme_key,
                                   run_id=filters.run_id)
            if format == "xlsx":
                path = Path(output or export_filename(filters=filters, extension="xlsx"))
                with path.open("wb") as file:
                    xlsx_write(tables, file)
                self.stderr.write(f"{path}")
                return
            if format == "json":
                text = json.dumps(json_document(tables, filters=filters), ensure_ascii=False,
                                  indent=2) + "\n"
            else:
                # The byte-order mark is for Excel opening a file, not for a pipe.
                text = "".join(csv_lines(tables, bom=bool(output)))
        if output:
            Path(output).write_text(text, encoding="utf-8", newline="")
        else:
            self.stdout.write(text, ending="")
