"""A learner signs up, enrols in the demo programme and completes a reading module, in a real
browser, in Korean and in English. Screenshots of each step are saved as test artefacts."""

import io
import re

import pytest
from django.core import mail
from django.core.management import call_command
from wagtail.models import Locale

from courses.models import ModulePage, ProgrammePage

PASSWORD = "quiet-river-stone-2026"

# serialized_rollback: each test starts with the rows the migrations created (Wagtail's root
# page and site, locales, role groups), which the flush after a transactional test removes.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _submit(page):
    page.locator("main form button[type=submit]").first.click()


def _progress(page) -> tuple[str, str]:
    bar = page.locator("main progress").first
    return bar.get_attribute("value"), bar.get_attribute("max")


@pytest.mark.parametrize("language", ["ko", "en"])
def test_learner_signs_up_enrols_and_completes_a_reading_module(page, shoot, language):
    call_command("seed_demo", "--without-release", stdout=io.StringIO())
    locale = Locale.objects.get(language_code=language)
    programme = ProgrammePage.objects.get(locale=locale, slug="industrial-ai")
    first_module = ModulePage.objects.descendant_of(programme).order_by("path").first()
    email = f"journey-{language}@example.com"

    # Sign up.
    page.goto(f"/{language}/accounts/signup/")
    assert page.locator("html").get_attribute("lang") == language
    page.fill("input[name=full_name]", "김하늘" if language == "ko" else "Haneul Kim")
    page.fill("input[name=email]", email)
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    shoot(page, "signup")
    _submit(page)
    page.wait_for_url("**/accounts/confirm-email/")

    # Verify the email address with the link from the message.
    message = mail.outbox[-1]
    assert message.to == [email]
    link = re.search(r"https?://[^/\s]+(/\S+/confirm-email/\S+/)", message.body).group(1)
    page.goto(link)
    shoot(page, "confirm-email")
    _submit(page)

    # First login asks for the profile the statistics need.
    page.wait_for_url("**/accounts/profile/")
    page.check("input[name=participant_status][value=job_seeker]")
    page.check("input[name=ai_major][value=no]")
    page.fill("input[name=birth_year]", "1998")
    page.select_option("select[name=region]", "busan")
    page.check("input[name=stats_consent]")
    shoot(page, "profile")
    _submit(page)
    page.wait_for_load_state()
    assert page.locator(".message--success").count() == 1

    # Enrol in the open run of the demo programme.
    page.goto(programme.url)
    shoot(page, "programme")
    page.locator("form[action*='/enrol/'] button[type=submit]").first.click()
    page.wait_for_load_state()
    shoot(page, "enrolled")
    assert page.locator(".message--success").count() == 1

    page.goto(f"/{language}/learning/")
    before = _progress(page)
    shoot(page, "dashboard-before")

    # Read the first module and mark it complete.
    page.goto(first_module.url)
    assert first_module.title in page.locator("h1").first.inner_text()
    shoot(page, "module")
    page.locator("form[action*='/complete/'] button[type=submit]").click()
    page.wait_for_load_state()
    shoot(page, "module-completed")

    page.goto(f"/{language}/learning/")
    after = _progress(page)
    shoot(page, "dashboard-after")

    total = str(ModulePage.objects.live().descendant_of(programme).count())
    assert before == ("0", total)
    assert after == ("1", total)
