"""One login policy for every way in: the site's sign-in form (allauth) is the only page that
takes a password, and its throttle of failed logins (per account and per client address, in
the shared cache) holds whichever door a person comes through: the form itself, the Django
admin, the Wagtail admin, their login pages, Wagtail's private-page login and the OpenID
Connect provider's authorize step (the hub's single sign-on). And a password reset asked for
an unknown address mails nobody."""

from __future__ import annotations

import base64
import hashlib
import time as real_time
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.account.models import EmailAddress
from allauth.core.internal import ratelimit as allauth_ratelimit
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

WRONG = "not-the-password-at-all"
THROTTLED = "너무 많은 로그인 실패"  # allauth's "Too many failed login attempts", in Korean
HUB_CLIENT_ID, HUB_SECRET = "jupyterhub-tests", "tests-only-hub-client-secret"
HUB_CALLBACK = "http://127.0.0.1:8001/hub/oauth_callback"
VERIFIER = "v" * 64
CHALLENGE = base64.urlsafe_b64encode(
    hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()
AUTHORIZE = ("/o/authorize/?response_type=code&client_id=" + HUB_CLIENT_ID
             + "&redirect_uri=" + HUB_CALLBACK + "&scope=openid&state=s1&code_challenge="
             + CHALLENGE + "&code_challenge_method=S256")

# Door → where it starts and where a successful sign-in through it ends.
DOORS = {
    "site form": ("/ko/accounts/login/?next=/ko/learning/", "/ko/learning/"),
    "Django admin": ("/django-admin/", "/django-admin/"),
    "Django admin login": ("/django-admin/login/?next=/django-admin/", "/django-admin/"),
    "Wagtail admin": ("/admin/", "/admin/"),
    "Wagtail admin login": ("/admin/login/?next=/admin/", "/admin/"),
    "private-page login": ("/ko/_util/login/?next=/ko/", "/ko/"),
    "OIDC authorize": (AUTHORIZE, "/o/authorize/"),
}


class Clock:
    """allauth's rate-limit clock, moved forward by the tests (its locks keep real time)."""

    def __init__(self):
        self.offset = 0.0

    def time(self) -> float:
        return real_time.time() + self.offset

    monotonic = staticmethod(real_time.monotonic)
    sleep = staticmethod(real_time.sleep)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(allauth_ratelimit, "time", fake)
    return fake


@pytest.fixture
def hub_client(settings):
    settings.HUB_OAUTH_CLIENT_ID = HUB_CLIENT_ID
    settings.HUB_OAUTH_CLIENT_SECRET = HUB_SECRET
    settings.HUB_OAUTH_REDIRECT_URI = HUB_CALLBACK
    call_command("hub_oauth_client", stdout=open("/dev/null", "w"))  # noqa: SIM115, PTH123


def _verified(user):
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


@pytest.fixture
def admin_user(db):
    """Someone every door admits: a superuser (staff) with a verified address."""
    return _verified(UserFactory(roles=[], is_staff=True, is_superuser=True))


def form_through(client: Client, door: str) -> str:
    """Walk through the door as an anonymous visitor; the sign-in form's address (with the
    ``next`` the door gave it)."""
    start, _ = DOORS[door]
    response = client.get(start, follow=True)
    assert response.status_code == 200, (door, response.redirect_chain)
    url = response.redirect_chain[-1][0] if response.redirect_chain else start
    assert urlsplit(url).path == "/ko/accounts/login/", (door, response.redirect_chain)
    assert "password" in response.context["form"].fields
    return url


def sign_in(client: Client, door: str, email: str, password: str):
    """Sign in through the door (a client made with ``REMOTE_ADDR=...`` comes from there)."""
    return client.post(form_through(client, door), {"login": email, "password": password})


def _refused(response, client: Client) -> bool:
    return (response.status_code == 200 and "_auth_user_id" not in client.session
            and THROTTLED in str(response.context["form"].errors))


def _admitted(response, client: Client, door: str) -> bool:
    _, end = DOORS[door]
    return (response.status_code == 302 and "_auth_user_id" in client.session
            and urlsplit(response["Location"]).path == end)


# --- Every door leads to the one form ---------------------------------------------------------


@pytest.mark.parametrize("door", DOORS)
def test_every_door_leads_to_the_sites_form_and_back(door, admin_user, hub_client, clock):
    client = Client()

    response = sign_in(client, door, admin_user.email, DEFAULT_PASSWORD)

    assert _admitted(response, client, door), (response.status_code, response.get("Location"))
    arrived = client.get(response["Location"])
    if door == "OIDC authorize":  # the provider goes on to the hub with a code
        assert arrived.status_code == 302
        assert arrived["Location"].startswith(HUB_CALLBACK)
        assert "code" in parse_qs(urlsplit(arrived["Location"]).query)
    else:
        assert arrived.status_code == 200


@pytest.mark.parametrize("path", ["/django-admin/login/", "/admin/login/", "/ko/_util/login/",
                                  "/en/_util/login/"])
def test_the_admins_login_pages_take_no_password(path, admin_user):
    client = Client()

    response = client.post(path, {"username": admin_user.email, "login": admin_user.email,
                                  "password": DEFAULT_PASSWORD})

    assert response.status_code == 405
    assert "_auth_user_id" not in client.session


def test_the_wagtail_admins_own_password_reset_is_gone(admin_user, mailoutbox):
    client = Client(raise_request_exception=False)

    response = client.post("/admin/password_reset/", {"email": admin_user.email}, follow=True)

    assert response.status_code == 404
    assert mailoutbox == []


# --- One throttle for every door --------------------------------------------------------------


@pytest.mark.parametrize("failed_at", DOORS)
def test_failures_at_one_door_lock_the_account_at_every_door_until_the_window_passes(
        failed_at, admin_user, hub_client, clock):
    attacker = Client()
    for _ in range(5):  # LMS_LOGIN_FAILED_RATE: 5 failures per account in 5 minutes
        failed = sign_in(attacker, failed_at, admin_user.email, WRONG)
        assert failed.status_code == 200
        assert "_auth_user_id" not in attacker.session

    refused = {}
    for door in DOORS:
        # The account's owner, from elsewhere: the right password is refused everywhere.
        owner = Client(REMOTE_ADDR="198.51.100.7")
        response = sign_in(owner, door, admin_user.email, DEFAULT_PASSWORD)
        refused[door] = _refused(response, owner)
    clock.offset += 5 * 60 + 1
    owner = Client()
    later = sign_in(owner, failed_at, admin_user.email, DEFAULT_PASSWORD)

    assert refused == dict.fromkeys(DOORS, True)
    assert _admitted(later, owner, failed_at)


@pytest.mark.parametrize("failed_at", ["Django admin", "Wagtail admin login", "OIDC authorize"])
def test_failures_from_one_address_lock_every_account_from_it_until_the_window_passes(
        failed_at, admin_user, hub_client, clock):
    # LMS_LOGIN_FAILED_RATE: 10 failures per address a minute (4 + 4 + 2 on three accounts,
    # none of them locked on its own).
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    victims = [_verified(UserFactory()) for _ in range(3)]
    for victim, times in zip(victims, (4, 4, 2), strict=True):
        for _ in range(times):
            sign_in(attacker, failed_at, victim.email, WRONG)

    same_address = {}
    for door in DOORS:
        client = Client(REMOTE_ADDR="203.0.113.9")
        response = sign_in(client, door, admin_user.email, DEFAULT_PASSWORD)
        same_address[door] = _refused(response, client)
    elsewhere = Client(REMOTE_ADDR="198.51.100.7")
    from_elsewhere = sign_in(elsewhere, failed_at, admin_user.email, DEFAULT_PASSWORD)
    clock.offset += 61
    client = Client(REMOTE_ADDR="203.0.113.9")
    later = sign_in(client, failed_at, admin_user.email, DEFAULT_PASSWORD)

    assert same_address == dict.fromkeys(DOORS, True)
    assert _admitted(from_elsewhere, elsewhere, failed_at)
    assert _admitted(later, client, failed_at)


def test_the_accounts_count_does_not_depend_on_the_host_name(admin_user, clock):
    # allauth's default key is "<host>:<email>": each name the site answers to would give a
    # fresh count. Any case of the address is the same account, too.
    for host in ("localhost", "127.0.0.1", "testserver", "localhost", "127.0.0.1"):
        client = Client(HTTP_HOST=host)
        client.post("/ko/accounts/login/", {"login": admin_user.email.upper(),
                                            "password": WRONG})
    client = Client()

    response = client.post("/ko/accounts/login/", {"login": admin_user.email,
                                                   "password": DEFAULT_PASSWORD})

    assert _refused(response, client)


# --- Password reset ---------------------------------------------------------------------------


def test_a_reset_for_an_unknown_address_mails_nobody_and_answers_the_same(user, mailoutbox):
    _verified(user)
    client = Client()

    unknown = client.post("/ko/accounts/password/reset/", {"email": "nobody@example.org"})
    assert mailoutbox == []
    known = client.post("/ko/accounts/password/reset/", {"email": user.email})

    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert known.status_code == 302
    assert [m.to for m in mailoutbox] == [[user.email]]
    assert "/password/reset/key/" in mailoutbox[0].body
    done = client.get(unknown["Location"])
    assert done.status_code == 200
    assert "nobody@example.org" not in done.content.decode()


def test_a_new_superuser_confirms_the_address_once_on_the_sites_form(mailoutbox):
    # An account made with `manage.py createsuperuser` has no confirmed address: like every
    # account (ACCOUNT_EMAIL_VERIFICATION), its first sign-in mails a link to confirm it.
    root = get_user_model().objects.create_superuser(email="root@example.org",
                                                     password=DEFAULT_PASSWORD)
    client = Client()

    response = sign_in(client, "Django admin", root.email, DEFAULT_PASSWORD)

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session
    assert [m.to for m in mailoutbox] == [[root.email]]
