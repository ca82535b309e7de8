"""Downloads of the ministry dashboard (CSV, XLSX) and ``manage.py export_stats``: every
table, the same numbers and suppression as the dashboard, no people, no formulas."""

import csv
import io
import json

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.http import FileResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone, translation

from courses.models import Enrolment
from lms.accounts.models import LearnerProfile
from lms.certificates.models import Certificate
from lms.reports.exports import csv_lines, report_tables, spreadsheet_safe
from lms.reports.models import YearlyTarget
from lms.reports.selectors import year_report
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FORMULA_TITLE = "=HYPERLINK(\"http://evil.example\",\"click\")"


@pytest.fixture(autouse=True)
def english():
    """Labels and URLs in English (/en/...), so that tests can name rows."""
    with translation.override("en"):
        yield


def learner_with(run, *, status="enrolled", consent=True, certified=False, **profile):
    user = UserFactory()
    LearnerProfile.objects.update_or_create(user=user, defaults={
        "stats_consent": consent, "stats_consent_at": timezone.now() if consent else None,
        **profile})
    dropped = status == "dropped"
    enrolment = Enrolment.objects.create(
        learner=user, run=run, status=status, enrolled_at=timezone.now(),
        dropped_at=timezone.now() if dropped else None, drop_reason="moved" if dropped else "")
    if certified:
        Certificate.objects.create(enrolment=enrolment, serial=f"AIMD-T-{enrolment.pk}",
                                   holder_name=user.full_name, programme_title="p", hours=10)
    return enrolment


@pytest.fixture
def populated(run):
    """A year with a target of 40: 6 certified employed learners, 2 job seekers (a small
    count), 5 others, 1 dropped learner who did not consent."""
    YearlyTarget.objects.update_or_create(year=run.year, defaults={"target": 40})
    people = [learner_with(run, status="completed", certified=True,
                           participant_status="employed", gender="female")
              for _ in range(6)]
    people += [learner_with(run, participant_status="job_seeker") for _ in range(2)]
    people += [learner_with(run, participant_status="other") for _ in range(5)]
    people.append(learner_with(run, status="dropped", consent=False))
    return [e.learner for e in people]


def tables_by_key(tables):
    return {t.key: t for t in tables}


def parse_csv_sections(text):
    """{title: [header, *rows]} from an all-tables CSV (sections split by empty lines)."""
    sections, current = {}, None
    for row in csv.reader(io.StringIO(text)):
        if not row:
            current = None
        elif current is None:
            current = sections.setdefault(row[0], [])
        else:
            current.append(row)
    return sections


def assert_no_people(text, people):
    for user in people:
        assert user.email not in text
        assert user.full_name not in text


# --- the tables ------------------------------------------------------------------------------
def test_every_dashboard_table_is_exported(run, populated):
    report = year_report(year=run.year)

    keys = [t.key for t in report_tables(year=run.year)]

    assert keys == ["summary", "years", *[b.key for b in report.breakdowns], "funnel",
                    "employment"]
    assert {"participant_status", "ai_major", "gender", "age_band", "region", "programme",
            "run"} <= set(keys)


def test_the_summary_has_the_dashboards_numbers(run, populated):
    summary = tables_by_key(report_tables(year=run.year))["summary"]

    # year, target, certified, progress, learners, enrolments, completed, dropped, rate:
    # head counts count every learner (the dropped one did not consent, and counts)
    assert summary.rows == [[run.year, 40, 6, 15.0, 14, 14, 6, 1, 42.9]]
    assert len(summary.columns) == len(summary.rows[0])


def test_small_counts_are_suppressed_as_in_the_dashboard(run, populated):
    status = tables_by_key(report_tables(year=run.year))["participant_status"]
    rows = {row[0]: row[1:] for row in status.rows}

    assert rows["Employed"] == [6, 6]
    assert rows["Job seeker"] == ["x", 0]  # 2 learners
    # 1 learner who did not consent: hidden too, so the total does not give the 2 back
    assert rows["No answer (not given, or no consent)"] == ["x", 0]
    assert rows["Other"] == [5, 0]
    assert rows["Total"] == [14, 6]


