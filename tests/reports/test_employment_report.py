"""The employment rate per programme and run, and the same figures (or the same "x") on the
dashboard, in the CSV and XLSX downloads and the API; its schema; a fixed number of queries."""

import csv
import io
import json
import re

import openpyxl
import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from lms.reports.aggregates import statistics_catch_up
from lms.reports.api_tokens import api_token_create
from lms.reports.employment import employment_table
from tests.courses.factories import ProgrammeRunFactory, programme_create
from tests.reports.employment_population import answer, completers, seoul

pytestmark = pytest.mark.django_db

YEAR = 2025
ISSUED = seoul(YEAR, 3, 10, 11)

LARGE_AI = answer(3, "insured_employee", size="500+", pay="300-399", ai=True)
SMALL_FIRM = answer(6, "freelancer", size="1-49", pay="lt200", ai=False)
MID_AI = answer(3, "self_employed", size="50-299", pay="400+", ai=True)
NOT_EMPLOYED = answer(6, "not_employed")
SILENT = answer(6, "no_answer")


@pytest.fixture
def runs(catalogue, programme):
    cache.clear()
    second = programme_create(parent=catalogue, title="품질 AI", slug="quality-ai")
    first_run = ProgrammeRunFactory(programme=programme, number=1, year=YEAR)
    second_run = ProgrammeRunFactory(programme=programme, number=2, year=YEAR)
    # A 2024 run whose certificates were issued in 2025: a 2025 completion.
    third_run = ProgrammeRunFactory(programme=second, number=1, year=YEAR - 1)
    completers(first_run, 10, issued_at=ISSUED, answers=[LARGE_AI])
    completers(first_run, 5, issued_at=ISSUED, answers=[NOT_EMPLOYED])
    completers(first_run, 5, issued_at=ISSUED)
    completers(third_run, 5, issued_at=seoul(YEAR, 1, 20, 10), answers=[MID_AI])
    completers(third_run, 5, issued_at=seoul(YEAR, 1, 20, 10), answers=[SILENT])
    return first_run, second_run, third_run


def _figures(row) -> dict:
    return {m: c.value for m, c in row.cells.items() if c.value}


def test_the_figures_per_year_programme_and_run(runs):
    first_run, second_run, third_run = runs
    completers(second_run, 5, issued_at=ISSUED, answers=[SMALL_FIRM])
    completers(second_run, 5, issued_at=ISSUED, answers=[answer(6, "further_study")])

    table = employment_table(year=YEAR)

    rows = {(r.level, r.label if r.level != "year" else ""): r for r in table.rows}
    assert [(r.level, r.label) for r in table.rows] == [
        ("year", "전체 과정"), ("programme", "제조 AI 기초"), ("run", str(first_run)),
        ("run", str(second_run)), ("programme", "품질 AI"), ("run", str(third_run))]
    assert _figures(rows["run", str(first_run)]) == {
        "counted": 20, "employed": 10, "responded": 15, "large": 10, "ai": 10,
        "pay:300-399": 10}
    assert _figures(rows["run", str(second_run)]) == {
        "counted": 5, "employed": 5, "responded": 5, "pay:lt200": 5}
    assert _figures(rows["programme", "제조 AI 기초"]) == {
        "counted": 25, "employed": 15, "responded": 20, "large": 10, "ai": 10,
        "pay:300-399": 10, "pay:lt200": 5}
    assert _figures(rows["run", str(third_run)]) == _figures(rows["programme", "품질 AI"]) == {
        "counted": 10, "employed": 5, "responded": 5, "ai": 5, "pay:400+": 5}
    year = rows["year", ""]
    assert _figures(year) == {"counted": 35, "employed": 20, "responded": 25, "large": 10,
                              "ai": 15, "pay:300-399": 10, "pay:lt200": 5, "pay:400+": 5}
    assert round(year.employment_rate, 3) == 0.571
    assert rows["run", str(second_run)].employment_rate == 1.0
    assert rows["programme", "제조 AI 기초"].large_share == 10 / 15
    # A filter shows its rows, as the whole year's table has them.
    key = str(third_run.programme.translation_key)
    assert [r.label for r in table.rows_for(programme_key=key)] == ["품질 AI", str(third_run)]
    assert [r.label for r in table.rows_for(run_id=second_run.pk)] == [str(second_run)]


@pytest.fixture
def small_cells(runs):
    _first_run, second_run, _third_run = runs
    completers(second_run, 3, issued_at=ISSUED, answers=[SMALL_FIRM])
    completers(second_run, 4, issued_at=ISSUED, answers=[SILENT])
    return runs


