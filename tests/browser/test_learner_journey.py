"""A learner signs up, enrols in the demo programme and completes a reading module, in a real
browser, in Korean and in English. Screenshots of each step are saved as test artefacts."""

import io

import pytest
from django.core.management import call_command
from wagtail.models import Locale

from courses.models import ModulePage, ProgrammePage
from tests.browser.steps import NewLearner, complete_reading, enrol, sign_up

PASSWORD = "quiet-river-stone-2026"

# serialized_rollback: each test starts with the rows the migrations created (Wagtail's root
# page and site, locales, role groups), which the flush after a transactional test removes.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _progress(page) -> tuple[str, str]:
    bar = page.locator("main progress").first
    return bar.get_attribute("value"), bar.get_attribute("max")


@pytest.mark.parametrize("language", ["ko", "en"])
def test_learner_signs_up_enrols_and_completes_a_reading_module(page, shoot, language):
    call_command("seed_demo", "--without-release", stdout=io.StringIO())
    locale = Locale.objects.get(language_code=language)
    programme = ProgrammePage.objects.get(locale=locale, slug="industrial-ai")
    first_module = ModulePage.objects.descendant_of(programme).order_by("path").first()

    learner = NewLearner(name="김하늘" if language == "ko" else "Haneul Kim",
                         email=f"journey-{language}@example.com", password=PASSWORD)
    sign_up(page, shoot, learner, language=language)
    enrol(page, shoot, programme)

    page.goto(f"/{language}/learning/")
    before = _progress(page)
    shoot(page, "dashboard-before")

    complete_reading(page, first_module, shoot)

    page.goto(f"/{language}/learning/")
    after = _progress(page)
    shoot(page, "dashboard-after")

    total = str(ModulePage.objects.live().descendant_of(programme).count())
    assert before == ("0", total)
    assert after == ("1", total)
