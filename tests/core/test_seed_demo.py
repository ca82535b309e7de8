import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from wagtail.models import Page

from lms.accounts.models import Role
from lms.accounts.selectors import user_roles
from lms.core.demo import DEMO_ACCOUNTS, DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def _snapshot():
    User = get_user_model()
    return (
        sorted(User.objects.values_list("email", "password")),
        sorted(Page.objects.values_list("id", "title", "url_path", "latest_revision_id")),
    )


def test_seed_demo_is_idempotent():
    call_command("seed_demo", stdout=io.StringIO())
    first = _snapshot()

    out = io.StringIO()
    call_command("seed_demo", stdout=out)

    assert _snapshot() == first
    assert "(exists)" in out.getvalue()


def test_seed_demo_prints_the_demo_accounts():
    out = io.StringIO()

    call_command("seed_demo", stdout=out)

    for account in DEMO_ACCOUNTS:
        assert account.email in out.getvalue()
    assert DEMO_PASSWORD in out.getvalue()


def test_demo_accounts_log_in_and_hold_their_roles(client):
    call_command("seed_demo", stdout=io.StringIO())

    for account in DEMO_ACCOUNTS:
        assert client.login(email=account.email, password=DEMO_PASSWORD), account.email
        user = get_user_model().objects.get(email=account.email)
        assert user_roles(user=user) == set(account.roles)
        client.logout()
    assert Role.MINISTRY_OFFICER in {r for a in DEMO_ACCOUNTS for r in a.roles}
