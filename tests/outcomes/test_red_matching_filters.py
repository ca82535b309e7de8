"""Red team: the matching export's run filter. A run id out of the database's range is a clear
error (not a 500 in the admin, not a traceback on the command line), and run 0 or a negative
run is refused rather than silently exporting every run of the year."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from lms.outcomes.models import MatchingExport
from lms.outcomes.selectors import MatchingFilterError, matching_filters_parse
from tests.courses.conftest import admin_login

pytestmark = pytest.mark.django_db

BAD_RUNS = ["0", "-5", "2147483648", "99999999999999999999"]


@pytest.mark.parametrize("run", BAD_RUNS)
def test_the_parser_refuses_a_run_that_cannot_be_a_run_id(run):
    with pytest.raises(MatchingFilterError):
        matching_filters_parse(year=2026, run=run)


def test_the_largest_run_id_is_accepted():
    assert matching_filters_parse(year=2026, run="2147483647").run_id == 2147483647


@pytest.mark.parametrize("run", BAD_RUNS)
def test_the_command_says_so_and_writes_nothing(programme_staff, tmp_path, run):
    output = tmp_path / "m.csv"

    with pytest.raises(CommandError):
        call_command("outcomes_matching_export", "--year", "2026", "--run", run,
                     "--output", str(output), "--operator", programme_staff.email)

    assert not output.exists()
    assert not MatchingExport.objects.exists()


@pytest.mark.parametrize("run", ["2147483648", "99999999999999999999"])
def test_the_admin_says_so(client, programme_staff, run):
    admin_login(client, programme_staff)

    response = client.post(reverse("outcomes_matching_export"), {"year": "2026", "run": run})

    assert response.status_code == 200
    assert not response["Content-Type"].startswith("text/csv")
    html = response.content.decode()
    assert "회차 id(숫자)" in html or "a run id (a number)" in html
    assert not MatchingExport.objects.exists()
