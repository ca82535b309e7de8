"""The employment rate's rule (``definitions.rate_class``) on a population with known answers:
exact employed, counted, responded, 500+, AI and pay figures of a completion year."""

import datetime as dt

import pytest

from lms.outcomes.definitions import RateClass
from lms.outcomes.selectors import completions_rated
from lms.reports.employment import employment_table
from tests.courses.conftest import catalogue, locales, programme  # noqa: F401 - fixtures
from tests.courses.factories import ProgrammeRunFactory
from tests.reports.employment_population import TODAY, answer, completers, seoul

pytestmark = pytest.mark.django_db

YEAR = 2026
EARLY = seoul(2026, 1, 15, 14)  # due on 2026-08-14: counted on TODAY
LIMIT = dt.date(2026, 7, 15)  # six months after EARLY


@pytest.fixture
def population(programme):  # noqa: F811 - the fixture
    run = ProgrammeRunFactory(programme=programme, number=1, year=2025,
                              starts_on=dt.date(2025, 9, 1), ends_on=dt.date(2026, 1, 10))
    groups = {
        # employed at +3 in a large firm, with AI
        "employed_3": completers(run, 5, issued_at=EARLY, answers=[
            answer(3, "insured_employee", employed_on=dt.date(2026, 3, 2), size="500+",
                   pay="300-399", ai=True)]),
        # employed at +3, not employed at +6: employed within 6 months
        "employed_then_not": completers(run, 5, issued_at=EARLY, answers=[
            answer(3, "freelancer", size="1-49", pay="lt200", ai=False),
            answer(6, "not_employed")]),
        # not employed at +3, self-employed at +6 within the limit; pay and AI left blank
        "employed_6": completers(run, 5, issued_at=EARLY, answers=[
            answer(3, "not_employed"),
            answer(6, "self_employed", employed_on=LIMIT, size="50-299")]),
        # employed, but after six months: not employed, yet answered
        "employed_late": completers(run, 5, issued_at=EARLY, answers=[
            answer(3, "not_employed"),
            answer(6, "insured_employee", employed_on=LIMIT + dt.timedelta(days=1),
                   size="500+", pay="400+", ai=True)]),
        "not_employed": completers(run, 5, issued_at=EARLY, answers=[
            answer(3, "not_employed"), answer(6, "not_employed")]),
        # further study or military service: out of the denominator
        "further_study": completers(run, 5, issued_at=EARLY, answers=[
            answer(3, "not_employed"), answer(6, "further_study")]),
        "military": completers(run, 5, issued_at=EARLY, answers=[
            answer(3, "military_service"), answer(6, "no_answer")]),
        # no answer: counted, not employed
        "no_consent": completers(run, 5, issued_at=EARLY),
        "no_answer": completers(run, 5, issued_at=EARLY, answers=[
            answer(3, "no_answer"), answer(6, "no_answer")]),
        # completed in June: not due on TODAY
        "pending": completers(run, 5, issued_at=seoul(2026, 6, 20, 10), answers=[
            answer(3, "insured_employee", size="500+", pay="400+", ai=True)]),
        "revoked": completers(run, 5, issued_at=EARLY, revoked=True, answers=[
            answer(3, "insured_employee", size="500+", pay="400+", ai=True)]),
        # 00:30 on New Year's Day in Seoul (15:30 UTC the day before): a 2026 completion
        "new_year_seoul": completers(run, 5, issued_at=seoul(2026, 1, 1, 0, 30), answers=[
            answer(3, "insured_employee", size="500+", pay="250-299", ai=True)]),
        # 23:30 on New Year's Eve in Seoul: a 2025 completion
        "old_year_seoul": completers(run, 5, issued_at=seoul(2025, 12, 31, 23, 30), answers=[
            answer(3, "insured_employee", size="500+", pay="250-299", ai=True)]),
    }
    return run, groups


def test_each_completion_is_classed_by_the_one_rule(population):
    _run, groups = population

    classes = {c.certificate_id: c.rate_class
               for c in completions_rated(year=YEAR, today=TODAY)}

    expected = {"employed_3": RateClass.EMPLOYED, "employed_then_not": RateClass.EMPLOYED,
                "employed_6": RateClass.EMPLOYED, "employed_late": RateClass.NOT_EMPLOYED,
                "not_employed": RateClass.NOT_EMPLOYED, "further_study": RateClass.EXCLUDED,
                "military": RateClass.EXCLUDED, "no_consent": RateClass.NO_ANSWER,
                "no_answer": RateClass.NO_ANSWER, "pending": RateClass.PENDING,
                "new_year_seoul": RateClass.EMPLOYED}
    for name, kind in expected.items():
        assert {classes[c.pk] for c in groups[name]} == {kind}, name
    # Revoked certificates and the other year's completions are not there at all.
    assert not {c.pk for c in groups["revoked"] + groups["old_year_seoul"]} & set(classes)
    assert len(classes) == 5 * len(expected)


def test_the_year_figures_are_exact(population):
    table = employment_table(year=YEAR, today=TODAY)

    year = table.rows[0]
    values = {m: cell.value for m, cell in year.cells.items()}
    # counted: 4 employed groups... employed 3+then-not+6+new year (20), answered not
    # employed 10, no answer 10; excluded and pending out.
    assert values["counted"] == 40
    assert values["employed"] == 20
    assert values["responded"] == 30
    assert values["large"] == 10  # +3 large and the New Year's; the late one is not employed
    assert values["ai"] == 10
    assert {k: v for k, v in values.items() if k.startswith("pay:")} == {
        "pay:lt200": 5, "pay:200-249": 0, "pay:250-299": 5, "pay:300-399": 5, "pay:400+": 0,
        "pay:none": 5}
    assert year.employment_rate == 0.5
    assert year.response_rate == 0.75
    assert year.large_share == 0.5
    assert year.ai_share == 0.5
    assert table.pending is True


def test_the_other_year_has_its_own_completions(population):
    table = employment_table(year=2025, today=TODAY)

    year = table.rows[0]
    assert year.cells["counted"].value == 5
    assert year.employment_rate == 1.0
    assert table.pending is False


def test_a_completion_is_counted_only_once_its_window_has_ended(population):
    # 2026-08-13: the completions of 15 January are six months and 29 days old (pending);
    # those of New Year's Day entered the rate on 31 July.
    table = employment_table(year=YEAR, today=dt.date(2026, 8, 13))

    assert table.rows[0].cells["counted"].value == 5
    assert table.rows[0].cells["employed"].value == 5
    assert table.pending is True
    assert employment_table(year=YEAR, today=dt.date(2026, 7, 30)).rows == []
