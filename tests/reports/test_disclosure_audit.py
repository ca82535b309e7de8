"""The statistics as an attacker reads them: every published figure, every filter, solved.

A year with two programmes, four runs and small groups is published; the audit reads the API
for the year and every programme and run filter (the dashboard and the downloads show the
same figures), builds the attacker's integer program (``tests/reports/disclosure.py``) and
bounds every hidden count from 1 to 4. It must find nothing; and it must find what an
unprotected release gives away (the second test takes the complementary protection away).
"""

import datetime as dt
import random

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from courses.models import Enrolment, ProgrammeRun
from lms.accounts.models import LearnerProfile, Region
from lms.certificates.models import Certificate
from lms.reports.api_tokens import api_token_create
from lms.reports.selectors import AGE_BANDS
from tests.courses.factories import ProgrammeRunFactory, programme_create
from tests.factories import UserFactory
from tests.reports.disclosure import DIMENSIONS, attack_build

pytestmark = pytest.mark.django_db

YEAR = 2025
STATUSES = ("college_student", "job_seeker", "employed", "other", "")
REGIONS = [r for r, _label in Region.choices]


def _learner(rng: random.Random, *, index: int):
    user = UserFactory()
    consent = rng.random() < 0.85
    LearnerProfile.objects.update_or_create(user=user, defaults={
        "stats_consent": consent, "stats_consent_at": timezone.now() if consent else None,
        "participant_status": rng.choice(STATUSES),
        "gender": rng.choice(["male", "female", "female", "prefer_not_to_say", ""]),
        # Most in three regions; a few alone in their region: the small groups.
        "region": rng.choice(["seoul", "gyeonggi", "busan"]) if index % 7 else
        rng.choice(REGIONS),
        "ai_major": rng.choice([False, False, False, True, None]),
        "birth_year": rng.choice([None, YEAR - 19, YEAR - 25, YEAR - 33, YEAR - 47, YEAR - 61]),
    })
    return user


def _enrol(rng, user, run, serials):
    status = rng.choices(["completed", "enrolled", "dropped", "applied"], [5, 3, 2, 1])[0]
    enrolment = Enrolment.objects.create(
        learner=user, run=run, status=status, enrolled_at=timezone.now(),
        dropped_at=timezone.now() if status == "dropped" else None,
        drop_reason="사유" if status == "dropped" else "")
    if status == "completed":
        serials[0] += 1
        Certificate.objects.create(
            enrolment=enrolment, serial=f"AIMD-{YEAR}-{serials[0]:06d}",
            holder_name="-", programme_title="-", hours=10,
            # One in ten revoked: revoked certificates leave completed and certified.
            revoked_at=timezone.now() if serials[0] % 10 == 0 else None,
            revoked_reason="부정 행위" if serials[0] % 10 == 0 else "")
    return enrolment


# Two populations: the seed picks the answers and outcomes, the sizes the shape of the year.
SHAPES = {15: ((34, 6), (22, 3)), 4: ((12, 9), (5, 2))}


@pytest.fixture(params=sorted(SHAPES), ids=lambda seed: f"seed{seed}")
def population(request, catalogue, programme):
    """Two programmes, two runs each in the year (small ones too), learners with small
    groups."""
    seed = request.param
    second = programme_create(parent=catalogue, title="품질 AI", slug="quality-ai")
    runs = []
    for page, sizes in zip((programme, second), SHAPES[seed], strict=True):
        for number, size in enumerate(sizes, start=1):
            run = ProgrammeRunFactory(programme=page, number=number, year=YEAR,
                                      starts_on=dt.date(YEAR, 3 * number, 2),
                                      ends_on=dt.date(YEAR, 3 * number + 2, 28))
            runs.append((run, size))
    rng = random.Random(seed)  # noqa: S311 - test data
    serials, index = [0], 0
    for run, size in runs:
        for _ in range(size):
            index += 1
            _enrol(rng, _learner(rng, index=index), run, serials)
    # A learner who moved runs: one person, two enrolments.
    mover = _learner(rng, index=1)
    _enrol(rng, mover, runs[0][0], serials)
    _enrol(rng, mover, runs[2][0], serials)
    return [run for run, _size in runs]


