"""Ministry statistics at scale, against their targets and psql, in one run.

    make bench        (or: .venv/bin/python bench/export.py [--learners 100000]
                                                            [--rows 1000000] [--keep])

A throwaway PostgreSQL database (``lms_bench_export`` on this machine, dropped at the end
unless --keep) gets the demo programme (``seed_demo --without-release``) and then:

1. ``generate_synthetic --learners 100000``: one enrolment each, in the demo's yearly runs
   (so about 25,000 a year), certificates for the completed ones. Its time is printed.
2. (c) The dashboard: ``GET /ko/reports/?year=Y`` through Django's test client as the demo's
   ministry officer, for the busiest year; the median of several requests after a warm-up
   (target: under 300 ms). Baseline: the same page over the demo's data alone, measured
   before step 1.
3. (a) The full statistics export of that year: ``export_stats --format csv|xlsx|json``
   (``call_command``, in this process; target: under 1 s each, being the dashboard's queries
   and a small file).
4. More synthetic learners, each in 10 of 12 runs (three a year), until the enrolment-level
   export has at least 1,000,000 rows (consenting learners only). The generator's own
   ``--enrolments-per-learner``/``--runs-per-year`` options do this; no separate SQL path.
5. (b) ``manage.py export_enrolments`` as a child process (its own timing of the export,
   which it prints, and its peak resident memory from ``wait4``) against the baseline,
   ``psql -c "\\copy (the same SELECT) TO FILE"``; the two files must be the same rows.
   Targets: at most 2x psql's time, at most 200 MB peak memory (VmHWM of the whole process:
   Django and Wagtail loaded take about 150 MB of it, whatever the number of rows).
"""

from __future__ import annotations

import argparse
import io
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATABASE = "lms_bench_export"
SERVER = "postgresql://postgres@127.0.0.1:5432"
DASHBOARD_TARGET_MS = 300
EXPORT_STATS_TARGET_S = 1.0
COPY_RATIO_TARGET = 2.0
MEMORY_TARGET_MB = 200


# Runs manage.py in this process and then prints its peak resident memory. The kernel's
# VmHWM counts only this program; getrusage()'s ru_maxrss of a child would start from the
# parent's own peak (the memory a child is forked with carries over into its exec on Linux),
# and this benchmark's process is large after generating the data.
PEAK_MEMORY_WRAPPER = """
import runpy, sys
sys.argv = ["manage.py", *sys.argv[1:]]
try:
    runpy.run_path("manage.py", run_name="__main__")
finally:
    with open("/proc/self/status") as status:
        sys.stderr.write("".join(line for line in status if line.startswith("VmHWM")))
"""


def _environment(private: str, database: str = DATABASE) -> dict:
    """The settings of a benchmark process on its own throwaway ``database`` (also used by
    bench/dashboard.py)."""
    return {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_READ_DOT_ENV_FILE": "0",  # not the demo's var/demo.env (DJANGO_DEBUG=1)
        "DJANGO_SECRET_KEY": "bench-only-secret-key-not-for-production-use",
        "DJANGO_ALLOWED_HOSTS": "localhost,testserver",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": f"{SERVER}/{database}",
        "LMS_PRIVATE_ROOT": private,
        "DJANGO_STATIC_ROOT": private,
        "LMS_LOG_LEVEL": "WARNING",
        "LMS_EMAIL_VIA_CELERY": "0",
        "REPORTS_PSEUDONYM_KEY": "bench-only-pseudonym-key",
    }


def _database(action: str, database: str = DATABASE) -> None:
    """Drop ``database``, and make it again when ``action`` is "create"."""
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        if action == "create":
            connection.execute(f"CREATE DATABASE {database}")


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _say(text: str) -> None:
    print(text, flush=True)  # noqa: T201 - a benchmark reports on standard output


def _generate(**options) -> float:
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("generate_synthetic", force=True, stdout=io.StringIO(), **options)
    return time.perf_counter() - started


def _vacuum() -> None:
    """What autovacuum does soon after a bulk load (visibility map for index-only scans)."""
    import psycopg

    with psycopg.connect(f"{SERVER}/{DATABASE}", autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")


def _busiest_year() -> int:
    from django.db.models import Count

    from courses.models import Enrolment

    row = (Enrolment.objects.values("run__year").annotate(n=Count("pk")).order_by("-n")
           .first())
    return row["run__year"]


def bench_dashboard(*, year: int, runs: int) -> list[float]:
    from django.test import Client
    from django.urls import reverse

    from lms.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(email="ministry@aimd.example"))
    url = reverse("reports:dashboard")
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


def bench_export_stats(*, year: int, directory: Path, runs: int = 3) -> dict[str, float]:
    from django.core.management import call_command

    figures = {}
    for fmt in ("csv", "xlsx", "json"):
        times = []
        for _ in range(runs):
            output = directory / f"stats.{fmt}"
            started = time.perf_counter()
            call_command("export_stats", year=str(year), format=fmt, output=str(output),
                         stdout=io.StringIO(), stderr=io.StringIO())
            times.append(time.perf_counter() - started)
            if not output.stat().st_size:
                raise SystemExit(f"export_stats wrote an empty {fmt} file")
        figures[fmt] = statistics.median(times)
    return figures


def _microdata_rows() -> int:
    from courses.models import Enrolment

    return Enrolment.objects.filter(learner__profile__stats_consent=True).count()


