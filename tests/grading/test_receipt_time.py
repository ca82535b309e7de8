"""The submission receipt writes its time as the site's pages do (issue 16): Korea time, in
the active language's date and time formats, not a bare "2026-12-07 04:02:18"."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from grading.models import Submission
from grading.views import _korea_time
from tests.grading.conftest import notebook_with

pytestmark = pytest.mark.django_db


def test_a_moment_is_written_in_korea_time_with_the_korean_formats():
    # 19:02:18 UTC is 04:02:18 the next morning in Seoul
    moment = dt.datetime(2026, 12, 6, 19, 2, 18, tzinfo=dt.UTC)

    with translation.override("ko"), timezone.override("UTC"):
        korean = _korea_time(moment)
    with translation.override("en"):
        english = _korea_time(moment)

    assert korean == "2026년 12월 7일 오전 4:02"
    assert english == "Dec. 7, 2026 4:02 a.m."


def test_the_receipt_message_uses_the_same_format(client, released_assignment,
                                                  enrolled_learner, monkeypatch):
    monkeypatch.setattr("grading.tasks.submission_autograde_task.apply_async",
                        lambda *args, **kwargs: None)
    client.force_login(enrolled_learner)

    with translation.override("ko"):
        response = client.post(
            reverse("grading:submit", args=["squares"]),
            {"notebook": SimpleUploadedFile("squares.ipynb",
                                            notebook_with("def square(x):\n    return x * x"))},
            HTTP_ACCEPT="application/json")

    submitted = timezone.localtime(Submission.objects.get().submitted_at,
                                   timezone=dt.timezone(dt.timedelta(hours=9)))
    message = response.json()["message"]
    assert f"{submitted.year}년 {submitted.month}월 {submitted.day}일" in message
    assert submitted.strftime("%Y-%m-%d") not in message