def _api(client, officer, **params):
    _token, raw = api_token_create(user=officer, name="test")
    response = client.get(reverse("reports_api:year", kwargs={"year": YEAR}), params,
                          headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200
    return response.json()["employment"]


API_MEASURES = {"counted": "counted", "employed": "employed", "responded": "responded",
                "large": "employed_large_firm", "ai": "employed_using_ai"}
PAY = ("lt200", "200-249", "250-299", "300-399", "400+", "none")


def _api_cells(document) -> dict:
    cells = {}
    for row in document["rows"]:
        for measure, name in API_MEASURES.items():
            cells[row["level"], row["key"], measure] = row[name]["value"]
        for band in row["pay_bands"]:
            cells[row["level"], row["key"], f"pay:{band['key']}"] = band["employed"]["value"]
    return cells


def test_small_cells_are_hidden_alike_on_the_dashboard_in_downloads_and_the_api(
        client, ministry_officer, small_cells):
    _first_run, second_run, _third_run = small_cells
    api = _api_cells(_api(client, ministry_officer))
    hidden = [k for k, v in api.items() if v is None]
    assert ("run", str(second_run.pk), "employed") in hidden
    assert ("run", str(second_run.pk), "counted") not in hidden  # 7
    client.force_login(ministry_officer)

    with translation.override("en"):
        page = client.get(reverse("reports:dashboard"), {"year": YEAR}).content.decode()
        csv_text = b"".join(client.get(reverse("reports:export_csv"), {
            "year": YEAR, "table": "employment"}).streaming_content).decode("utf-8-sig")
        book = openpyxl.load_workbook(io.BytesIO(b"".join(client.get(
            reverse("reports:export_xlsx"), {"year": YEAR}).streaming_content)))

    shown = {k: ("x" if v is None else str(v)) for k, v in api.items()}
    dashboard = {}
    for level, key, body in re.findall(
            r'<tr data-level="(\w+)" data-key="([^"]+)">(.*?)</tr>', page, re.S):
        for measure, text in re.findall(r'<td data-measure="([^"]+)">([^<(]*)', body):
            dashboard[level, key, measure] = text.strip().replace(",", "")
    assert dashboard == shown
    # The CSV and the sheet: the same rows in the same order, columns by the table's layout.
    order = [(level, key) for level, key, _m in dict.fromkeys(
        (lv, k, None) for lv, k, _m in api)]
    columns = {"counted": 1, "employed": 2, "responded": 4, "large": 6, "ai": 8,
               **{f"pay:{band}": 10 + i for i, band in enumerate(PAY)}}
    csv_rows = list(csv.reader(io.StringIO(csv_text)))[1:]
    sheet = book.worksheets[-1]
    assert sheet.title.startswith("Employment within 6 months")
    sheet_rows = list(sheet.iter_rows(min_row=2, values_only=True))
    for index, (level, key) in enumerate(order):
        for measure, column in columns.items():
            assert csv_rows[index][column] == shown[level, key, measure]
            assert str(sheet_rows[index][column]) == shown[level, key, measure]
        hidden_rate = shown[level, key, "employed"] == "x" or shown[level, key, "counted"] == "x"
        assert (csv_rows[index][3] == "") == hidden_rate
    # A hidden count leaves its rate blank.
    second = next(r for r in _api(client, ministry_officer)["rows"]
                  if r["key"] == str(second_run.pk))
    assert second["employment_rate_percent"] is None
    assert second["large_firm_share_percent"] is None


def test_a_filter_publishes_the_same_cells(client, ministry_officer, small_cells):
    _first_run, second_run, _third_run = small_cells
    whole = _api_cells(_api(client, ministry_officer))

    run_only = _api_cells(_api(client, ministry_officer, run=second_run.pk))
    programme = _api_cells(_api(client, ministry_officer,
                                programme=str(second_run.programme.translation_key)))

    assert run_only
    assert all(whole[k] == v for k, v in run_only.items())
    assert programme
    assert all(whole[k] == v for k, v in programme.items())
    assert {k[0] for k in programme} == {"programme", "run"}


def test_the_table_takes_a_fixed_number_of_queries(runs):
    first_run, *_rest = runs
    statistics_catch_up()  # the completion figures read beside it: counted in advance
    with CaptureQueriesContext(connection) as few:
        employment_table(year=YEAR)
    completers(first_run, 40, issued_at=ISSUED, answers=[LARGE_AI, SMALL_FIRM])
    cache.clear()
    statistics_catch_up()

    with CaptureQueriesContext(connection) as many:
        employment_table(year=YEAR)

    # Three for the table, three for the completion figures of each year of its runs (2).
    assert len(many) == len(few) <= 9


def test_the_dashboard_says_when_no_completion_is_due(client, ministry_officer, run):
    client.force_login(ministry_officer)

    page = client.get(reverse("reports:dashboard"), {"year": 2026}).content.decode()

    assert "data-employment-empty" in page
    assert 'data-table="employment"' not in page


def test_the_schema_describes_the_employment_table(client):
    response = client.get(reverse("reports_api:schema"), {"format": "json"})

    schemas = json.loads(response.content)["components"]["schemas"]
    assert "employment" in schemas["YearReport"]["properties"]
    assert {"level", "key", "programme_key", "label", "counted", "employed", "responded",
            "employed_large_firm", "employed_using_ai", "pay_bands", "employment_rate_percent",
            "response_rate_percent", "large_firm_share_percent", "ai_share_percent"} <= set(
        schemas["EmploymentRow"]["properties"])
    assert {"completion_year", "rate_months", "pending", "rows"} <= set(
        schemas["Employment"]["properties"])
