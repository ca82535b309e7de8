"""Where people land after signing in, and what the sign-in box's checkbox is called
(issue 16): only learners are asked for the statistics profile; the others go to their place,
and a safe ``?next=`` wins for everyone."""

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation

from lms.accounts.models import Role
from lms.accounts.services import user_assign_role
from tests.courses.learner_side import profile_complete

pytestmark = pytest.mark.django_db

PASSWORD = "quiet-river-stone-2026"


def account(email, *roles, **flags):
    user = get_user_model().objects.create_user(email=email, password=PASSWORD, **flags)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    for role in roles:
        user_assign_role(user=user, role=role)
    return user


def log_in(client, email, next_url=None, remember=False):
    url = reverse("account_login") + (f"?next={next_url}" if next_url else "")
    data = {"login": email, "password": PASSWORD}
    if remember:
        data["remember"] = "on"
    return client.post(url, data)


@pytest.fixture(autouse=True)
def _korean():
    with translation.override("ko"):
        yield


def test_an_instructor_lands_in_the_admin_not_on_the_learner_profile(client):
    account("teacher@example.com", Role.INSTRUCTOR)

    response = log_in(client, "teacher@example.com")

    assert response.status_code == 302
    assert response["Location"] == reverse("wagtailadmin_home")


def test_staff_without_a_role_land_in_the_django_admin(client):
    account("staff@example.com", is_staff=True)

    assert log_in(client, "staff@example.com")["Location"] == reverse("admin:index")


def test_programme_staff_land_on_the_ministry_dashboard(client):
    account("staff@example.com", Role.PROGRAMME_STAFF)

    assert log_in(client, "staff@example.com")["Location"] == reverse("reports:dashboard")


def test_a_learner_with_a_complete_profile_lands_on_my_learning(client):
    learner = account("learner@example.com", Role.LEARNER)
    profile_complete(learner)

    assert log_in(client, "learner@example.com")["Location"] == reverse("courses:dashboard")


def test_a_learner_without_a_profile_is_asked_for_it(client):
    account("learner@example.com", Role.LEARNER)

    assert log_in(client, "learner@example.com")["Location"] == reverse("profile")


def test_a_safe_next_wins_and_an_unsafe_one_is_ignored(client):
    account("teacher@example.com", Role.INSTRUCTOR)
    pages = reverse("wagtailadmin_explore_root")

    assert log_in(client, "teacher@example.com", next_url=pages)["Location"] == pages
    client.logout()
    unsafe = log_in(client, "teacher@example.com", next_url="https://evil.example/")
    assert unsafe["Location"] == reverse("wagtailadmin_home")


def test_the_checkbox_is_named_for_what_it_does(client):
    with translation.override("ko"):
        korean = client.get(reverse("account_login")).content.decode()
    with translation.override("en"):
        english = client.get(reverse("account_login")).content.decode()

    assert "로그인 상태 유지" in korean
    assert "아이디 저장" not in korean
    assert "Keep me signed in" in english
    assert "Remember Me" not in english


def test_ticked_the_session_outlives_the_browser_unticked_it_does_not(client, settings):
    learner = account("learner@example.com", Role.LEARNER)
    profile_complete(learner)

    log_in(client, "learner@example.com", remember=True)
    assert client.session.get_expire_at_browser_close() is False
    client.logout()
    log_in(client, "learner@example.com")
    assert client.session.get_expire_at_browser_close() is True
