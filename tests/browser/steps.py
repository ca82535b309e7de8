"""Steps a learner takes in the browser that more than one test walks through: signing up
(with the email confirmation and the profile the statistics need), enrolling in a programme,
completing a reading module. Each step checks what the learner sees, so a test built from
them fails at the step that broke."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.core import mail
from django.test import Client

from courses.models import ModulePage, ProgrammePage


def log_in(context, live_server, user) -> None:
    """A session made by Django's test client, handed to the browser ``context`` (signing in
    through the form is covered by the learner journey test)."""
    client = Client()
    client.force_login(user)
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                          "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                          "url": live_server.url}])


@dataclass(frozen=True)
class NewLearner:
    """Who signs up, and the profile answers they give."""

    name: str
    email: str
    password: str
    birth_year: int = 1998
    region: str = "busan"
    participant_status: str = "job_seeker"


def submit_form(page) -> None:
    """Submit the first form of the page's main content."""
    page.locator("main form button[type=submit]").first.click()


def sign_up(page, shoot, learner: NewLearner, *, language: str = "ko") -> None:
    """Sign up, confirm the email address with the link in the message, fill in the profile
    asked for at the first login; ends on the page after the profile, signed in."""
    page.goto(f"/{language}/accounts/signup/")
    assert page.locator("html").get_attribute("lang") == language
    page.fill("input[name=full_name]", learner.name)
    page.fill("input[name=email]", learner.email)
    page.fill("input[name=password1]", learner.password)
    page.fill("input[name=password2]", learner.password)
    shoot(page, "signup")
    submit_form(page)
    page.wait_for_url("**/accounts/confirm-email/")

    message = mail.outbox[-1]
    assert message.to == [learner.email]
    link = re.search(r"https?://[^/\s]+(/\S+/confirm-email/\S+/)", message.body).group(1)
    page.goto(link)
    shoot(page, "confirm-email")
    submit_form(page)

    page.wait_for_url("**/accounts/profile/")
    page.check(f"input[name=participant_status][value={learner.participant_status}]")
    page.check("input[name=ai_major][value=no]")
    page.fill("input[name=birth_year]", str(learner.birth_year))
    page.select_option("select[name=region]", learner.region)
    page.check("input[name=stats_consent]")
    shoot(page, "profile")
    submit_form(page)
    page.wait_for_load_state()
    assert page.locator(".message--success").count() == 1


def enrol(page, shoot, programme: ProgrammePage) -> None:
    """Enrol in the programme's open run from its page."""
    page.goto(programme.url)
    shoot(page, "programme")
    page.locator("form[action*='/enrol/'] button[type=submit]").first.click()
    page.wait_for_load_state()
    assert page.locator(".message--success").count() == 1
    shoot(page, "enrolled")


def complete_reading(page, module: ModulePage, shoot=None) -> None:
    """Open a reading module and press its "Mark as complete"."""
    page.goto(module.url)
    assert module.title in page.locator("h1").first.inner_text()
    if shoot:
        shoot(page, "module")
    page.locator("form[action*='/complete/'] button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".message--error").count() == 0, page.locator("main").inner_text()
    if shoot:
        shoot(page, "module-completed")