def test_years_and_funnel(run, populated):
    tables = tables_by_key(report_tables(year=run.year))

    assert [run.year, 40, 6] in tables["years"].rows
    assert tables["funnel"].rows == [[str(run), 30, 14, 14, 6, 42.9]]


def test_rates_are_blank_when_the_dashboard_shows_none(run):
    learner_with(run, status="completed")  # one learner: no rate beside a hidden count
    summary = tables_by_key(report_tables(year=run.year, run_id=run.pk))["summary"]
    assert summary.rows[0][5] == "x"
    assert summary.rows[0][8] is None


@pytest.mark.parametrize(("value", "safe"), [
    ("=1+1", "'=1+1"), ("+82 10", "'+82 10"), ("@SUM(A1)", "'@SUM(A1)"),
    ("-cmd", "'-cmd"), ("\t=1", "'\t=1"), ("-5", "-5"), ("+1.5e3", "+1.5e3"),
    ("<5", "<5"), ("서울", "서울"), (7, 7), (None, None), (-3, -3)])
def test_formula_cells_are_neutralised(value, safe):
    assert spreadsheet_safe(value) == safe


def test_csv_lines_neutralise_formulas_in_labels(run, populated):
    run.programme.title = FORMULA_TITLE
    run.programme.save()

    text = "".join(csv_lines(report_tables(year=run.year)))

    rows = list(csv.reader(io.StringIO(text)))
    labels = [row[0] for row in rows if row]
    assert "'" + FORMULA_TITLE in labels  # the programme breakdown
    assert not any(label.startswith("=") for label in labels)


# --- the downloads ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["reports:export_csv", "reports:export_xlsx"])
@pytest.mark.parametrize(("role_user", "status"), [
    ("ministry_officer", 200), ("programme_staff", 200), ("learner", 403),
    ("instructor", 403)])
def test_only_ministry_officers_and_programme_staff_download(
        client, request, run, name, role_user, status):
    client.force_login(request.getfixturevalue(role_user))
    assert client.get(reverse(name), {"year": run.year}).status_code == status


@pytest.mark.parametrize("name", ["reports:export_csv", "reports:export_xlsx"])
def test_anonymous_visitors_are_sent_to_log_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_the_csv_download_streams_every_table(client, ministry_officer, run, populated):
    client.force_login(ministry_officer)

    response = client.get(reverse("reports:export_csv"), {"year": run.year})

    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="aimd-stats-{run.year}.csv"' in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode())  # Excel reads UTF-8 (Korean) with the BOM
    text = body.decode("utf-8-sig")
    assert_no_people(text, populated)
    sections = parse_csv_sections(text)
    assert len(sections) == len(report_tables(year=run.year))
    summary = sections[f"Certified in {run.year} against the target"]
    assert summary[0][:3] == ["Year", "Target", "Certified"]
    assert summary[1] == [str(run.year), "40", "6", "15.0", "14", "14", "6", "1", "42.9"]
    status = {row[0]: row[1:] for row in sections["Participant status"]}
    assert status["Job seeker"] == ["x", "0"]


def test_a_csv_of_one_table(client, ministry_officer, run, populated):
    client.force_login(ministry_officer)

    response = client.get(reverse("reports:export_csv"), {"year": run.year, "table": "gender"})

    assert f'filename="aimd-stats-{run.year}-gender.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content)
                                       .decode("utf-8-sig"))))
    assert len(rows[0]) == 3  # category, enrolled, certified: no title line
    assert rows[-1][1:] == ["14", "6"]


def test_the_xlsx_download_has_a_sheet_per_table(client, ministry_officer, run, populated):
    run.programme.title = FORMULA_TITLE
    run.programme.save()
    client.force_login(ministry_officer)

    response = client.get(reverse("reports:export_xlsx"), {"year": run.year})

    assert isinstance(response, FileResponse)
    assert f'filename="aimd-stats-{run.year}.xlsx"' in response["Content-Disposition"]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert len(book.sheetnames) == len(report_tables(year=run.year))
    summary = book.worksheets[0]
    assert all(cell.font.bold for cell in summary[1])
    assert [c.value for c in summary[2]] == [run.year, 40, 6, 15, 14, 14, 6, 1, 42.9]
    status = {row[0]: row[1:] for row in book["Participant status"].iter_rows(
        min_row=2, values_only=True)}
    assert status["Employed"] == (6, 6)
    assert status["Job seeker"] == ("x", 0)
    programme = book["Programme"]["A2"]
    assert programme.value == FORMULA_TITLE
    assert programme.data_type == "s"  # text, never a formula
    everything = " ".join(str(v) for sheet in book.worksheets
                          for row in sheet.iter_rows(values_only=True) for v in row)
    assert_no_people(everything, populated)


