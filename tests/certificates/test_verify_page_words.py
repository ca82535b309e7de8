"""Words of the verification page (issue 16): hours with their unit, and one Korean name for
the page wherever it is mentioned."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from lms.certificates.models import Certificate

pytestmark = pytest.mark.django_db

# Every English message that names the page (they are all "verification page").
MESSAGES = [
    "Kept with the certificate; the verification page shows it is revoked.",
    "show my name on the verification page",
    "Verification page (share this address)",
    "The verification page shows your full name, %(name)s.",
    "The verification page shows your name masked, %(name)s.",
    "Choose whether the verification page shows your name.",
    "The verification page now shows your full name.",
    "The verification page now shows your name masked: %(name)s.",
]


@pytest.fixture
def certificate(enrolled_learner, run):
    return Certificate.objects.create(
        enrolment=enrolled_learner.enrolments.get(run=run), serial=f"AIMD-{run.year}-000042",
        holder_name="김하늘", programme_title="제조 AI 기초 과정",
        programme_title_en="AI for Manufacturing", hours=120,
        issued_at=dt.datetime(2026, 11, 26, 16, 30, tzinfo=dt.UTC))


def test_hours_carry_their_unit(client, certificate):
    with translation.override("ko"):
        korean = client.get(reverse("certificate_verify", args=[certificate.code]))
    with translation.override("en"):
        english = client.get(reverse("certificate_verify", args=[certificate.code]),
                             HTTP_ACCEPT_LANGUAGE="en")

    assert "<dd>120시간</dd>" in korean.content.decode()
    assert "<dd>120 hours</dd>" in english.content.decode()


def test_dates_are_written_like_the_rest_of_the_site_in_korea_time(client, certificate):
    # Issued at 16:30 UTC on 26 November: 27 November in Seoul
    with translation.override("ko"):
        html = client.get(reverse("certificate_verify", args=[certificate.code])).content.decode()

    assert ">2026년 11월 27일</time>" in html
    assert ">2026-11-2" not in html


@pytest.mark.parametrize("message", MESSAGES)
def test_the_page_has_one_korean_name(message):
    with translation.override("ko"):
        korean = gettext(message)

    assert "검증 페이지" in korean
    assert "확인 페이지" not in korean
