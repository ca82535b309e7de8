"""The matching export: completers who consented to matching, for programme operators only
(command line and admin), every download logged; nothing of it for learners or the
ministry."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from lms.accounts.models import Role
from lms.outcomes.models import ExportChannel, MatchingExport
from tests.courses.conftest import admin_login
from tests.courses.factories import ProgrammeRunFactory
from tests.factories import UserFactory
from tests.outcomes.conftest import ISSUED, certify, consent

pytestmark = pytest.mark.django_db


@pytest.fixture
def completers(run, programme):
    """Three completers of 2026: one consents to matching (with a name a spreadsheet would
    run), one only to the follow-up, one to matching but revoked; and one of 2025."""
    matched = UserFactory(full_name="=HYPERLINK(\"http://x\")")
    consent(matched, follow_up=False, matching=True, birth_date=dt.date(1996, 2, 29))
    certify(matched, run)
    follow_up_only = UserFactory(full_name="이수진")
    consent(follow_up_only)
    certify(follow_up_only, run)
    revoked = UserFactory(full_name="박민수")
    consent(revoked, matching=True, birth_date=dt.date(1990, 1, 1))
    certify(revoked, run, revoked=True)
    last_year = UserFactory(full_name="최지우")
    consent(last_year, matching=True, birth_date=dt.date(1991, 7, 7))
    other_run = ProgrammeRunFactory(programme=programme, number=9)
    certify(last_year, other_run, issued_at=ISSUED.replace(year=2025))
    return matched


def read(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_the_command_writes_the_consenting_completers_and_logs_it(completers, run,
                                                                   programme_staff, tmp_path):
    output = tmp_path / "matching.csv"

    call_command("outcomes_matching_export", "--year", "2026", "--output", str(output),
                 "--operator", programme_staff.email)

    rows = read(output.read_bytes())
    assert rows[0] == ["성명", "생년월일", "수료일", "과정", "회차", "수료증"]
    assert len(rows) == 2
    name, birth, completed, programme_title, run_label, _serial = rows[1]
    assert name == "'=HYPERLINK(\"http://x\")"  # neutralised: text, not a formula
    assert (birth, completed, programme_title) == ("1996-02-29", "2026-01-15", "제조 AI 기초")
    assert run_label == f"{run.year}년 {run.number}회차"
    log = MatchingExport.objects.get()
    assert (log.operator, log.channel, log.rows, log.year, log.run_id) == (
        programme_staff, ExportChannel.CLI, 1, 2026, None)


def test_the_command_filters_by_run_and_programme(completers, run, programme,
                                                  programme_staff, tmp_path):
    output = tmp_path / "m.csv"
    call_command("outcomes_matching_export", "--year", "2026", "--run", str(run.pk + 1000),
                 "--programme", str(programme.translation_key), "--output", str(output),
                 "--operator", programme_staff.email)

    assert len(read(output.read_bytes())) == 1  # the heading only
    log = MatchingExport.objects.get()
    assert (log.programme_key, log.run_id, log.rows) == (str(programme.translation_key),
                                                         run.pk + 1000, 0)


@pytest.mark.parametrize("who", ["learner", "ministry_officer", "nobody"])
def test_the_command_refuses_anyone_but_programme_staff(completers, learner, ministry_officer,
                                                        tmp_path, who):
    email = {"learner": learner.email, "ministry_officer": ministry_officer.email,
             "nobody": "nobody@example.com"}[who]
    output = tmp_path / "m.csv"

    with pytest.raises(CommandError):
        call_command("outcomes_matching_export", "--year", "2026", "--output", str(output),
                     "--operator", email)

    assert not output.exists()
    assert not MatchingExport.objects.exists()


def test_a_bad_year_is_a_clear_error(programme_staff, tmp_path):
    with pytest.raises(CommandError, match="연도"):
        call_command("outcomes_matching_export", "--year", "twenty", "--output",
                     str(tmp_path / "m.csv"), "--operator", programme_staff.email)


def test_programme_staff_download_it_in_the_admin(client, completers, programme_staff):
    admin_login(client, programme_staff)
    url = reverse("outcomes_matching_export")

    page = client.get(url)
    response = client.post(url, {"year": "2026", "programme": "", "run": ""})

    assert page.status_code == 200
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert len(read(response.content)) == 2
    log = MatchingExport.objects.get()
    assert (log.channel, log.operator, log.rows) == (ExportChannel.ADMIN, programme_staff, 1)


@pytest.mark.parametrize("who", ["learner", "ministry_officer", "instructor"])
def test_no_one_else_may_download_it(client, completers, learner, ministry_officer, who):
    user = {"learner": learner, "ministry_officer": ministry_officer,
            "instructor": UserFactory(roles=[Role.INSTRUCTOR])}[who]
    admin_login(client, user)

    response = client.post(reverse("outcomes_matching_export"), {"year": "2026"})

    assert response.status_code in (302, 403)
    assert not response.get("Content-Type", "").startswith("text/csv")
    assert not MatchingExport.objects.exists()


def test_the_menu_shows_the_export_to_programme_staff_only(client, programme_staff):
    admin_login(client, programme_staff)
    staff_home = client.get(reverse("wagtailadmin_home")).content.decode()
    admin_login(client, UserFactory(roles=[Role.INSTRUCTOR]))
    instructor_home = client.get(reverse("wagtailadmin_home")).content.decode()

    assert reverse("outcomes_matching_export") in staff_home
    assert reverse("outcomes_matching_export") not in instructor_home


def test_withdrawn_matching_leaves_the_list(completers, programme_staff, tmp_path):
    consent(completers, follow_up=False, matching=False)
    output = tmp_path / "m.csv"

    call_command("outcomes_matching_export", "--year", "2026", "--output", str(output),
                 "--operator", programme_staff.email)

    assert len(read(output.read_bytes())) == 1
