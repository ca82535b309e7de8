"""The ministry dashboard at 30,000 and 280,000 enrolments in a year: the per-run aggregates
against the live query, in one run.

    make bench        (or: .venv/bin/python bench/dashboard.py [--enrolments 30000,280000]
                                                               [--runs 9] [--keep])

A throwaway PostgreSQL database (``lms_bench_dashboard``, dropped at the end unless --keep)
gets the demo programme (``seed_demo --without-release --without-history``), then synthetic
learners (``generate_synthetic``: one enrolment each, three runs in last year, so finished
runs with completions, drop-outs and certificates) until the year holds each size asked for.
At each size:

- the dashboard, ``GET /ko/reports/?year=Y`` through Django's test client as the demo's
  ministry officer: the median of several requests after a warm-up, reading the aggregates
  (goal: <= 100 ms at 280,000), and the baseline, the same view on the live query over every
  enrolment of the year (``year_report(live=True)``, what the dashboard did before), measured
  in the same run;
- the figures of both, compared whole (year report, every table of the downloads);
- what keeping the aggregates costs: counting everything again (``reports_rebuild``, what a
  bulk load ends with), counting one change (what a service does after its commit), and the
  dashboard right after a change made without the services (its catch-up included).
"""

from __future__ import annotations

import argparse
import functools
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# The settings, the throwaway database and the report lines of bench/export.py.
from bench.export import SERVER, _database, _environment, _say, _verdict  # noqa: E402

DATABASE = "lms_bench_dashboard"
GOAL_MS = 100
GOAL_AT = 280_000


def _vacuum() -> None:
    import psycopg

    with psycopg.connect(f"{SERVER}/{DATABASE}", autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")


def _time_dashboard(*, year: int, runs: int, live: bool) -> list[float]:
    """The dashboard view's times (seconds), reading the aggregates or, with ``live``, the
    live query (the same view with the selectors' reference underneath)."""
    from django.test import Client
    from django.urls import reverse

    from lms.accounts.models import User
    from lms.reports import selectors, views

    client = Client()
    client.force_login(User.objects.get(email="ministry@aimd.example"))
    url = reverse("reports:dashboard")
    saved = views.year_report, views.years_overview
    if live:
        views.year_report = functools.partial(selectors.year_report, live=True)
        views.years_overview = functools.partial(selectors.years_overview, live=True)
    try:
        times = []
        for index in range(runs + 1):
            started = time.perf_counter()
            response = client.get(url, {"year": year})
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise SystemExit(f"the dashboard answered {response.status_code}")
            if index:  # the first warms caches (templates, translations, the database's)
                times.append(elapsed)
        return times
    finally:
        views.year_report, views.years_overview = saved


def _same_figures(year: int) -> bool:
    from lms.reports import exports
    from lms.reports.selectors import year_report, years_overview

    if year_report(year=year) != year_report(year=year, live=True):
        return False
    if years_overview() != years_overview(live=True):
        return False
    stored = exports.report_tables(year=year)
    saved = exports.year_report, exports.years_overview
    exports.year_report = functools.partial(year_report, live=True)
    exports.years_overview = functools.partial(years_overview, live=True)
    try:
        return stored == exports.report_tables(year=year)
    finally:
        exports.year_report, exports.years_overview = saved


def _enrolments(year: int) -> int:
    from courses.models import Enrolment

    return Enrolment.objects.filter(run__year=year).count()


def _upkeep(year: int, runs: int) -> dict[str, float]:
    """What keeping the aggregates costs (seconds)."""
    from courses.models import Enrolment
    from lms.reports.aggregates import statistics_rebuild, statistics_refresh

    started = time.perf_counter()
    statistics_rebuild()
    rebuild = time.perf_counter() - started
    one, after_change = [], []
    enrolments = list(Enrolment.objects.filter(run__year=year, status="enrolled")
                      .values_list("pk", flat=True)[:runs * 2])
    for index in range(runs):
        # A change the way a service makes it, counted the way its on_commit call does.
        Enrolment.objects.filter(pk=enrolments[index]).update(status="dropped",
                                                              drop_reason="bench")
        started = time.perf_counter()
        statistics_refresh(enrolment_ids=[enrolments[index]])
        one.append(time.perf_counter() - started)
        # A change made without the services: the next dashboard counts it first.
        Enrolment.objects.filter(pk=enrolments[runs + index]).update(
            status="dropped", drop_reason="bench")
        after_change.extend(_time_dashboard(year=year, runs=1, live=False))
    return {"rebuild": rebuild, "one": statistics.median(one),
            "after_change": statistics.median(after_change)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enrolments", default=f"30000,{GOAL_AT}",
                        help="sizes of the year to measure at, comma-separated")
    parser.add_argument("--runs", type=int, default=9, help="dashboard requests to time")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args()
    sizes = sorted(int(n) for n in args.enrolments.split(","))

    private = tempfile.mkdtemp(prefix="lms-bench-private-")
    os.environ.update(_environment(private, DATABASE))
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    _database("create", DATABASE)
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.utils import timezone

        call_command("migrate", verbosity=0)
        call_command("seed_demo", without_release=True, without_history=True,
                     stdout=io.StringIO())
        year = timezone.localdate().year - 1
        _say(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        for seed, size in enumerate(sizes, start=1):
            more = size - _enrolments(year)
            started = time.perf_counter()
            call_command("generate_synthetic", learners=more, years=[year], runs_per_year=3,
                         seed=seed, force=True, stdout=io.StringIO())
            _say(f"generate_synthetic: +{more:,} learners in {year} "
                 f"({time.perf_counter() - started:.0f} s, counting the aggregates included)")
            _vacuum()
            have = _enrolments(year)
            ours = statistics.median(_time_dashboard(year=year, runs=args.runs, live=False))
            live = statistics.median(_time_dashboard(year=year, runs=args.runs, live=True))
            goal = f"; goal <= {GOAL_MS} ms at {GOAL_AT:,}" if have >= GOAL_AT else ""
            verdict = f" {_verdict(1000 * ours <= GOAL_MS)}" if have >= GOAL_AT else ""
            _say(f"dashboard, {have:,} enrolments in {year}: aggregates median "
                 f"{1000 * ours:.0f} ms; baseline (live query, same run) {1000 * live:.0f} ms; "
                 f"{live / ours:.1f}x{goal}{verdict}")
            _say(f"    same figures as the live query (report, downloads, years): "
                 f"{_verdict(_same_figures(year))}")
        upkeep = _upkeep(year, runs=args.runs)
        _say(f"upkeep at {_enrolments(year):,}: counting everything again "
             f"{upkeep['rebuild']:.1f} s; counting one change (a service, after its commit) "
             f"{1000 * upkeep['one']:.0f} ms; the dashboard right after a change made without "
             f"the services {1000 * upkeep['after_change']:.0f} ms")
        _say(f"    same figures after those changes: {_verdict(_same_figures(year))}")
        _say(f"load average at the end: {os.getloadavg()[0]:.1f}")
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            _database("drop", DATABASE)


if __name__ == "__main__":
    main()
