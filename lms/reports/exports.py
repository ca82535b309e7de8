"""The ministry dashboard's tables as plain data, and writers for CSV, XLSX and JSON.

Every table the dashboard shows becomes a :class:`Table` of plain values: counts are ints,
suppressed counts the string "<5" (the threshold from settings), rates percentages with one
decimal or ``None`` (blank) where the dashboard shows none. The dashboard's download links,
``manage.py export_stats`` and the tests all read these same tables, so an export cannot
show what the dashboard hides.
"""

from __future__ import annotations

import csv
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO

from django.conf import settings
from django.utils.translation import gettext as _

from lms.core.filters import FilterError, YearFilters, year_filters_parse
from lms.core.spreadsheet import spreadsheet_safe
from lms.reports.employment import employment_table, pay_columns
from lms.reports.selectors import Cell, year_report, years_overview

Value = int | float | str | None


@dataclass
class Table:
    """One table: a key (stable, for links and sheet order), a title and column labels in the
    active language, and rows of plain values."""

    key: str
    title: str
    columns: list[str]
    rows: list[list[Value]] = field(default_factory=list)


# The dashboard's filters are the shared ones (``lms.core.filters``), under their old names.
ReportFilters = YearFilters
ReportFilterError = FilterError


def report_filters_parse(*, year: str | int | None, programme: str | None = None,
                         run: str | int | None = None) -> ReportFilters:
    """Filters from request parameters: a missing year is this year; a bad value is an error
    with a readable message (never a database error later)."""
    return year_filters_parse(year=year, programme=programme, run=run)


def _count(cell: Cell) -> int | str:
    return cell.value if cell.value is not None else cell.display


def percent(share: float | None) -> float | None:
    """A share (0-1) as the percentage every export and the API publish (one decimal)."""
    return None if share is None else round(100 * share, 1)


def report_tables(*, year: int, programme_key: str | None = None,
                  run_id: int | None = None) -> list[Table]:
    """Every table of the dashboard for these filters, labels in the active language."""
    report = year_report(year=year, programme_key=programme_key, run_id=run_id)
    enrolled, certified = _("Enrolments (admitted)"), _("Certified")
    completed = _("Completed (certificate not revoked)")
    tables = [Table(
        key="summary", title=_("Certified in %(year)s against the target") % {"year": year},
        columns=[_("Year"), _("Target"), certified, _("Progress (percent of target)"),
                 _("Learners (people)"), enrolled, completed, _("Dropped"),
                 _("Completion rate (percent)")],
        rows=[[report.year, report.target,
               report.certified if report.certified is not None else report.completed.display,
               percent(report.progress), report.learners, _count(report.enrolled),
               _count(report.completed), _count(report.dropped),
               percent(report.completion_rate)]])]
    tables.append(Table(
        key="years", title=_("Certified and target by year"),
        columns=[_("Year"), _("Target"), certified],
        rows=[[bar.year, bar.target, bar.certified] for bar in years_overview()]))
    for breakdown in report.breakdowns:
        rows = [[e.label, _count(e), _count(c)] for e, c in breakdown.rows]
        rows.append([_("Total"), _count(breakdown.total[0]),
                     _count(breakdown.total[1])])
        tables.append(Table(key=breakdown.key, title=str(breakdown.title),
                            columns=[str(breakdown.title), enrolled, certified], rows=rows))
    tables.append(Table(
        key="funnel", title=_("Runs: from applicants to completion"),
        columns=[_("Run"), _("Capacity"), _("Applicants"), enrolled, completed,
                 _("Completion rate (percent)")],
        rows=[[str(f.run), f.capacity, _count(f.cells["applicants"]),
               _count(f.cells["enrolled"]), _count(f.cells["completed"]),
               percent(f.completion_rate)] for f in report.funnels]))
    tables.append(employment_export(year=year, programme_key=programme_key, run_id=run_id))
    return tables


def employment_export(*, year: int, programme_key: str | None = None,
                      run_id: int | None = None) -> Table:
    """The employment rate of the year's completions as the dashboard shows it."""
    rows = employment_table(year=year).rows_for(programme_key=programme_key, run_id=run_id)
    return Table(
        key="employment",
        title=_("Employment within 6 months of completion (completed in %(year)s)")
        % {"year": year},
        columns=[_("Programme or run"), _("Completers counted"), _("Employed completers"),
                 _("Employment rate (percent)"), _("Completers who answered"),
                 _("Response rate (percent)"), _("Employed in firms of 500 or more"),
                 _("Share in firms of 500 or more (percent of employed)"),
                 _("Employed using AI"), _("Share using AI (percent of employed)"),
                 *(_("Pay: %(band)s") % {"band": label} for _key, label in pay_columns())],
        rows=[[row.label, _count(row.cells["counted"]), _count(row.cells["employed"]),
               percent(row.employment_rate), _count(row.cells["responded"]),
               percent(row.response_rate), _count(row.cells["large"]),
               percent(row.large_share), _count(row.cells["ai"]), percent(row.ai_share),
               *(_count(cell) for cell in row.pay_cells)] for row in rows])


