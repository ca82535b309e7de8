"""The Wagtail admin speaks Korean to a Korean instructor: the project's own catalogue
(lms/admin_ko, a second LOCALE_PATHS entry) fills what Wagtail's Korean leaves in English,
for Python/template strings and for the admin's JavaScript catalogue."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext, ngettext

from lms.accounts.models import Role
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]
PAGES = '%(total)s Page <span class="w-sr-only">created in %(site_name)s</span>'
PAGES_PLURAL = '%(total)s Pages <span class="w-sr-only">created in %(site_name)s</span>'


def _tool():
    spec = importlib.util.spec_from_file_location("admin_ko", ROOT / "tools" / "admin_ko.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def korean():
    with translation.override("ko"):
        yield


def test_the_override_catalogue_comes_after_the_projects_and_before_the_apps():
    # LOCALE_PATHS are read before every installed app: the override wins over Wagtail.
    assert [Path(p) for p in settings.LOCALE_PATHS] == [
        ROOT / "locale", ROOT / "lms" / "admin_ko" / "locale"]


def test_the_dashboard_page_count_is_korean_for_every_count(korean):
    for count in (1, 34):
        text = ngettext(PAGES, PAGES_PLURAL, count) % {"total": count, "site_name": "S"}
        assert text.startswith(f"페이지 {count}개 ")


def test_key_admin_strings_are_korean(korean):
    assert gettext("Search all pages…") == "모든 페이지 검색…"
    assert ngettext("1 snippet type", "%(counter)s snippet types", 3) % {"counter": 3} \
        == "스니펫 유형 3개"
    assert ngettext("%(num_parent_objects)d page has been published",
                    "%(num_parent_objects)d pages have been published", 2) \
        % {"num_parent_objects": 2} == "페이지 2개를 게시했습니다"
    assert gettext("Filter by") == "필터 기준"
    assert gettext("Sort by") == "정렬 기준"


def test_wrong_wagtail_korean_is_corrected(korean):
    # Wagtail's Korean says "most of the movements" for bulk actions and "site" for locale.
    assert gettext("Bulk actions") == "일괄 작업"
    assert gettext("Locale") == "언어"


def test_django_auth_and_admin_strings_stay_korean(korean):
    # Django's own Korean is complete; the override must not shadow it with anything else.
    assert gettext("Log out") == "로그아웃"
    assert gettext("December") == "12월"


def test_no_admin_msgid_is_left_in_english():
    """Every English msgid of the admin apps a Korean instructor or programme admin uses has
    Korean in effect. After a Wagtail upgrade this fails until `tools/admin_ko.py --add`
    and the translations are done."""
    tool = _tool()
    with translation.override("ko"):
        gaps = {domain: [e.msgid for _app, e in tool.missing(domain)]
                for domain in ("django", "djangojs")}
    assert gaps == {"django": [], "djangojs": []}


@pytest.mark.django_db
def test_the_admin_javascript_catalogue_is_korean():
    # Wagtail serves its JS strings (page explorer, autosave, search options) through its
    # own JavaScriptCatalog view, limited to wagtail.admin plus LOCALE_PATHS.
    client = Client()
    client.force_login(UserFactory(roles=[Role.INSTRUCTOR]))

    body = client.get("/admin/jsi18n/").content.decode()

    assert json.dumps("Autosave in progress…") + ": " + json.dumps("자동 저장 중…") in body
    assert json.dumps("Search options…") + ": " + json.dumps("검색 옵션…") in body
    assert json.dumps("%(num)s error") + ": [\n      " + json.dumps("오류 %(num)s개") \
        + "\n    ]" in body
    assert "django.pluralidx = function(n) {\n    const v = 0;" in body  # one Korean form
