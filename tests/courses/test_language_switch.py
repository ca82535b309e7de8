"""The language switcher takes the learner to the same page in the other language: on a
Wagtail page to its translation (whose slug may differ), elsewhere through Django's
set_language, which swaps the language prefix."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import translation

from tests.courses.factories import module_create
from tests.courses.learner_side import body

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _korean():
    """URLs are reversed in Korean whatever language an earlier request left active."""
    with translation.override("ko"):
        yield


def switch_targets(html: str) -> dict[str, str]:
    """{language code: next URL} of each form of the switcher."""
    switcher = re.search(r'<div class="lang-switch".*?</div>', html, re.S).group(0)
    forms = re.findall(r"<form.*?</form>", switcher, re.S)
    targets = {}
    for form in forms:
        assert 'action="/i18n/setlang/"' in form
        assert 'method="post"' in form
        assert "csrfmiddlewaretoken" in form
        code = re.search(r'name="language" value="([a-z]+)"', form).group(1)
        targets[code] = re.search(r'name="next" value="([^"]*)"', form).group(1)
    return targets


@pytest.fixture
def english_slugs(tree_en):
    """English pages with English slugs, so their URLs differ from the Korean ones."""
    programme = tree_en.programme
    programme.refresh_from_db()  # the fixture's instance predates its children (numchild)
    programme.slug = "ai-for-manufacturing"
    programme.save_revision().publish()
    for page in (programme, tree_en.course, *tree_en.modules):
        page.refresh_from_db()
    return tree_en


def test_korean_page_offers_its_english_translation(client, programme, english_slugs):
    targets = switch_targets(body(client.get(programme.url)))

    assert targets == {"ko": programme.url, "en": english_slugs.programme.url}
    assert english_slugs.programme.url == "/en/ai-for-manufacturing/"


def test_english_module_offers_its_korean_translation(client, modules, english_slugs):
    page = english_slugs.modules[1]

    targets = switch_targets(body(client.get(page.url)))

    assert targets == {"ko": modules[1].url, "en": page.url}


def test_switching_lands_on_the_translated_page(client, programme, english_slugs):
    target = switch_targets(body(client.get(programme.url)))["en"]

    response = client.post("/i18n/setlang/", {"language": "en", "next": target})

    assert response.status_code == 302
    assert response["Location"] == "/en/ai-for-manufacturing/"
    assert client.cookies["lms_language"].value == "en"
    assert client.get(response["Location"]).status_code == 200


def test_switching_back_to_korean_from_the_english_page(client, programme, english_slugs):
    client.cookies["lms_language"] = "en"
    target = switch_targets(body(client.get(english_slugs.programme.url)))["ko"]

    response = client.post("/i18n/setlang/", {"language": "ko", "next": target})

    assert response["Location"] == programme.url


def test_untranslated_page_falls_back_to_its_nearest_translated_ancestor(client, course,
                                                                         english_slugs):
    only_korean = module_create(parent=course, title="번역 전", slug="not-yet")

    targets = switch_targets(body(client.get(only_korean.url)))

    assert targets["en"] == english_slugs.course.url
    assert targets["ko"] == only_korean.url


def test_catalogue_search_keeps_its_query_in_the_other_language(client, tree_en):
    targets = switch_targets(body(client.get("/ko/", {"q": "파이썬", "status": "open"})))

    assert targets["en"] == f"{tree_en.catalogue.url}?q=%ED%8C%8C%EC%9D%B4%EC%8D%AC&amp;status=open"


def test_other_pages_let_set_language_swap_the_prefix(client, catalogue, learner):
    client.force_login(learner)
    url = reverse("courses:dashboard")

    targets = switch_targets(body(client.get(url)))
    response = client.post("/i18n/setlang/", {"language": "en", "next": targets["en"]})

    assert targets == {"ko": url, "en": url}
    assert response["Location"] == "/en/learning/"


def test_current_language_is_marked(client, programme, english_slugs):
    html = body(client.get(english_slugs.programme.url))

    assert re.search(r'value="en" lang="en"\s+aria-current="true"', html)
    assert not re.search(r'value="ko" lang="ko"\s+aria-current="true"', html)