def _category(profile, dimension, year):
    if profile is None or not profile.stats_consent:
        return "None"
    if dimension == "age_band":
        if profile.birth_year is None:
            return "None"
        age = year - profile.birth_year
        return next((k for k, _l, low, high in AGE_BANDS if low <= age <= high), "None")
    value = getattr(profile, dimension)
    if dimension == "ai_major":
        return str(value)
    return value or "None"


def truth_of(year: int, version: int) -> dict[str, int]:
    """The true counts behind every unknown of the attacker's model."""
    truth: dict[str, int] = {}

    def add(name, n=1):
        truth[name] = truth.get(name, 0) + n

    valid = set(Certificate.objects.filter(revoked_at__isnull=True)
                .values_list("enrolment_id", flat=True))
    for e in Enrolment.objects.filter(run__year=year).select_related("learner__profile"):
        run = e.run_id
        add(f"N[{run},applicants]")
        if e.status not in ("enrolled", "completed", "dropped"):
            continue
        profile = getattr(e.learner, "profile", None)
        add(f"N[{run},enrolled]")
        add(f"N[{run},dropped]", e.status == "dropped")
        add(f"N[{run},completed]", e.pk in valid)
        add(f"S[{run}]", e.status == "completed")
        if version < 2 and not (profile and profile.stats_consent):
            continue
        add(f"K[{run},enrolled]")
        add(f"K[{run},certified]", e.pk in valid)
        for dimension in DIMENSIONS:
            category = _category(profile, dimension, year)
            add(f"X[{run},{dimension},{category},enrolled]")
            add(f"X[{run},{dimension},{category},certified]", e.pk in valid)
    return truth


def published_attack(client, officer):
    """Everything the API publishes for the year, over every filter, as the attacker's model."""
    _token, raw = api_token_create(user=officer, name="audit")
    headers = {"Authorization": f"Bearer {raw}"}

    def get(path, **params):
        response = client.get(path, params, headers=headers)
        assert response.status_code == 200, response.content
        return response.json()

    url = reverse("reports_api:year", kwargs={"year": YEAR})
    runs = list(ProgrammeRun.objects.filter(year=YEAR).select_related("programme"))
    programme_of = {r.pk: str(r.programme.translation_key) for r in runs}
    documents = [(get(url), [r.pk for r in runs])]
    for key in sorted(set(programme_of.values())):
        documents.append((get(url, programme=key),
                          [r for r, p in programme_of.items() if p == key]))
    for run in runs:
        documents.append((get(url, run=run.pk), [run.pk]))
    version = documents[0][0].get("definitions_version") or 1
    truth = truth_of(YEAR, version)
    attack = attack_build(threshold=settings.REPORTS_SUPPRESSION_THRESHOLD,
                          years_document=get(reverse("reports_api:years")),
                          documents=documents, runs_of_year={YEAR: [r.pk for r in runs]},
                          programme_of=programme_of, truth=truth)
    return attack, truth


def test_no_hidden_small_count_can_be_narrowed_from_everything_published(
        client, ministry_officer, population):
    attack, truth = published_attack(client, ministry_officer)

    assert attack.check_truth(truth) == []  # the model reads the figures right
    assert len(attack.hidden) >= 10  # the population has small groups to protect
    assert attack.narrowed() == []


def test_the_audit_finds_what_a_release_without_complementary_protection_gives_away(
        client, ministry_officer, population, monkeypatch):
    # Only the small counts hidden, nothing more (no complementary cells, no check of the
    # hierarchy): differencing across rows, programmes and runs gives some of them back, and
    # the audit must say which.
    def primary_only(values, **_bounds):
        threshold = settings.REPORTS_SUPPRESSION_THRESHOLD
        return ["small" if 0 < v < threshold else "shown" for v in values], True

    monkeypatch.setattr("lms.reports.selectors.column_protect", primary_only)
    monkeypatch.setattr("lms.reports.selectors.hierarchy_verify",
                        lambda *, states, **_figures: states)
    attack, truth = published_attack(client, ministry_officer)

    assert attack.check_truth(truth) == []
    assert attack.narrowed() != []
