"""The certificate PDF (bilingual, Hangul embedded, QR code of the verification page), who may
download it, and the holder's choice of how the verification page shows their name."""

import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from pypdf import PdfReader
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from lms.certificates import pdf as certificate_pdf
from lms.certificates.models import Certificate
from lms.certificates.pdf import (
    CertificateFontUnavailable,
    certificate_pdf_render,
    certificate_qr_drawing,
    certificate_verification_url,
)
from lms.certificates.services import NotTheHolder, certificate_name_visibility_set

BASE_URL = "https://lms.example.kr"
# 01:30 on 27 November in Seoul, still the 26th in UTC: the date must be Seoul's.
ISSUED = dt.datetime(2026, 11, 26, 16, 30, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.WAGTAILADMIN_BASE_URL = BASE_URL


@pytest.fixture
def certificate(enrolled_learner, run):
    return Certificate.objects.create(
        enrolment=enrolled_learner.enrolments.get(run=run), serial=f"AIMD-{run.year}-000042",
        holder_name="김하늘", programme_title="제조 AI 기초 과정",
        programme_title_en="AI for Manufacturing", hours=120, issued_at=ISSUED)


def _pdf(data: bytes) -> PdfReader:
    assert data.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(data))


def _text(data: bytes) -> str:
    return _pdf(data).pages[0].extract_text()


def _revoke(certificate):
    certificate.revoked_at, certificate.revoked_reason = timezone.now(), "부정행위 확인"
    certificate.save()


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- The document ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_pdf_says_what_the_certificate_certifies(certificate):
    text = _text(certificate_pdf_render(certificate=certificate))

    assert "김하늘" in text
    assert "제조 AI 기초 과정" in text
    assert "AI for Manufacturing" in text
    assert certificate.serial in text
    assert "120" in text
    assert "2026년 11월 27일" in text  # Seoul's date, Korean style
    assert "27 November 2026" in text
    assert f"{BASE_URL}/verify/{certificate.code}/" in text


@pytest.mark.django_db
def test_the_pdf_is_one_a4_landscape_page_with_metadata(certificate):
    reader = _pdf(certificate_pdf_render(certificate=certificate))

    assert len(reader.pages) == 1
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert (round(width), round(height)) == (842, 595)
    assert reader.metadata.subject == certificate.serial
    assert certificate.serial in reader.metadata.title
    assert reader.metadata.author  # the issuing site


@pytest.mark.django_db
def test_an_empty_english_title_leaves_its_line_out(certificate):
    with_english = _text(certificate_pdf_render(certificate=certificate)).splitlines()
    certificate.programme_title_en = ""

    without = _text(certificate_pdf_render(certificate=certificate)).splitlines()

    assert "AI for Manufacturing" in with_english
    assert len(without) == len(with_english) - 1
    assert "제조 AI 기초 과정" in without


@pytest.mark.django_db
def test_the_hangul_font_is_embedded_as_a_subset(certificate):
    page = _pdf(certificate_pdf_render(certificate=certificate)).pages[0]
    embedded = []
    for font in page["/Resources"]["/Font"].values():
        font = font.get_object()
        descriptor = font.get("/FontDescriptor")
        if descriptor is not None and "/FontFile2" in descriptor.get_object():
            embedded.append(str(font["/BaseFont"]))

    assert any(re.fullmatch(r"/[A-Z]{6}\+NanumGothic", name) for name in embedded)
    assert any(re.fullmatch(r"/[A-Z]{6}\+NanumGothicBold", name) for name in embedded)


@pytest.mark.django_db
def test_fonts_are_registered_once_per_process(certificate, monkeypatch):
    monkeypatch.setattr(certificate_pdf, "_registered", {})  # as in a fresh process
    calls = []
    register = pdfmetrics.registerFont
    monkeypatch.setattr(pdfmetrics, "registerFont", lambda font: calls.append(font)
                        or register(font))

    certificate_pdf_render(certificate=certificate)
    certificate_pdf_render(certificate=certificate)

    truetype = [font for font in calls if isinstance(font, TTFont)]
    assert len(truetype) == 2  # the regular and the bold font, the first time only


@pytest.mark.django_db
def test_the_qr_code_holds_the_absolute_verification_url(certificate):
    url = certificate_verification_url(certificate=certificate)

    drawing = certificate_qr_drawing(url=url, size=120)

    assert url == f"{BASE_URL}/verify/{certificate.code}/"
    (widget,) = [shape for shape in drawing.contents if isinstance(shape, QrCodeWidget)]
    assert widget.value == url
    assert (drawing.width, drawing.height) == (120, 120)


@pytest.mark.django_db
def test_a_missing_font_file_is_named_in_the_error(certificate, settings):
    settings.CERTIFICATE_FONT_FILES = {"regular": "/nowhere/Missing.ttf",
                                       "bold": "/nowhere/MissingBold.ttf"}

    with pytest.raises(CertificateFontUnavailable, match="/nowhere/Missing.ttf"):
        certificate_pdf_render(certificate=certificate)


@pytest.mark.django_db
def test_a_file_that_is_not_a_font_is_refused_clearly(certificate, settings, tmp_path):
    fake = tmp_path / "NotAFont.ttf"
    fake.write_text("not a font")
    settings.CERTIFICATE_FONT_FILES = {"regular": str(fake), "bold": str(fake)}

    with pytest.raises(CertificateFontUnavailable, match="cannot be used"):
        certificate_pdf_render(certificate=certificate)