def bench_microdata(*, directory: Path, env: dict) -> dict:
    """export_enrolments in a child process (time it reports, peak memory) and psql's
    \\copy of the same SELECT; the rows are compared."""
    import psycopg
    from django.db import connection

    from lms.reports.microdata import microdata_select, pseudonym_pads

    ours, theirs = directory / "enrolments.csv", directory / "psql.csv"
    child = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-c", PEAK_MEMORY_WRAPPER, "export_enrolments", "--output",
         str(ours)], cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True, timeout=3600, check=False)
    if child.returncode:
        raise SystemExit(f"export_enrolments failed: {child.stderr}")
    match = re.search(r"(\d+) rows written to .* in ([\d.]+) s", child.stderr)
    rows, seconds = int(match.group(1)), float(match.group(2))
    peak_kb = int(re.search(r"VmHWM:\s+(\d+) kB", child.stderr).group(1))

    sql, params = microdata_select()
    connection.ensure_connection()
    select = psycopg.ClientCursor(connection.connection).mogrify(sql, params)
    settings_sql = "SELECT " + ", ".join(f"set_config('{name}', '{value}', false)"
                                         for name, value in pseudonym_pads().items())
    started = time.perf_counter()
    subprocess.run(["psql", "-X", "-q", "-d", f"{SERVER}/{DATABASE}", "-o", os.devnull,  # noqa: S603, S607 - fixed argv, psql from PATH
                    "-c", settings_sql, "-c",
                    f"\\copy ({select}) TO '{theirs}' WITH (FORMAT csv)"],
                   check=True, timeout=3600)
    psql_seconds = time.perf_counter() - started

    with ours.open("rb") as a, theirs.open("rb") as b:
        a.readline()  # our header
        same = all(x == y for x, y in zip(a, b, strict=False)) and not a.read(1) \
            and not b.read(1)
    return {"rows": rows, "seconds": seconds, "psql": psql_seconds, "same": same,
            "peak_mb": peak_kb / 1024, "bytes": ours.stat().st_size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=100_000)
    parser.add_argument("--rows", type=int, default=1_000_000,
                        help="rows of the enrolment-level export to reach")
    parser.add_argument("--runs", type=int, default=7, help="dashboard requests to time")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args()

    private = tempfile.mkdtemp(prefix="lms-bench-private-")
    env = _environment(private)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    _database("create")
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        call_command("seed_demo", without_release=True, without_history=True,
                     stdout=io.StringIO())

        # Everything here is CPU-bound: other work on the machine shows in every figure.
        _say(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        # The baseline: the same page over the demo's data alone (a handful of enrolments),
        # for every year with a run; the one of the year measured below is printed with it.
        from courses.models import ProgrammeRun

        empty = {y: statistics.median(bench_dashboard(year=y, runs=args.runs))
                 for y in sorted(set(ProgrammeRun.objects.values_list("year", flat=True)))}
        seconds = _generate(learners=args.learners, seed=1)
        _say(f"generate_synthetic --learners {args.learners:,}: {seconds:.0f} s "
             f"(target: a few minutes) {_verdict(seconds < 300)}")
        _vacuum()
        year = _busiest_year()

        times = bench_dashboard(year=year, runs=args.runs)
        median_ms = 1000 * statistics.median(times)
        _say(f"(c) dashboard, {args.learners:,} learners, year {year}: median "
             f"{median_ms:.0f} ms of {len(times)} (min {1000 * min(times):.0f}, max "
             f"{1000 * max(times):.0f}); target < {DASHBOARD_TARGET_MS} ms "
             f"{_verdict(median_ms < DASHBOARD_TARGET_MS)}")
        if year in empty:
            _say(f"    baseline, the same page over the demo's data alone: median "
                 f"{1000 * empty[year]:.0f} ms")

        with tempfile.TemporaryDirectory(prefix="lms-bench-export-") as tmp:
            stats = bench_export_stats(year=year, directory=Path(tmp))
            for fmt, seconds in stats.items():
                _say(f"(a) export_stats --year {year} --format {fmt}: {seconds:.2f} s; "
                     f"target < {EXPORT_STATS_TARGET_S:.0f} s "
                     f"{_verdict(seconds < EXPORT_STATS_TARGET_S)}")

            have = _microdata_rows()
            per_learner, consent = 10, 0.9  # a little under the generator's 92 % consenting
            more = max(0, math.ceil((args.rows - have) / (per_learner * consent)))
            seconds = _generate(learners=more, seed=2, enrolments_per_learner=per_learner,
                                runs_per_year=3)
            _vacuum()
            _say(f"generate_synthetic --learners {more:,} --enrolments-per-learner "
                 f"{per_learner} --runs-per-year 3: {seconds:.0f} s")
            times = bench_dashboard(year=year, runs=args.runs)
            _say(f"    (the dashboard now, {_microdata_rows():,} consenting enrolments in all: "
                 f"median {1000 * statistics.median(times):.0f} ms; for information)")

            figures = bench_microdata(directory=Path(tmp), env=env)
        ratio = figures["seconds"] / figures["psql"]
        _say(f"(b) export_enrolments, {figures['rows']:,} rows "
             f"({figures['bytes'] / 1e6:.0f} MB): {figures['seconds']:.2f} s; baseline psql "
             f"\\copy of the same SELECT: {figures['psql']:.2f} s; ratio {ratio:.2f}x "
             f"(target <= {COPY_RATIO_TARGET:.0f}x) {_verdict(ratio <= COPY_RATIO_TARGET)}")
        _say(f"    same rows as psql: {_verdict(figures['same'])}; at least "
             f"{args.rows:,} rows: {_verdict(figures['rows'] >= args.rows)}")
        _say(f"    peak memory of the export process: {figures['peak_mb']:.0f} MB "
             f"(target <= {MEMORY_TARGET_MB} MB) "
             f"{_verdict(figures['peak_mb'] <= MEMORY_TARGET_MB)}")
        _say(f"load average at the end: {os.getloadavg()[0]:.1f}")
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            _database("drop")


if __name__ == "__main__":
    main()
