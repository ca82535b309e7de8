import pytest
from django.urls import reverse
from django.utils import timezone, translation

from lms.accounts.forms import ProfileForm
from lms.accounts.services import profile_update

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Form messages are asserted in English; the Korean page test asks for /ko/ itself."""
    with translation.override("en"):
        yield

VALID = {
    "full_name": "김하늘",
    "participant_status": "employed",
    "ai_major": "no",
    "birth_year": "1990",
    "region": "gyeonggi",
    "gender": "",
    "stats_consent": "on",
}


def test_profile_form_accepts_a_valid_profile():
    form = ProfileForm(VALID)

    assert form.is_valid(), form.errors
    assert form.cleaned_data["ai_major"] is False
    assert form.cleaned_data["birth_year"] == 1990


@pytest.mark.parametrize("year", ["1850", str(timezone.localdate().year + 1), "3000"])
def test_profile_form_refuses_an_impossible_birth_year(year):
    form = ProfileForm({**VALID, "birth_year": year})

    assert not form.is_valid()
    assert "birth_year" in form.errors
    assert "1930" in form.errors["birth_year"][0]


def test_profile_form_refuses_a_birth_year_that_is_not_a_number():
    form = ProfileForm({**VALID, "birth_year": "nineteen ninety"})

    assert not form.is_valid()
    assert "four digits" in form.errors["birth_year"][0]


def test_profile_form_refuses_an_unknown_region():
    form = ProfileForm({**VALID, "region": "atlantis"})

    assert not form.is_valid()
    assert form.errors["region"] == ["Choose one of the 17 cities and provinces."]


def test_profile_form_refuses_an_unknown_participant_status():
    form = ProfileForm({**VALID, "participant_status": "astronaut"})

    assert not form.is_valid()
    assert "participant_status" in form.errors


def test_profile_page_shows_errors_in_korean_and_keeps_the_answers(client, user):
    client.force_login(user)

    response = client.post("/ko/accounts/profile/", {**VALID, "region": "atlantis"})

    assert response.status_code == 200
    body = response.content.decode()
    assert "17개 시·도 중 하나를 선택하세요." in body
    assert 'value="1990"' in body
    user.profile.refresh_from_db()
    assert user.profile.region == ""


def test_profile_page_saves_and_records_consent_time(client, user):
    client.force_login(user)

    response = client.post(reverse("profile"), VALID)

    assert response.status_code == 302
    profile = user.profile
    profile.refresh_from_db()
    assert profile.is_complete
    assert profile.stats_consent is True
    assert profile.stats_consent_at is not None


def test_withdrawing_consent_clears_its_time(user):
    data = {"full_name": "x", "participant_status": "other", "ai_major": True, "gender": "",
            "birth_year": 1980, "region": "jeju"}
    profile_update(user=user, stats_consent=True, **data)

    profile = profile_update(user=user, stats_consent=False, **data)

    assert profile.stats_consent is False
    assert profile.stats_consent_at is None


def test_consent_time_is_kept_when_consent_is_confirmed_again(user):
    data = {"full_name": "x", "participant_status": "other", "ai_major": True, "gender": "",
            "birth_year": 1980, "region": "jeju"}
    first = profile_update(user=user, stats_consent=True, **data).stats_consent_at

    again = profile_update(user=user, stats_consent=True, **data).stats_consent_at

    assert again == first


def test_profile_page_requires_login(client):
    response = client.get(reverse("profile"))

    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]
