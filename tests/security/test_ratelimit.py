"""Rate limits: the fixed-window counter (lms.core.ratelimit) and the learner's submissions
(GRADING_SUBMIT_RATE), which are refused with 429 before anything is stored."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from grading.models import Submission
from lms.core import ratelimit
from lms.core.ratelimit import Rate, rate_limit_hit, rate_parse
from tests.grading.conftest import notebook_with

TOO_OFTEN = "You are submitting too often"


@pytest.mark.parametrize(("value", "rate"), [
    ("10/m", Rate(10, 60)), ("30/5m", Rate(30, 300)), ("100/h", Rate(100, 3600)),
    ("3/20s", Rate(3, 20)), (" 500 / d ", Rate(500, 86400)), ("", None), ("  ", None),
])
def test_rates_are_parsed(value, rate):
    assert rate_parse(value) == rate


@pytest.mark.parametrize("value", ["10", "ten/m", "10/w", "0/m", "10/0m", "-1/m"])
def test_a_malformed_rate_is_a_configuration_error_that_says_the_form(value):
    with pytest.raises(ImproperlyConfigured, match="10/m"):
        rate_parse(value)


class FakeClock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock(60.0 * 28_333_333)  # the start of a minute
    monkeypatch.setattr(ratelimit.time, "time", fake)
    return fake


def test_hits_past_the_rate_are_refused_until_the_next_window(clock):
    allowed = [rate_limit_hit(scope="t", ident=1, rate="3/m").allowed for _ in range(3)]
    clock.now += 45
    refused = rate_limit_hit(scope="t", ident=1, rate="3/m")
    clock.now += 15
    next_window = rate_limit_hit(scope="t", ident=1, rate="3/m")

    assert allowed == [True, True, True]
    assert not refused.allowed
    assert refused.retry_after == 15
    assert next_window.allowed


def test_each_ident_and_scope_has_its_own_count(clock):
    for _ in range(2):
        rate_limit_hit(scope="t", ident=1, rate="2/m")

    assert not rate_limit_hit(scope="t", ident=1, rate="2/m").allowed
    assert rate_limit_hit(scope="t", ident=2, rate="2/m").allowed
    assert rate_limit_hit(scope="other", ident=1, rate="2/m").allowed


def test_no_rate_means_no_limit(clock):
    assert all(rate_limit_hit(scope="t", ident=1, rate="").allowed for _ in range(100))


def test_a_cache_failure_lets_the_hit_through(monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(ratelimit.cache, "add", broken)

    assert rate_limit_hit(scope="t", ident=1, rate="1/m").allowed
    assert "cache is unavailable" in caplog.text


# --- Submissions ----------------------------------------------------------------------------


def _upload(client, key: str, answer: str, *, json: bool = True):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {"notebook": SimpleUploadedFile("squares.ipynb", notebook_with(answer))}
    headers = {"HTTP_ACCEPT": "application/json"} if json else {}
    return client.post(f"/en/grading/assignments/{key}/submit/", data, **headers)


@pytest.mark.django_db
def test_submissions_past_the_rate_get_429_and_store_nothing(client, settings,
                                                              released_assignment,
                                                              enrolled_learner):
    settings.GRADING_SUBMIT_RATE = "2/m"
    client.force_login(enrolled_learner)

    accepted = [_upload(client, "squares", f"def square(x):\n    return x * x  # {n}")
                for n in range(2)]
    refused = _upload(client, "squares", "def square(x):\n    return x ** 2")

    assert [r.status_code for r in accepted] == [200, 200]
    assert refused.status_code == 429
    assert TOO_OFTEN in refused.json()["message"]
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert Submission.objects.filter(learner=enrolled_learner).count() == 2


@pytest.mark.django_db
def test_the_module_page_tells_a_learner_who_submits_too_often(client, settings,
                                                                released_assignment,
                                                                enrolled_learner):
    settings.GRADING_SUBMIT_RATE = "1/m"
    client.force_login(enrolled_learner)
    _upload(client, "squares", "def square(x):\n    return x * x", json=False)

    response = _upload(client, "squares", "def square(x):\n    return x ** 2", json=False)
    page = client.get(response["Location"])

    assert response.status_code == 302
    assert response["Location"].endswith("#assignment-squares")
    assert TOO_OFTEN in page.content.decode()
    assert Submission.objects.filter(learner=enrolled_learner).count() == 1


@pytest.mark.django_db
def test_lab_submissions_share_the_learners_budget(client, settings, released_assignment,
                                                   enrolled_learner):
    settings.GRADING_SUBMIT_RATE = "1/m"
    client.force_login(enrolled_learner)
    assert _upload(client, "squares", "def square(x):\n    return x * x").status_code == 200

    response = client.post("/en/grading/assignments/squares/lab/submit/",
                           HTTP_ACCEPT="application/json")

    assert response.status_code == 429
    assert TOO_OFTEN in response.json()["message"]


@pytest.mark.django_db
def test_each_learner_has_their_own_budget(client, settings, released_assignment,
                                           enrolled_learner, other_learner):
    settings.GRADING_SUBMIT_RATE = "1/m"
    client.force_login(enrolled_learner)
    _upload(client, "squares", "def square(x):\n    return x * x")
    client.force_login(other_learner)

    assert _upload(client, "squares", "def square(x):\n    return x * x").status_code == 200
