"""The year, programme and run that select a report or a list, parsed once for every caller.

The ministry dashboard, its exports and API (``lms.reports``) and the programme staff's
matching export (``lms.outcomes``) take the same three filters from request parameters, form
fields or the command line. A value that cannot select anything is a ``FilterError`` with a
readable message, never a database error later (a run id beyond PostgreSQL's integer, say).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_RUN_ID = 2**31 - 1  # the largest id PostgreSQL's integer column holds


class FilterError(ValueError):
    """A filter value that cannot select anything; the message is for the person who sent it."""


@dataclass(frozen=True)
class YearFilters:
    year: int
    programme_key: str | None = None
    run_id: int | None = None


def year_filters_parse(*, year: str | int | None, programme: str | None = None,
                       run: str | int | None = None,
                       year_required: bool = False) -> YearFilters:
    """The filters, checked. A missing year is this year (Korea time) unless
    ``year_required``; the programme is its translation key (a UUID); the run is its id."""
    if year in (None, "") and not year_required:
        year_value = timezone.localdate().year
    else:
        try:
            year_value = int(year)
        except (TypeError, ValueError):
            raise FilterError(_("The year must be a number, like 2024.")) from None
    if not MIN_YEAR <= year_value <= MAX_YEAR:
        raise FilterError(_("The year must be between %(low)s and %(high)s.")
                          % {"low": MIN_YEAR, "high": MAX_YEAR})
    programme_key = None
    if programme:
        try:
            programme_key = str(uuid.UUID(str(programme)))
        except ValueError:
            raise FilterError(_("Unknown programme: use a programme key.")) from None
    run_id = None
    if run not in (None, ""):
        try:
            run_id = int(run)
        except (TypeError, ValueError):
            run_id = 0
        # A run id is a positive database integer: 0 would select every run, and a larger
        # number than the column holds would fail in the database.
        if not 1 <= run_id <= MAX_RUN_ID:
            raise FilterError(_("The run must be a run id (a number), like 12."))
    return YearFilters(year=year_value, programme_key=programme_key, run_id=run_id)
