"""The layout, the language switcher and the home page in both languages."""

from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import translation

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def seeded(db):
    # The pages only: releasing the demo assignments (sandbox grades) is tested elsewhere.
    call_command("seed_demo", "--without-release",
                 stdout=open("/dev/null", "w"))  # noqa: SIM115, PTH123


def test_root_redirects_to_the_korean_home_by_default(client, seeded):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/ko/"


def test_root_follows_the_browser_language(client, seeded):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    assert response["Location"] == "/en/"


def test_home_page_in_korean(client, seeded):
    response = client.get("/ko/")

    body = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="ko">' in body
    assert "산업 AI 마이크로디그리" in body
    assert "본문으로 건너뛰기" in body  # skip link, translated


def test_home_page_in_english(client, seeded):
    response = client.get("/en/")

    body = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="en">' in body
    assert "Industrial AI Micro-degree" in body
    assert "Skip to main content" in body


def test_language_switcher_takes_you_to_the_same_page_in_the_other_language(client, seeded):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/ko/accounts/login/"})

    assert response.status_code == 302
    assert response["Location"] == "/en/accounts/login/"
    assert client.cookies["lms_language"].value == "en"


def test_layout_has_landmarks_and_labelled_controls(client, seeded):
    body = client.get("/ko/").content.decode()

    for landmark in ('<header', '<main id="main"', '<footer', 'href="#main"'):
        assert landmark in body
    assert 'aria-label="주 메뉴"' in body or 'aria-label="Main"' in body
    assert "cdn" not in body.lower()


def test_account_menu_reflects_the_session(client, seeded, user):
    assert "회원가입" in client.get("/ko/").content.decode()

    client.force_login(user)
    body = client.get("/ko/").content.decode()

    assert "로그아웃" in body
    assert user.get_short_name() in body


@pytest.mark.parametrize("language", ["ko", "en"])
def test_both_languages_ship_compiled_catalogues(language):
    assert (ROOT / "locale" / language / "LC_MESSAGES" / "django.mo").exists()
    assert (ROOT / "locale" / language / "LC_MESSAGES" / "django.po").exists()


def test_korean_catalogue_translates_the_interface():
    with translation.override("ko"):
        assert translation.gettext("Your profile") == "내 프로필"
        assert translation.gettext("Job seeker") == "구직자"
        assert translation.gettext("Seoul") == "서울특별시"


def test_missing_page_is_a_friendly_404(client, seeded):
    response = client.get("/ko/no-such-page/")

    assert response.status_code == 404
    assert "페이지를 찾을 수 없습니다" in response.content.decode()


def test_every_korean_message_is_translated_and_compiled():
    import gettext

    from babel.messages.pofile import read_po

    po_path = ROOT / "locale" / "ko" / "LC_MESSAGES" / "django.po"
    with po_path.open("rb") as f:
        catalogue = read_po(f, locale="ko")
    with (po_path.with_suffix(".mo")).open("rb") as f:
        compiled = gettext.GNUTranslations(f)

    untranslated = [m.id for m in catalogue if m.id and not m.string]
    assert untranslated == []
    for message in catalogue:
        if message.id and isinstance(message.id, str):
            found = (compiled.pgettext(message.context, message.id) if message.context
                     else compiled.gettext(message.id))
            assert found == message.string, message.id
