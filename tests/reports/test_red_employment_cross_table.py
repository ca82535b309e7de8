"""Red team: the employment table is published beside the completion figures of the same
year (the API's ``funnels``, the programme and run breakdowns, the year's exact total), and a
run's completers counted in the employment rate are at most its completers. Read together,
the two tables must not narrow a hidden small count of the employment table.

The case: three runs of one programme; run 1 has 3 completers who never answered; run 2 has
10 completers, run 3 has 11 of whom 2 are in military service. Alone, the employment table
is safe with run 1 and run 3's "counted" hidden ([0, 3] for run 1); but the completion table
hides run 2 and shows run 3's 11 completers, so run 3 counts at most 11 and run 1 at least
1: [1, 3]."""

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from lms.reports.api_tokens import api_token_create
from lms.reports.protection import INF, MEASURES, Attacker, run_var
from tests.courses.factories import ProgrammeRunFactory
from tests.reports.employment_population import answer, completers, seoul

pytestmark = pytest.mark.django_db

YEAR = 2025
ISSUED = seoul(YEAR, 3, 10, 11)
PARTS = {"counted": "ENU", "employed": "E", "responded": "EN"}


@pytest.fixture
def runs(catalogue, programme):
    cache.clear()
    made = [ProgrammeRunFactory(programme=programme, number=n, year=YEAR) for n in (1, 2, 3)]
    completers(made[0], 3, issued_at=ISSUED)
    completers(made[1], 10, issued_at=ISSUED, answers=[answer(6, "insured_employee")])
    completers(made[2], 9, issued_at=ISSUED, answers=[answer(6, "insured_employee")])
    completers(made[2], 2, issued_at=ISSUED, answers=[answer(6, "military_service")])
    return made


def _published(attacker: Attacker, expression: dict, count: dict) -> None:
    if count["value"] is not None:
        attacker.constrain(expression, count["value"], count["value"])


def test_the_completion_figures_do_not_narrow_a_hidden_employment_count(
        client, ministry_officer, runs):
    _token, raw = api_token_create(user=ministry_officer, name="audit")
    document = client.get(reverse("reports_api:year", kwargs={"year": YEAR}),
                          headers={"Authorization": f"Bearer {raw}"}).json()
    ids = [r.pk for r in runs]
    attacker = Attacker()
    for run in ids:
        # The completion table's relations, and: counted in the rate <= completers.
        n = {m: run_var(run, m) for m in MEASURES}
        attacker.constrain({n["completed"]: 1, n["dropped"]: 1, n["enrolled"]: -1}, -INF, 0)
        attacker.constrain({n["enrolled"]: 1, n["applicants"]: -1}, -INF, 0)
        attacker.constrain({n["completed"]: 1, f"E{run}": -1, f"N{run}": -1, f"U{run}": -1},
                           0, INF)
    for measure in ("enrolled", "completed", "dropped"):
        _published(attacker, {run_var(r, measure): 1 for r in ids}, document[measure])
    for funnel in document["funnels"]:
        for measure in ("applicants", "enrolled", "completed"):
            _published(attacker, {run_var(funnel["run_id"], measure): 1}, funnel[measure])
    for breakdown in document["breakdowns"]:
        if breakdown["key"] == "programme":
            for row in breakdown["rows"]:
                _published(attacker, {run_var(r, "completed"): 1 for r in ids},
                           row["certified"])
                _published(attacker, {run_var(r, "enrolled"): 1 for r in ids},
                           row["enrolled"])
    for row in document["employment"]["rows"]:
        members = ids if row["level"] != "run" else [int(row["key"])]
        for measure, parts in PARTS.items():
            _published(attacker, {f"{p}{r}": 1 for r in members for p in parts}, row[measure])

    first = ids[0]
    low, high = attacker.range_of({f"E{first}": 1, f"N{first}": 1, f"U{first}": 1})

    assert high - low >= settings.REPORTS_SUPPRESSION_THRESHOLD - 2, (low, high)
    # The year's rate is still published.
    assert document["employment"]["rows"][0]["employment_rate_percent"] is not None
