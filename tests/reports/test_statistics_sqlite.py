"""The statistics triggers and aggregates on SQLite, the demo's database (the suite runs on
PostgreSQL): tests/reports/sqlite_scenario.py in a child process, on a new SQLite file."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_aggregates_equal_the_live_query_on_sqlite_after_every_kind_of_change(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "lms.settings", "DJANGO_DEBUG": "1",
           "DJANGO_READ_DOT_ENV_FILE": "0", "LMS_LOG_LEVEL": "WARNING",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
           "LMS_PRIVATE_ROOT": str(tmp_path / "private")}

    child = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-m", "tests.reports.sqlite_scenario"], cwd=ROOT, env=env,
        capture_output=True, text=True, timeout=900, check=False)

    assert child.returncode == 0, child.stdout[-2000:] + child.stderr[-4000:]
    steps = [line for line in child.stdout.splitlines() if line.startswith("ok ")]
    assert len(steps) == 15, child.stdout
