"""A ministry officer signs in, opens the dashboard, switches the year and downloads the
XLSX: the workbook opens and holds the numbers the page showed. Screenshots are saved."""

import datetime as dt

import pytest
from allauth.account.models import EmailAddress
from django.utils import timezone
from openpyxl import load_workbook

from courses.models import Enrolment
from lms.accounts.models import LearnerProfile
from lms.certificates.models import Certificate
from lms.reports.models import YearlyTarget
from tests.browser.conftest import ARTIFACTS
from tests.courses.factories import ProgrammeRunFactory
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.reports.employment_population import answer, completers, seoul

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _learners(run, n, *, certified, region="seoul"):
    for _ in range(n):
        user = UserFactory()
        LearnerProfile.objects.filter(user=user).update(
            stats_consent=True, stats_consent_at=timezone.now(), region=region,
            participant_status="employed")
        enrolment = Enrolment.objects.create(
            learner=user, run=run, status="completed" if certified else "enrolled",
            enrolled_at=timezone.now())
        if certified:
            Certificate.objects.create(
                enrolment=enrolment, serial=f"AIMD-{run.year}-{enrolment.pk:06d}",
                holder_name=user.full_name, programme_title="산업 AI", hours=120)


def test_officer_switches_the_year_and_downloads_the_xlsx(page, shoot, live_server,
                                                          ministry_officer, programme,
                                                          tmp_path):
    this_year = timezone.localdate().year
    last_year = this_year - 1
    current = ProgrammeRunFactory(programme=programme, number=2, year=this_year)
    previous = ProgrammeRunFactory(
        programme=programme, number=1, year=last_year,
        starts_on=dt.date(last_year, 3, 1), ends_on=dt.date(last_year, 6, 30))
    YearlyTarget.objects.update_or_create(year=last_year, defaults={"target": 400})
    _learners(current, 6, certified=True)
    _learners(previous, 12, certified=True, region="busan")
    _learners(previous, 9, certified=False, region="busan")

    # Signs in through the form (the officer's address was verified when the account was made).
    EmailAddress.objects.create(user=ministry_officer, email=ministry_officer.email,
                                verified=True, primary=True)
    page.goto("/ko/accounts/login/")
    page.fill("input[name=login]", ministry_officer.email)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)

    page.goto("/ko/reports/")
    target = page.locator(".report-target")
    assert target.get_attribute("data-certified") == "6"
    shoot(page, "this-year")

    # Switches the year with the filter form.
    page.select_option("#f-year", str(last_year))
    page.locator("form.report-filters button[type=submit]").click()
    page.wait_for_url(f"**year={last_year}**")
    assert target.get_attribute("data-certified") == "12"
    assert target.get_attribute("data-target") == "400"
    assert "12 / 400 (3%)" in " ".join(target.inner_text().split())
    shoot(page, "last-year")

    # Downloads the workbook of that year.
    with page.expect_download() as download_info:
        page.locator("a[data-export=xlsx]").click()
    download = download_info.value
    assert download.suggested_filename == f"aimd-stats-{last_year}.xlsx"
    path = tmp_path / download.suggested_filename
    download.save_as(path)

    workbook = load_workbook(path, read_only=True)
    summary = list(workbook.worksheets[0].iter_rows(values_only=True))
    header, values = summary[0], summary[1]
    row = dict(zip(header, values, strict=True))
    assert row["연도"] == last_year
    assert row["목표"] == 400
    assert row["수료증 발급"] == 12
    assert row["수강 등록(수료·중도 포기 포함)"] == 21
    sheets = {ws.title: list(ws.iter_rows(values_only=True)) for ws in workbook.worksheets}
    region = next(rows for title, rows in sheets.items() if title == "지역")
    busan = next(r for r in region if r[0] == "부산광역시")
    assert busan[1:] == (21, 12)
    text = " ".join(str(v) for rows in sheets.values() for r in rows for v in r)
    assert ministry_officer.email not in text


def test_officer_reads_the_employment_rate_of_last_year(page, live_server, ministry_officer,
                                                        programme):
    previous = ProgrammeRunFactory(programme=programme, number=1, year=2025,
                                   starts_on=dt.date(2025, 3, 1), ends_on=dt.date(2025, 6, 30))
    issued = seoul(2025, 7, 1, 10)
    completers(previous, 12, issued_at=issued, answers=[
        answer(3, "insured_employee", size="500+", pay="300-399", ai=True)])
    completers(previous, 8, issued_at=issued, answers=[
        answer(6, "freelancer", size="1-49", pay="250-299", ai=False)])
    completers(previous, 3, issued_at=issued, answers=[
        answer(6, "self_employed", size="50-299", pay="400+", ai=True)])
    completers(previous, 9, issued_at=issued, answers=[answer(6, "not_employed")])
    completers(previous, 6, issued_at=issued)
    EmailAddress.objects.create(user=ministry_officer, email=ministry_officer.email,
                                verified=True, primary=True)
    page.goto("/ko/accounts/login/")
    page.fill("input[name=login]", ministry_officer.email)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)

    page.goto("/ko/reports/?year=2025")

    section = page.locator("section[aria-labelledby=employment-heading]")
    assert "수료 후 6개월 이내 취업" in section.locator("h2").inner_text()
    year = section.locator("tr[data-level=year]")
    # 23 employed of 38 counted; the 3 self-employed in the 400+ band are hidden, and a
    # second band with them.
    assert year.locator("td[data-measure=counted]").inner_text() == "38"
    assert year.locator("td[data-measure=employed]").inner_text() == "23"
    assert year.locator("td[data-rate=employment]").inner_text() == "61%"
    assert year.locator("td[data-measure='pay:400+']").inner_text() == "x"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    section.scroll_into_view_if_needed()
    section.screenshot(path=str(ARTIFACTS / "dashboard_employment_ko.png"))
