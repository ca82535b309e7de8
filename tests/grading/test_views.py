"""The learner's side of grading: submitting from the module page, the panel, feedback."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from grading.models import Submission
from grading.services.grades import submission_autograde
from tests.factories import UserFactory
from tests.grading.conftest import notebook_with

pytestmark = pytest.mark.django_db

RIGHT = "def square(x):\n    return x * x"


def upload(client, key="squares", data=None, **headers):
    return client.post(reverse("grading:submit", args=[key]),
                       {"notebook": SimpleUploadedFile("squares.ipynb",
                                                       data or notebook_with(RIGHT))},
                       **headers)


def test_the_module_page_shows_the_submit_form_to_an_enrolled_learner(
        client, released_assignment, enrolled_learner):
    client.force_login(enrolled_learner)
    page = client.get(released_assignment.module.url)
    html = page.content.decode()
    assert page.status_code == 200
    assert reverse("grading:submit", args=["squares"]) in html
    assert "grading/panel.js" in html


def test_an_unreleased_assignment_says_so(client, assignment, enrolled_learner):
    client.force_login(enrolled_learner)
    html = client.get(assignment.module.url).content.decode()
    assert reverse("grading:submit", args=["squares"]) not in html
    assert "not open yet" in html or "열리지" in html


def test_submitting_stores_the_bytes_and_shows_a_receipt(
        client, released_assignment, enrolled_learner, django_capture_on_commit_callbacks,
        monkeypatch):
    sent = []
    monkeypatch.setattr("grading.tasks.submission_autograde_task.apply_async",
                        lambda args, kwargs=None, **options: sent.append(args[0]))
    client.force_login(enrolled_learner)
    data = notebook_with(RIGHT)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, data=data, HTTP_ACCEPT="application/json")

    submission = Submission.objects.get()
    assert response.status_code == 200
    assert response.json()["ok"]
    assert submission.sha256[:12] in response.json()["message"]
    assert submission.notebook.open("rb").read() == data
    assert sent == [submission.pk]  # queued after the commit

    panel = client.get(reverse("grading:panel", args=["squares"]))
    assert panel["X-Grading-Pending"] == "1"
    submission_autograde(submission_id=submission.pk)
    panel = client.get(reverse("grading:panel", args=["squares"]))
    assert panel["X-Grading-Pending"] == "0"
    assert reverse("grading:feedback", args=[submission.pk]) in panel.content.decode()


@pytest.mark.parametrize(("data", "status"), [(b"{broken", 400), (b"x" * 6_000_000, 400)])
def test_bad_uploads_get_a_clear_message_and_store_nothing(
        client, released_assignment, enrolled_learner, data, status):
    client.force_login(enrolled_learner)
    response = upload(client, data=data, HTTP_ACCEPT="application/json")
    assert response.status_code == status
    assert not response.json()["ok"]
    assert response.json()["message"]
    assert not Submission.objects.exists()


def test_without_javascript_the_learner_is_sent_back_with_a_message(
        client, released_assignment, enrolled_learner):
    client.force_login(enrolled_learner)
    response = upload(client, data=b"{broken", follow=True)
    assert response.redirect_chain[-1][0].endswith("#assignment-squares")
    assert list(response.context["messages"])


def test_feedback_is_sandboxed_and_private(client, released_assignment, enrolled_learner):
    client.force_login(enrolled_learner)
    upload(client)
    submission = Submission.objects.get()
    submission_autograde(submission_id=submission.pk)
    url = reverse("grading:feedback_document", args=[submission.pk])

    mine = client.get(url)
    assert mine.status_code == 200
    assert mine["Content-Security-Policy"].startswith("sandbox")
    assert "HIDDEN_MARKER_9" not in mine.content.decode()
    page = client.get(reverse("grading:feedback", args=[submission.pk]))
    assert page.status_code == 200
    assert "HIDDEN_MARKER_9" not in page.content.decode()

    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    assert client.get(reverse("grading:feedback", args=[submission.pk])).status_code == 404
    assert client.get(reverse("grading:download", args=[submission.pk])).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_the_released_notebook_is_for_enrolled_learners_only(client, released_assignment,
                                                             enrolled_learner):
    url = reverse("grading:released", args=["squares"])
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    client.force_login(enrolled_learner)
    response = client.get(url)
    assert response.status_code == 200
    assert b"HIDDEN_MARKER_9" not in b"".join(response.streaming_content)


# --- The lab buttons, with the hub replaced by stand-ins (the real hub: tests/hub/) ----------


def test_a_lab_that_fails_to_start_is_explained(client, released_assignment, enrolled_learner,
                                                 settings, monkeypatch):
    from grading.hub import ServerState

    settings.JUPYTERHUB_URL, settings.JUPYTERHUB_API_TOKEN = "http://hub.test", "t"
    monkeypatch.setattr("grading.views.lab_start", lambda user: ServerState(
        exists=True, ready=False, pending="spawn", url="/user/u1/"))
    monkeypatch.setattr("grading.views.lab_progress", lambda user: (ServerState(
        exists=False, ready=False, pending=None, url=None), {"failed": True}))
    client.force_login(enrolled_learner)

    started = client.post(reverse("grading:lab_open", args=["squares"]))
    assert started.status_code == 302
    assert "/lab/wait/" in started["Location"]
    waited = client.get(started["Location"], HTTP_ACCEPT="application/json")
    assert waited.status_code == 503
    assert waited.json()["state"] == "failed"
    assert waited.json()["message"]


def test_without_a_hub_the_lab_buttons_are_not_shown(client, released_assignment,
                                                     enrolled_learner, settings):
    settings.JUPYTERHUB_URL = ""
    client.force_login(enrolled_learner)
    html = client.get(released_assignment.module.url).content.decode()
    assert reverse("grading:lab_open", args=["squares"]) not in html
    response = client.post(reverse("grading:lab_open", args=["squares"]),
                           HTTP_ACCEPT="application/json")
    assert response.status_code == 503
