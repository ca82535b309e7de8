import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from lms.accounts.models import Role
from lms.accounts.selectors import user_roles

pytestmark = pytest.mark.django_db

PASSWORD = "quiet-river-stone-2026"


def _sign_up(client, email="learner@example.com"):
    return client.post(reverse("account_signup"), {
        "full_name": "김하늘",
        "email": email,
        "password1": PASSWORD,
        "password2": PASSWORD,
    })


def test_sign_up_creates_a_learner_with_a_blank_profile_and_sends_a_verification_email(client):
    response = _sign_up(client)

    assert response.status_code == 302
    user = get_user_model().objects.get(email="learner@example.com")
    assert user.full_name == "김하늘"
    assert user_roles(user=user) == {Role.LEARNER}
    assert not user.profile.is_complete
    assert not EmailAddress.objects.get(user=user).verified
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["learner@example.com"]


def test_unverified_account_cannot_log_in(client):
    _sign_up(client)
    client.logout()

    response = client.post(reverse("account_login"),
                           {"login": "learner@example.com", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session


def test_sign_up_verify_then_log_in_asks_for_the_profile(client):
    _sign_up(client)
    client.logout()
    link = re.search(r"https?://[^/]+(/\S+/confirm-email/\S+/)", mail.outbox[0].body).group(1)

    confirm = client.post(link)
    assert confirm.status_code == 302
    assert EmailAddress.objects.get(email="learner@example.com").verified
    client.logout()

    response = client.post(reverse("account_login"),
                           {"login": "learner@example.com", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("profile")
    assert client.get(reverse("profile")).status_code == 200


def test_sign_up_with_a_taken_email_creates_nothing_and_tells_only_the_owner(client, user):
    # allauth prevents account enumeration: the page looks the same as for a new address,
    # and the existing owner is told by email that someone tried to sign up.
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)

    response = _sign_up(client, email=user.email)

    assert response.status_code == 302
    assert get_user_model().objects.filter(email=user.email).count() == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [user.email]


def test_logout_is_a_post(client, user):
    client.force_login(user)

    assert client.post(reverse("account_logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_repeated_failed_logins_are_throttled(client, user):
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    for _ in range(5):
        failed = client.post(reverse("account_login"),
                             {"login": user.email, "password": "wrong-password"})
        assert failed.status_code == 200

    blocked = client.post(reverse("account_login"),
                          {"login": user.email, "password": "correct-horse-battery-staple-42"})

    assert blocked.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "너무 많은 로그인 실패" in str(blocked.context["form"].errors)


def test_password_reset_sends_a_link(client, user):
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)

    response = client.post(reverse("account_reset_password"), {"email": user.email})

    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/password/reset/key/" in mail.outbox[0].body


def test_officers_land_on_the_dashboard_not_on_the_learner_profile(client):
    from lms.accounts.models import Role
    from lms.accounts.services import user_assign_role

    officer = get_user_model().objects.create_user(email="officer@example.com",
                                                   password=PASSWORD)
    EmailAddress.objects.create(user=officer, email=officer.email, verified=True, primary=True)
    user_assign_role(user=officer, role=Role.MINISTRY_OFFICER)

    response = client.post(reverse("account_login"),
                           {"login": "officer@example.com", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("reports:dashboard")
    # Once they learn too, the profile is asked for.
    client.logout()
    user_assign_role(user=officer, role=Role.LEARNER)
    response = client.post(reverse("account_login"),
                           {"login": "officer@example.com", "password": PASSWORD})
    assert response["Location"] == reverse("profile")