def tables_select(tables: list[Table], *, key: str | None) -> list[Table]:
    """All tables for ``None``/"all", else the one with that key (ReportFilterError if none)."""
    if not key or key == "all":
        return tables
    chosen = [t for t in tables if t.key == key]
    if not chosen:
        raise ReportFilterError(_("Unknown table “%(key)s”. Use one of: %(keys)s.") % {
            "key": key, "keys": ", ".join(["all", *(t.key for t in tables)])})
    return chosen


def export_filename(*, filters: ReportFilters, extension: str, table: str | None = None) -> str:
    """``aimd-stats-2024.xlsx``, ``aimd-stats-2024-run7-gender.csv``: ASCII, no spaces."""
    parts = ["aimd-stats", str(filters.year)]
    if filters.programme_key:
        parts.append(f"programme-{filters.programme_key[:8]}")
    if filters.run_id:
        parts.append(f"run{filters.run_id}")
    if table and table != "all":
        parts.append(re.sub(r"[^a-z0-9_]+", "-", table.lower()))
    return "-".join(parts) + "." + extension


# --- CSV -------------------------------------------------------------------------------------
class _Line:
    """A file-like object whose write() returns the line (Django's streaming CSV recipe)."""

    def write(self, value: str) -> str:
        return value


def csv_lines(tables: Iterable[Table], *, bom: bool = True) -> Iterator[str]:
    """CSV text line by line, for StreamingHttpResponse. Several tables follow each other,
    each under a line with its title and separated by an empty line; a single table is just
    its header and rows. The byte-order mark lets Excel read the file as UTF-8 (Korean)."""
    tables = list(tables)
    writer = csv.writer(_Line())
    if bom:
        yield "\ufeff"
    for index, table in enumerate(tables):
        if len(tables) > 1:
            if index:
                yield writer.writerow([])
            yield writer.writerow([spreadsheet_safe(table.title)])
        yield writer.writerow([spreadsheet_safe(c) for c in table.columns])
        for row in table.rows:
            yield writer.writerow(["" if v is None else spreadsheet_safe(v) for v in row])


# --- XLSX ------------------------------------------------------------------------------------
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def _sheet_titles(tables: list[Table]) -> list[str]:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique ignoring case."""
    titles, seen = [], set()
    for table in tables:
        base = _SHEET_FORBIDDEN.sub(" ", table.title).strip("' ")[:31] or table.key[:31]
        title, n = base, 2
        while title.lower() in seen:
            suffix = f" ({n})"
            title, n = base[:31 - len(suffix)] + suffix, n + 1
        seen.add(title.lower())
        titles.append(title)
    return titles


def xlsx_write(tables: list[Table], file: IO[bytes]) -> None:
    """One sheet per table in openpyxl's write-only mode (rows go straight to the file, so
    memory stays flat): header row bold, counts and rates as numbers, "<5" as text. Text is
    always stored as text, never as a formula."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for table, title in zip(tables, _sheet_titles(tables), strict=True):
        sheet = workbook.create_sheet(title=title)
        sheet.column_dimensions["A"].width = 36
        header = []
        for column in table.columns:
            cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", column))
            cell.font = bold
            cell.data_type = "s"
            header.append(cell)
        sheet.append(header)
        for row in table.rows:
            cells = []
            for value in row:
                if isinstance(value, str):
                    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
                    cell.data_type = "s"  # "=..." stays text: openpyxl would make a formula
                else:
                    cell = WriteOnlyCell(sheet, value=value)
                cells.append(cell)
            sheet.append(cells)
    workbook.save(file)


def xlsx_temporary_file(tables: list[Table]) -> IO[bytes]:
    """The workbook in an anonymous temporary file (gone when closed), rewound for reading:
    FileResponse streams it in blocks and closes it."""
    file = tempfile.TemporaryFile(suffix=".xlsx")  # closed by the response, or below
    try:
        xlsx_write(tables, file)
        file.seek(0)
    except BaseException:
        file.close()
        raise
    return file


# --- JSON ------------------------------------------------------------------------------------
def json_document(tables: list[Table], *, filters: ReportFilters) -> dict:
    """The tables as one JSON-ready dict (suppressed counts as the string "<5")."""
    return {
        "year": filters.year, "programme": filters.programme_key, "run": filters.run_id,
        "suppression_threshold": settings.REPORTS_SUPPRESSION_THRESHOLD,
        "tables": [{"key": t.key, "title": t.title, "columns": t.columns, "rows": t.rows}
                   for t in tables],
    }
