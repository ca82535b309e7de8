"""The reports API: bearer tokens (hashed, revocable, expiring), the dashboard's permission,
the dashboard's numbers as JSON without people, and an OpenAPI 3 schema."""

import datetime
import hashlib
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from openapi_spec_validator import validate

from lms.accounts.models import Role
from lms.accounts.services import user_remove_role
from lms.reports.api_tokens import ApiTokenError, api_token_create, api_token_revoke
from lms.reports.models import ApiToken
from tests.courses.conftest import admin_login
from tests.factories import UserFactory
from tests.reports.test_exports import populated  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(ministry_officer):
    return api_token_create(user=ministry_officer, name="MSIT statistics system")


@pytest.fixture
def raw(token):
    return token[1]


def get(client, path, raw=None, keyword="Bearer", **params):
    headers = {"Authorization": f"{keyword} {raw}"} if raw else {}
    return client.get(path, params, headers=headers)


def year_url(year):
    return reverse("reports_api:year", kwargs={"year": year})


# --- authentication --------------------------------------------------------------------------
def test_no_token_is_401_with_a_challenge(client):
    response = get(client, reverse("reports_api:years"))

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("bad", ["aimd_not-a-real-token", "something-else", "a b"])
def test_a_wrong_token_is_401(client, token, bad):
    response = get(client, reverse("reports_api:years"), bad)

    assert response.status_code == 401
    assert "WWW-Authenticate" in response


def test_a_revoked_token_is_401(client, token):
    api_token_revoke(prefix=token[0].prefix)
    assert get(client, reverse("reports_api:years"), token[1]).status_code == 401


def test_an_expired_token_is_401(client, token):
    ApiToken.objects.filter(pk=token[0].pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1))
    assert get(client, reverse("reports_api:years"), token[1]).status_code == 401


def test_a_token_of_an_inactive_user_is_401(client, token, ministry_officer):
    ministry_officer.is_active = False
    ministry_officer.save()
    assert get(client, reverse("reports_api:years"), token[1]).status_code == 401


def test_a_token_whose_owner_may_no_longer_see_reports_is_403(client, token, ministry_officer):
    user_remove_role(user=ministry_officer, role=Role.MINISTRY_OFFICER)

    response = get(client, reverse("reports_api:years"), token[1])

    assert response.status_code == 403


def test_a_learner_gets_no_token(learner):
    with pytest.raises(ApiTokenError):
        api_token_create(user=learner, name="mine")


def test_a_learners_token_is_403(client, learner):
    """A token made for a learner by hand (not through the service) is still refused."""
    raw = "aimd_" + "x" * 43
    ApiToken.objects.create(name="forged", user=learner, prefix=raw[:12],
                            token_hash=hashlib.sha256(raw.encode()).hexdigest())

    assert get(client, reverse("reports_api:years"), raw).status_code == 403


@pytest.mark.parametrize("keyword", ["Bearer", "Token", "bearer"])
def test_a_ministry_token_is_accepted(client, raw, keyword):
    assert get(client, reverse("reports_api:targets"), raw, keyword).status_code == 200


def test_programme_staff_tokens_work(client, programme_staff):
    _token, raw = api_token_create(user=programme_staff, name="dashboard sync")
    assert get(client, reverse("reports_api:years"), raw).status_code == 200


def test_use_is_recorded(client, token):
    assert token[0].last_used_at is None

    get(client, reverse("reports_api:years"), token[1])

    token[0].refresh_from_db()
    assert token[0].last_used_at is not None


def test_only_the_hash_is_stored(token):
    model, raw = token
    stored = json.dumps(list(ApiToken.objects.values()), default=str)

    assert raw not in stored
    assert model.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw.startswith(model.prefix)


def test_the_session_does_not_open_the_api(client, ministry_officer):
    client.force_login(ministry_officer)
    assert client.get(reverse("reports_api:years")).status_code == 401


def test_the_api_is_read_only(client, raw):
    response = client.post(reverse("reports_api:targets"), {},
                           headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 405


def test_each_token_has_a_request_budget(client, raw, settings):
    from django.core.cache import cache

    cache.clear()
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"reports_api": "2/minute"}}

    codes = [get(client, reverse("reports_api:targets"), raw).status_code for _ in range(3)]

    assert codes == [200, 200, 429]


