"""How runs read on the programme page and in the catalogue filters (issue 16)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone, translation

from courses.selectors import catalogue_listing
from tests.courses.factories import ProgrammeRunFactory, programme_create
from tests.courses.learner_side import body, closed_run, profile_complete, upcoming_run

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _korean():
    with translation.override("ko"):
        yield


def run_row(html, number):
    """The <tr> of run ``number`` on a programme page."""
    rows = html.split('<tbody>')[1].split("</tbody>")[0].split("<tr>")[1:]
    return next(r for r in rows if f"{number}회차" in r.split("</th>")[0])


@pytest.fixture
def signed_in(client, learner):
    profile_complete(learner)
    client.force_login(learner)
    return learner


def test_a_run_whose_enrolment_closed_shows_a_closed_state_and_no_button(client, programme,
                                                                        signed_in):
    run = closed_run(programme, 2)

    row = run_row(body(client.get(programme.url)), run.number)

    assert "<button" not in row
    assert 'class="run-closed" data-state="closed"' in row
    closes = timezone.localtime(run.enrolment_closes_at)
    assert f"{closes.year}년 {closes.month}월 {closes.day}일에 신청이 마감되었습니다." in row


def test_a_run_that_has_ended_says_so(client, programme, signed_in):
    today = timezone.localdate()
    run = ProgrammeRunFactory(programme=programme, number=3,
                              starts_on=today - dt.timedelta(days=90),
                              ends_on=today - dt.timedelta(days=10),
                              enrolment_opens_at=timezone.now() - dt.timedelta(days=120),
                              enrolment_closes_at=timezone.now() - dt.timedelta(days=95))

    row = run_row(body(client.get(programme.url)), run.number)

    assert "<button" not in row
    ended = run.ends_on
    assert f"이 회차는 {ended.year}년 {ended.month}월 {ended.day}일에 끝났습니다." in row


def test_closed_runs_show_the_same_state_to_visitors(client, programme):
    run = closed_run(programme, 2)

    row = run_row(body(client.get(programme.url)), run.number)

    assert 'data-state="closed"' in row
    assert "button" not in row


def test_an_open_run_keeps_its_enrol_button(client, programme, run, signed_in):
    row = run_row(body(client.get(programme.url)), run.number)

    assert '<button type="submit" class="button button--small">' in row
    assert "run-closed" not in row


def test_a_run_not_open_yet_says_when_it_opens_without_a_button(client, programme, signed_in):
    run = upcoming_run(programme, 4)

    row = run_row(body(client.get(programme.url)), run.number)

    assert "<button" not in row
    assert "신청 시작" in row


# --- Catalogue: status and year judge the same run ------------------------------------------


def test_open_and_year_filters_need_one_run_that_is_both(catalogue, programme):
    # Given: the programme's only open run is this year's; its 2023 run closed long ago
    this_year = ProgrammeRunFactory(programme=programme, number=2)
    ProgrammeRunFactory(programme=programme, number=1, year=2023,
                        enrolment_opens_at=timezone.now() - dt.timedelta(days=900),
                        enrolment_closes_at=timezone.now() - dt.timedelta(days=800))
    old_and_open = programme_create(parent=catalogue, title="품질 AI", slug="quality-ai")
    ProgrammeRunFactory(programme=old_and_open, number=1, year=2023)

    listing = catalogue_listing(catalogue=catalogue, params={"status": "open", "year": "2023"})

    # Then: only the programme whose 2023 run is open, and its card shows that run
    assert [c.page.pk for c in listing.cards] == [old_and_open.pk]
    assert listing.cards[0].open_run.run.year == 2023
    both = catalogue_listing(catalogue=catalogue,
                             params={"status": "open", "year": str(this_year.year)})
    assert programme.pk in [c.page.pk for c in both.cards]


def test_the_year_filter_shows_that_years_run_on_the_card(client, catalogue, programme):
    ProgrammeRunFactory(programme=programme, number=2)  # open, this year
    ProgrammeRunFactory(programme=programme, number=1, year=2023,
                        enrolment_opens_at=timezone.now() - dt.timedelta(days=900),
                        enrolment_closes_at=timezone.now() - dt.timedelta(days=800))

    html = body(client.get("/ko/", {"year": "2023"}))
    filtered = body(client.get("/ko/", {"year": "2023", "status": "open"}))

    card = html.split('class="card"')[1]
    assert "badge--closed" in card  # the 2023 run is closed: not "open, run 2"
    assert "badge--open" not in card
    assert 'class="card"' not in filtered