@pytest.mark.parametrize(("params", "message"), [
    ({"year": "twenty"}, "The year must be a number"),
    ({"year": "1900"}, "between 2000 and 2100"),
    ({"year": "2024", "programme": "not-a-key"}, "Unknown programme"),
    ({"year": "2024", "run": "x"}, "The run must be"),
    ({"year": "2024", "table": "people"}, "Unknown table"),
])
def test_bad_input_is_answered_with_a_message(client, ministry_officer, params, message):
    client.force_login(ministry_officer)

    response = client.get(reverse("reports:export_csv"), params)

    assert response.status_code == 400
    assert message in response.content.decode()


def test_the_dashboard_answers_a_bad_programme_key_with_400(client, ministry_officer):
    client.force_login(ministry_officer)
    response = client.get(reverse("reports:dashboard"), {"programme": "x"})
    assert response.status_code == 400


def test_the_dashboard_links_the_downloads(client, ministry_officer, run):
    client.force_login(ministry_officer)

    page = client.get(reverse("reports:dashboard"), {"year": run.year}).content.decode()

    assert f'{reverse("reports:export_xlsx")}?year={run.year}' in page
    assert f'{reverse("reports:export_csv")}?year={run.year}' in page
    for key in ("summary", "years", "gender", "funnel"):
        assert f"table={key}" in page


def test_a_filtered_download_keeps_the_filter(client, ministry_officer, run, populated):
    client.force_login(ministry_officer)

    response = client.get(reverse("reports:export_csv"),
                          {"year": run.year, "run": run.pk + 1000, "table": "summary"})

    assert f"aimd-stats-{run.year}-run{run.pk + 1000}-summary.csv" in \
        response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content)
                                       .decode("utf-8-sig"))))
    assert rows[1][2] == "0"  # no such run: nobody certified


# --- manage.py export_stats ------------------------------------------------------------------
def test_export_stats_csv(run, populated):
    out = io.StringIO()

    call_command("export_stats", "--year", str(run.year), "--format", "csv",
                 "--language", "en", stdout=out)

    text = out.getvalue()
    assert not text.startswith("\ufeff")  # no byte-order mark in a pipe
    sections = parse_csv_sections(text)
    assert sections[f"Certified in {run.year} against the target"][1][2] == "6"
    assert_no_people(text, populated)


def test_export_stats_json(run, populated):
    out = io.StringIO()

    call_command("export_stats", "--year", str(run.year), "--format", "json", stdout=out)

    document = json.loads(out.getvalue())
    tables = {t["key"]: t for t in document["tables"]}
    assert document["year"] == run.year
    assert document["suppression_threshold"] == 5
    assert tables["summary"]["rows"] == [[run.year, 40, 6, 15.0, 14, 14, 6, 1, 42.9]]
    assert ["x", 0] in [row[1:] for row in tables["participant_status"]["rows"]]
    assert_no_people(out.getvalue(), populated)


def test_export_stats_xlsx_to_a_file(run, populated, tmp_path):
    path = tmp_path / "stats.xlsx"

    call_command("export_stats", "--year", str(run.year), "--format", "xlsx",
                 "--output", str(path), stderr=io.StringIO())

    book = openpyxl.load_workbook(path)
    assert len(book.sheetnames) == len(report_tables(year=run.year))
    assert book.worksheets[0]["C2"].value == 6


def test_export_stats_xlsx_has_a_default_name(run, populated, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    call_command("export_stats", "--year", str(run.year), "--format", "xlsx",
                 stderr=io.StringIO())

    assert openpyxl.load_workbook(tmp_path / f"aimd-stats-{run.year}.xlsx").sheetnames


def test_export_stats_refuses_a_bad_year(db):
    with pytest.raises(CommandError, match="2000"):
        call_command("export_stats", "--year", "1999")