# --- data ------------------------------------------------------------------------------------
def test_a_year_has_the_dashboards_numbers_and_no_people(client, raw, run, populated):  # noqa: F811
    response = get(client, year_url(run.year), raw)

    assert response.status_code == 200
    data = response.json()
    assert data["certified"] == 6
    assert data["target"] == 40
    assert data["progress_percent"] == 15.0
    assert data["enrolled"] == {"value": 14, "suppressed": False}
    assert data["learners"] == 14
    assert data["definitions_version"] == 2
    assert data["completion_rate_percent"] == 42.9
    breakdowns = {b["key"]: b for b in data["breakdowns"]}
    status = {row["key"]: row for row in breakdowns["participant_status"]["rows"]}
    assert status["employed"]["enrolled"] == {"value": 6, "suppressed": False}
    assert status["job_seeker"]["enrolled"] == {"value": None, "suppressed": True}
    assert breakdowns["participant_status"]["total"]["certified"]["value"] == 6
    (funnel,) = data["funnels"]
    assert funnel["run_id"] == run.pk
    assert funnel["programme_key"] == str(run.programme.translation_key)
    assert funnel["applicants"]["value"] == 14
    for user in populated:
        assert user.email not in response.content.decode()
        assert user.full_name not in response.content.decode()


def test_a_year_filtered_by_run_and_programme(client, raw, run, populated):  # noqa: F811
    by_run = get(client, year_url(run.year), raw, run=run.pk + 1000).json()
    by_programme = get(client, year_url(run.year), raw,
                       programme=str(run.programme.translation_key)).json()

    assert by_run["certified"] == 0
    assert by_run["run"] == run.pk + 1000
    assert by_programme["certified"] == 6


@pytest.mark.parametrize(("year", "params"), [
    (1999, {}), (2024, {"programme": "nope"}), (2024, {"run": "x"})])
def test_bad_filters_are_400(client, raw, year, params):
    response = get(client, year_url(year), raw, **params)

    assert response.status_code == 400
    assert response.json()["detail"]


def test_years_and_targets(client, raw, run, populated):  # noqa: F811
    years = {y["year"]: y for y in get(client, reverse("reports_api:years"), raw).json()}
    targets = {t["year"]: t for t in get(client, reverse("reports_api:targets"), raw).json()}

    assert years[run.year] == {"year": run.year, "target": 40, "certified": 6,
                               "progress_percent": 15.0}
    assert targets[2024]["target"] == 400
    assert targets[2023]["target"] == 100


# --- the schema ------------------------------------------------------------------------------
def test_the_schema_is_public_and_valid_openapi_3(client):
    response = client.get(reverse("reports_api:schema"), {"format": "json"})

    assert response.status_code == 200
    schema = json.loads(response.content)
    validate(schema)
    assert schema["openapi"].startswith("3.")
    assert {"/api/years/", "/api/years/{year}/", "/api/targets/"} <= set(schema["paths"])
    assert all(path.startswith("/api/") for path in schema["paths"])
    bearer = schema["components"]["securitySchemes"]["bearerAuth"]
    assert bearer == {**bearer, "type": "http", "scheme": "bearer"}
    assert schema["paths"]["/api/years/"]["get"]["security"] == [{"bearerAuth": []}]


def test_the_wagtail_admin_api_still_works_for_instructors(client, instructor, course):
    """REST framework's defaults are the reports API's; Wagtail's own page API must not
    be shut by them."""
    admin_login(client, instructor)

    response = client.get("/admin/api/main/pages/", {"child_of": course.get_parent().pk})

    assert response.status_code == 200
    assert [page["id"] for page in response.json()["items"]] == [course.pk]


# --- manage.py api_token ---------------------------------------------------------------------
def test_the_command_makes_a_token_shown_once(client, ministry_officer):
    out = io.StringIO()

    call_command("api_token", "create", "--user", ministry_officer.email.upper(),
                 "--name", "MSIT", stdout=out, stderr=io.StringIO())

    raw = out.getvalue().strip()
    token = ApiToken.objects.get()
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert get(client, reverse("reports_api:years"), raw).status_code == 200


def test_the_command_revokes_and_lists_by_prefix(token):
    out = io.StringIO()

    call_command("api_token", "revoke", token[0].prefix, stdout=out)
    call_command("api_token", "list", stdout=out)

    token[0].refresh_from_db()
    assert token[0].revoked_at is not None
    assert token[0].prefix in out.getvalue()
    assert token[1] not in out.getvalue()


@pytest.mark.parametrize("args", [
    ["create", "--user", "nobody@example.com", "--name", "x"],
    ["revoke", "aimd_nothing"],
])
def test_the_command_refuses_bad_input(db, args):
    with pytest.raises(CommandError):
        call_command("api_token", *args)


def test_the_command_refuses_a_learner(learner):
    with pytest.raises(CommandError, match=learner.email):
        call_command("api_token", "create", "--user", learner.email, "--name", "x")


def test_tokens_are_listed_in_the_admin_without_the_token(client, token):
    admin = UserFactory(is_staff=True, is_superuser=True, roles=[])
    client.force_login(admin)

    listing = client.get(reverse("admin:reports_apitoken_changelist"))
    change = client.get(reverse("admin:reports_apitoken_change", args=[token[0].pk]))

    assert listing.status_code == 200
    assert token[0].prefix in listing.content.decode()
    assert token[1] not in listing.content.decode() + change.content.decode()
    assert client.get(reverse("admin:reports_apitoken_add")).status_code == 403
