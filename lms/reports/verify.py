"""Checking the per-run aggregates against the live query (the reference in
``lms.reports.selectors``), for ``manage.py reports_verify`` and the daily beat task.

A difference means a change that no trigger recorded (a trigger dropped by hand, a table
altered outside the migrations) or a bug: it is logged as an error, figure by figure (counts
only, never people), and, when asked, everything is counted again.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass

from django.db import connection

from courses.models import ProgrammeRun
from lms.reports.aggregates import statistics_catch_up, statistics_rebuild
from lms.reports.selectors import (
    YearCounts,
    runs_of_year,
    year_counts_live,
    year_counts_stored,
    years_overview,
)
from lms.reports.triggers import triggers_install, triggers_missing

logger = logging.getLogger(__name__)
ATTEMPTS = 3  # a write between reading the aggregates and the live query looks like drift


@dataclass(frozen=True)
class Drift:
    year: int | None
    figure: str
    stored: object
    live: object

    def __str__(self) -> str:
        where = f"{self.year} " if self.year is not None else ""
        return f"{where}{self.figure}: aggregates {self.stored!r}, live {self.live!r}"


def _nonzero(counter: Counter) -> dict:
    return {k: n for k, n in counter.items() if n}


def counts_compare(*, year: int, stored: YearCounts, live: YearCounts) -> list[Drift]:
    """Every figure of a year's counts that differs."""
    found = []
    for run_id in sorted(set(stored.by_run) | set(live.by_run)):
        if stored.by_run.get(run_id) != live.by_run.get(run_id):
            found.append(Drift(year, f"run {run_id}", stored.by_run.get(run_id),
                               live.by_run.get(run_id)))
    for dimension in sorted(set(stored.answers) | set(live.answers)):
        for index, measure in enumerate(("enrolled", "certified")):
            ours = _nonzero(stored.answers.get(dimension, (Counter(), Counter()))[index])
            theirs = _nonzero(live.answers.get(dimension, (Counter(), Counter()))[index])
            if ours != theirs:
                found.append(Drift(year, f"{dimension} {measure}", ours, theirs))
    if stored.learners != live.learners:
        found.append(Drift(year, "learners", stored.learners, live.learners))
    return found


def _drift() -> list[Drift]:
    found = [Drift(None, "trigger missing", name, "installed")
             for name in triggers_missing(connection)]
    for year in sorted(set(ProgrammeRun.objects.values_list("year", flat=True))):
        runs = runs_of_year(year=year)
        found += counts_compare(year=year, stored=year_counts_stored(runs=runs, year=year),
                                live=year_counts_live(runs=runs, year=year))
    stored = {bar.year: bar.certified for bar in years_overview()}
    live = {bar.year: bar.certified for bar in years_overview(live=True)}
    found += [Drift(year, "certified", stored.get(year), live.get(year))
              for year in sorted(set(stored) | set(live)) if stored.get(year) != live.get(year)]
    return found


def statistics_verify(*, repair: bool = False) -> list[Drift]:
    """The figures where the aggregates and the live query differ (none when all is well),
    each logged as an error. A difference must hold on a second look (a write committed
    between the two reads looks like one). ``repair``: then reinstall the triggers, count
    everything again and check once more (what is returned is what is left)."""
    statistics_catch_up()
    found = _drift()
    for _attempt in range(ATTEMPTS - 1):
        if not found:
            break
        statistics_catch_up()
        found = _drift()
    for drift in found:
        logger.error("statistics drift: %s", drift)
    if found and repair:
        triggers_install(connection)
        statistics_rebuild()
        found = _drift()
        for drift in found:
            logger.error("statistics drift after a rebuild: %s", drift)
    return found