# --- Downloading it -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_holder_downloads_the_pdf(client, certificate, enrolled_learner):
    client.force_login(enrolled_learner)

    response = client.get(reverse("certificates:pdf", args=[certificate.serial]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{certificate.serial}.pdf"'
    assert "no-store" in response["Cache-Control"]
    assert "김하늘" in _text(response.content)


@pytest.mark.django_db
def test_another_learner_gets_404(client, certificate, other_learner):
    client.force_login(other_learner)

    response = client.get(reverse("certificates:pdf", args=[certificate.serial]))

    assert response.status_code == 404


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_log_in(client, certificate):
    response = client.get(reverse("certificates:pdf", args=[certificate.serial]))

    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


@pytest.mark.django_db
def test_a_revoked_certificate_is_not_downloadable(client, certificate, enrolled_learner):
    _revoke(certificate)
    client.force_login(enrolled_learner)

    response = client.get(reverse("certificates:pdf", args=[certificate.serial]),
                          follow=True)

    assert response.redirect_chain[-1][0] == reverse("courses:dashboard")
    assert response["Content-Type"].startswith("text/html")
    (message,) = _messages(response)
    assert "revoked" in message
    assert "부정행위 확인" in message


@pytest.mark.django_db
def test_a_missing_font_is_a_message_and_a_log_not_a_500(client, certificate, enrolled_learner,
                                                        settings, caplog):
    settings.CERTIFICATE_FONT_FILES = {"regular": "/nowhere/Missing.ttf",
                                       "bold": "/nowhere/MissingBold.ttf"}
    client.force_login(enrolled_learner)

    response = client.get(reverse("certificates:pdf", args=[certificate.serial]),
                          follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("courses:dashboard")
    (message,) = _messages(response)
    assert "cannot be made into a PDF" in message
    assert "/nowhere/Missing.ttf" in caplog.text  # for the staff, not the learner


# --- The holder's name on the verification page ----------------------------------------------


def _verify_page(client, certificate) -> str:
    return client.get(reverse("certificate_verify", args=[certificate.code])).content.decode()


def _set_name(client, certificate, show: str):
    return client.post(reverse("certificates:name", args=[certificate.serial]),
                       {"show": show}, follow=True)


@pytest.mark.django_db
def test_the_holder_chooses_full_or_masked_name(client, certificate, enrolled_learner):
    client.force_login(enrolled_learner)
    assert "김*늘" in _verify_page(client, certificate)  # masked by default
    assert "김하늘" not in _verify_page(client, certificate)

    shown = _set_name(client, certificate, "1")
    assert shown.redirect_chain[-1][0] == reverse("courses:dashboard")
    with translation.override("ko"):  # My learning is at /ko/
        expected = gettext("The verification page now shows your full name.")
    assert _messages(shown) == [expected]
    assert "김하늘" in _verify_page(client, certificate)

    masked = _set_name(client, certificate, "0")
    assert "김*늘" in _messages(masked)[0]
    assert "김하늘" not in _verify_page(client, certificate)


@pytest.mark.django_db
def test_the_name_choice_is_post_only(client, certificate, enrolled_learner):
    client.force_login(enrolled_learner)

    response = client.get(reverse("certificates:name", args=[certificate.serial]),
                          {"show": "1"})

    assert response.status_code == 405
    certificate.refresh_from_db()
    assert not certificate.show_name


@pytest.mark.django_db
def test_another_learner_cannot_change_the_name_choice(client, certificate, other_learner):
    client.force_login(other_learner)

    response = _set_name(client, certificate, "1")

    assert response.status_code == 404
    certificate.refresh_from_db()
    assert not certificate.show_name
    with pytest.raises(NotTheHolder):
        certificate_name_visibility_set(certificate=certificate, learner=other_learner,
                                        show=True)
    certificate.refresh_from_db()
    assert not certificate.show_name


@pytest.mark.django_db
def test_an_unclear_name_choice_changes_nothing(client, certificate, enrolled_learner):
    client.force_login(enrolled_learner)

    response = _set_name(client, certificate, "yes please")

    assert "Choose whether" in _messages(response)[0]
    certificate.refresh_from_db()
    assert not certificate.show_name


@pytest.mark.django_db
def test_the_name_choice_needs_the_csrf_token(certificate, enrolled_learner):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(enrolled_learner)

    response = client.post(reverse("certificates:name", args=[certificate.serial]),
                           {"show": "1"})

    assert response.status_code == 403
    certificate.refresh_from_db()
    assert not certificate.show_name


@pytest.mark.django_db
def test_my_learning_offers_the_pdf_and_the_name_choice(client, certificate, enrolled_learner):
    client.force_login(enrolled_learner)

    html = client.get(reverse("courses:dashboard")).content.decode()

    assert reverse("certificates:pdf", args=[certificate.serial]) in html
    form = re.search(r'<form method="post" action="{}".*?</form>'.format(
        re.escape(reverse("certificates:name", args=[certificate.serial]))), html, re.S)
    assert form is not None
    assert 'name="csrfmiddlewaretoken"' in form.group(0)
    assert 'name="show" value="1"' in form.group(0)


@pytest.mark.django_db
def test_my_learning_offers_no_pdf_of_a_revoked_certificate(client, certificate,
                                                            enrolled_learner):
    _revoke(certificate)
    client.force_login(enrolled_learner)

    html = client.get(reverse("courses:dashboard")).content.decode()

    assert certificate.serial in html
    assert reverse("certificates:pdf", args=[certificate.serial]) not in html
