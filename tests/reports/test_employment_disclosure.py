"""The employment rate as an attacker reads it: the API's employment table over every filter,
solved by integer programming (``tests/reports/disclosure.py``). No hidden count from 1 to 4
may be narrowed; without the complementary protection, the audit must find some."""

import datetime as dt
import random

import pytest
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from courses.models import ProgrammeRun
from lms.certificates.models import Certificate
from lms.outcomes.definitions import (
    EMPLOYED,
    RATE_MONTHS,
    RateClass,
    months_after,
    rate_class,
)
from lms.outcomes.selectors import year_bounds
from lms.reports.api_tokens import api_token_create
from tests.courses.factories import ProgrammeRunFactory, programme_create
from tests.reports.disclosure import employment_attack_build, employment_var
from tests.reports.employment_population import answer, completers, seoul

pytestmark = pytest.mark.django_db

YEAR = 2025
JOBS = ("insured_employee", "insured_employee", "insured_employee", "freelancer",
        "self_employed", "employed_abroad")
SIZES = ("1-49", "1-49", "50-299", "300-499", "500+", "")
PAYS = ("lt200", "200-249", "250-299", "250-299", "300-399", "400+", "")


def _answers(rng: random.Random) -> list[dict]:
    issued = rng.choice(["employed_3", "employed_6", "employed_6", "not_employed", "study",
                         "military", "silent", "no_consent", "late"])

    def job(months, employed_on=None):
        return answer(months, rng.choice(JOBS), employed_on=employed_on,
                      size=rng.choice(SIZES), pay=rng.choice(PAYS),
                      ai=rng.choice([True, True, False, None]))

    return {
        "employed_3": lambda: [job(3), rng.choice([job(6), answer(6, "not_employed")])],
        "employed_6": lambda: [answer(3, "not_employed"), job(6)],
        "not_employed": lambda: [answer(3, "not_employed"), answer(6, "not_employed")],
        "study": lambda: [answer(3, "not_employed"), answer(6, "further_study")],
        "military": lambda: [answer(3, "military_service")],
        "silent": lambda: [answer(3, "no_answer"), answer(6, "no_answer")],
        "no_consent": lambda: [],
        "late": lambda: [answer(6, "insured_employee", employed_on=dt.date(YEAR + 1, 12, 1),
                                size="500+", pay="400+", ai=True)],
    }[issued]()


# Completers per run (the run's year, how many): small runs and small groups to protect.
SHAPES = {7: (((2025, 30), (2025, 7)), ((2024, 4), (2025, 16))),
          3: (((2025, 22), (2025, 3)), ((2024, 9), (2025, 12)))}


@pytest.fixture(params=sorted(SHAPES), ids=lambda seed: f"seed{seed}")
def population(request, catalogue, programme):
    cache.clear()  # the protection is cached by the counts
    seed = request.param
    rng = random.Random(seed)  # noqa: S311 - test data
    second = programme_create(parent=catalogue, title="품질 AI", slug="quality-ai")
    for page, shape in zip((programme, second), SHAPES[seed], strict=True):
        for number, (year, size) in enumerate(shape, start=1):
            run = ProgrammeRunFactory(programme=page, number=number, year=year,
                                      starts_on=dt.date(year, 3, 2),
                                      ends_on=dt.date(year, 6, 30))
            for index in range(size):
                issued = seoul(YEAR, 1, 20, 10) if year < YEAR else seoul(
                    YEAR, rng.randint(2, 12), rng.randint(1, 28), 10)
                completers(run, 1, issued_at=issued, answers=_answers(rng),
                           revoked=index == 5)


def truth_of(year: int) -> dict[str, int]:
    """The true counts, from the certificates and their answers, by the definitions."""
    truth: dict[str, int] = {}
    start, end = year_bounds(year=year)
    today = timezone.localdate()
    for certificate in (Certificate.objects.filter(revoked_at__isnull=True,
                                                   issued_at__gte=start, issued_at__lt=end)
                        .select_related("enrolment").prefetch_related("outcomes")):
        completed_on = timezone.localdate(certificate.issued_at)
        outcomes = [o for o in certificate.outcomes.all() if o.status]
        kind = rate_class(completed_on=completed_on, today=today,
                          window_days=settings.OUTCOMES_ANSWER_WINDOW_DAYS,
                          answers=[(o.months, o.status, o.employed_on) for o in outcomes])
        run = certificate.enrolment.run_id
        parts = {RateClass.EMPLOYED: ["E"], RateClass.NOT_EMPLOYED: ["N"],
                 RateClass.NO_ANSWER: ["U"]}.get(kind, [])
        if kind == RateClass.EMPLOYED:
            limit = months_after(completed_on, RATE_MONTHS)
            job = max((o for o in outcomes if o.months <= RATE_MONTHS and o.status in EMPLOYED
                       and (o.employed_on is None or o.employed_on <= limit)),
                      key=lambda o: o.months)
            parts += ["L"] * (job.employer_size == "500+") + ["A"] * (job.uses_ai is True)
            parts.append(f"B:{job.pay_band or 'none'}")
        for part in parts:
            name = employment_var(run, part)
            truth[name] = truth.get(name, 0) + 1
    return truth


def published_attack(client, officer):
    _token, raw = api_token_create(user=officer, name="audit")
    headers = {"Authorization": f"Bearer {raw}"}
    url = reverse("reports_api:year", kwargs={"year": YEAR})

    def employment(**params):
        response = client.get(url, params, headers=headers)
        assert response.status_code == 200, response.content
        return response.json()["employment"]

    whole = employment()
    runs = sorted({int(row["key"]) for row in whole["rows"] if row["level"] == "run"})
    programme_of = {r.pk: str(r.programme.translation_key)
                    for r in ProgrammeRun.objects.filter(pk__in=runs).select_related(
                        "programme")}
    documents = [whole]
    documents += [employment(programme=key) for key in sorted(set(programme_of.values()))]
    documents += [employment(run=run) for run in runs]
    truth = truth_of(YEAR)
    attack = employment_attack_build(threshold=settings.REPORTS_SUPPRESSION_THRESHOLD,
                                     documents=documents, runs=runs,
                                     programme_of=programme_of, truth=truth)
    return attack, truth, documents


def test_no_hidden_small_employment_count_can_be_narrowed(client, ministry_officer,
                                                          population):
    attack, truth, documents = published_attack(client, ministry_officer)

    assert attack.check_truth(truth) == []  # the model reads the figures right
    assert len(attack.hidden) >= 10  # small groups to protect
    assert attack.narrowed() == []
    # The year's rate is still published.
    assert documents[0]["rows"][0]["employment_rate_percent"] is not None


def test_the_audit_finds_what_small_count_suppression_alone_gives_away(
        client, ministry_officer, population, monkeypatch):
    monkeypatch.setattr("lms.reports.employment.table_verify",
                        lambda *, states, **_table: states)

    attack, truth, _documents = published_attack(client, ministry_officer)

    assert attack.check_truth(truth) == []
    assert attack.narrowed() != []
