"""Enrolling and dropping out through the site: the happy path and every refusal."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import translation

from courses.models import Enrolment, EnrolmentStatus
from courses.selectors import REFUSALS
from tests.courses.factories import EnrolmentFactory, ProgrammeRunFactory
from tests.courses.learner_side import closed_run, enrol, profile_complete, upcoming_run
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _korean():
    """URLs are reversed in Korean whatever language an earlier request left active."""
    with translation.override("ko"):
        yield


@pytest.fixture
def ready(learner):
    """A learner whose profile is complete, so that nothing but the run decides."""
    profile_complete(learner)
    return learner


def enrol_url(run) -> str:
    return reverse("courses:enrol", args=[run.pk])


def messages_of(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def in_korean(message) -> str:
    with translation.override("ko"):
        return str(message)


def assert_refused(response, programme, code):
    assert response.status_code == 302
    assert response["Location"] == f"{programme.url}#runs"
    assert messages_of(response) == [("error", in_korean(REFUSALS[code]))]


# --- Happy path ------------------------------------------------------------------------------


def test_learner_enrols_in_an_open_run(client, programme, run, ready):
    client.force_login(ready)

    response = client.post(enrol_url(run))

    assert response.status_code == 302
    assert response["Location"] == f"{programme.url}#runs"
    enrolment = Enrolment.objects.get(learner=ready, run=run)
    assert enrolment.status == EnrolmentStatus.ENROLLED
    [(level, text)] = messages_of(response)
    assert level == "success"
    assert programme.title in text


def test_run_needing_approval_records_an_application(client, programme, ready):
    run = ProgrammeRunFactory(programme=programme, number=1, requires_approval=True)
    client.force_login(ready)

    response = client.post(enrol_url(run))

    assert Enrolment.objects.get(learner=ready, run=run).status == EnrolmentStatus.APPLIED
    assert messages_of(response)[0][0] == "success"
    html = client.get(programme.url).content.decode()
    assert "status--applied" in html


def test_enrolling_from_the_english_site_returns_to_the_english_programme(client, tree_en, run,
                                                                          ready):
    client.force_login(ready)
    with translation.override("en"):
        url = enrol_url(run)

    response = client.post(url)

    assert url.startswith("/en/")
    assert response["Location"] == f"{tree_en.programme.url}#runs"


# --- Refusals --------------------------------------------------------------------------------


def test_run_not_open_yet_is_refused(client, programme, ready):
    run = upcoming_run(programme, 1)
    client.force_login(ready)

    response = client.post(enrol_url(run))

    assert_refused(response, programme, "not_open")
    assert not Enrolment.objects.exists()


def test_closed_run_is_refused(client, programme, ready):
    run = closed_run(programme, 1)
    client.force_login(ready)

    response = client.post(enrol_url(run))

    assert_refused(response, programme, "closed")
    assert not Enrolment.objects.exists()


def test_full_run_is_refused(client, programme, ready):
    run = ProgrammeRunFactory(programme=programme, number=1, capacity=1)
    EnrolmentFactory(run=run)
    client.force_login(ready)

    response = client.post(enrol_url(run))

    assert_refused(response, programme, "full")
    assert not Enrolment.objects.filter(learner=ready).exists()


def test_enrolling_twice_in_a_run_is_refused(client, programme, run, ready):
    enrol(ready, run)
    client.force_login(ready)

    response = client.post(enrol_url(run))

    assert_refused(response, programme, "already_in_run")
    assert Enrolment.objects.filter(learner=ready).count() == 1


def test_enrolling_in_a_second_run_of_the_programme_is_refused(client, programme, run, ready):
    enrol(ready, run)
    other = ProgrammeRunFactory(programme=programme, number=2)
    client.force_login(ready)

    response = client.post(enrol_url(other))

    assert_refused(response, programme, "already_in_programme")
    assert not Enrolment.objects.filter(run=other).exists()


def test_incomplete_profile_is_sent_to_the_profile_page_and_back(client, programme, run,
                                                                 learner):
    client.force_login(learner)

    response = client.post(enrol_url(run))

    assert response.status_code == 302
    assert response["Location"] == (
        f"{reverse('profile')}?next={programme.url.replace('/', '%2F')}%23runs")
    assert messages_of(response)[0][0] == "info"
    assert not Enrolment.objects.exists()


def test_saving_the_profile_returns_to_the_runs_of_the_programme(client, programme, run,
                                                                 learner):
    client.force_login(learner)
    profile_url = client.post(enrol_url(run))["Location"]

    response = client.post(profile_url.split("?")[0], {
        "full_name": "김하늘", "participant_status": "employed", "ai_major": "no",
        "birth_year": "1990", "region": "seoul", "gender": "", "stats_consent": "on",
        "next": f"{programme.url}#runs"})

    assert response["Location"] == f"{programme.url}#runs"
    assert client.post(enrol_url(run)).status_code == 302
    assert Enrolment.objects.filter(learner=learner, run=run).exists()


def test_anonymous_visitor_is_sent_to_log_in(client, programme, run):
    response = client.post(enrol_url(run))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={programme.url}%23runs"
    assert not Enrolment.objects.exists()


@pytest.mark.parametrize("name", ["enrol", "drop", "module_complete"])
def test_get_on_a_post_only_endpoint_is_405(client, learner, name):
    client.force_login(learner)

    response = client.get(reverse(f"courses:{name}", args=[1]))

    assert response.status_code == 405


def test_enrolling_needs_the_csrf_token(programme, run, ready):
    client = Client(enforce_csrf_checks=True)
    client.force_login(ready)

    response = client.post(enrol_url(run))

    assert response.status_code == 403
    assert not Enrolment.objects.exists()


def test_enrolling_with_the_csrf_token_of_the_page_works(programme, run, ready):
    client = Client(enforce_csrf_checks=True)
    client.force_login(ready)
    client.get(programme.url)

    response = client.post(enrol_url(run),
                           {"csrfmiddlewaretoken": client.cookies["csrftoken"].value})

    assert response.status_code == 302
    assert Enrolment.objects.filter(learner=ready, run=run).exists()


def test_unknown_run_is_404(client, ready):
    client.force_login(ready)

    assert client.post(reverse("courses:enrol", args=[999_999])).status_code == 404


def test_run_of_an_unpublished_programme_is_404(client, programme, run, ready):
    programme.unpublish()
    client.force_login(ready)

    assert client.post(enrol_url(run)).status_code == 404


# --- Dropping out ----------------------------------------------------------------------------


def drop_url(enrolment) -> str:
    return reverse("courses:drop", args=[enrolment.pk])


def test_learner_drops_out_with_a_reason(client, programme, run, ready):
    enrolment = enrol(ready, run)
    client.force_login(ready)

    response = client.post(drop_url(enrolment), {"reason": "  회사 일정 때문에  "})

    assert response["Location"] == f"{programme.url}#runs"
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.DROPPED
    assert enrolment.drop_reason == "회사 일정 때문에"
    assert messages_of(response)[0][0] == "success"


@pytest.mark.parametrize("reason", ["", "   "])
def test_dropping_without_a_reason_is_refused(client, programme, run, ready, reason):
    enrolment = enrol(ready, run)
    client.force_login(ready)

    response = client.post(drop_url(enrolment), {"reason": reason})

    assert response.status_code == 302
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.ENROLLED
    assert messages_of(response)[0][0] == "error"


def test_a_completed_enrolment_cannot_be_dropped(client, programme, run, ready):
    enrolment = enrol(ready, run, status="completed")
    client.force_login(ready)

    response = client.post(drop_url(enrolment), {"reason": "이유"})

    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.COMPLETED
    assert messages_of(response)[0][0] == "error"


def test_dropping_twice_is_refused_without_changing_the_first_reason(client, programme, run,
                                                                     ready):
    enrolment = enrol(ready, run)
    client.force_login(ready)
    client.post(drop_url(enrolment), {"reason": "첫 번째"})

    response = client.post(drop_url(enrolment), {"reason": "두 번째"})

    enrolment.refresh_from_db()
    assert enrolment.drop_reason == "첫 번째"
    assert messages_of(response)[-1][0] == "error"


def test_learner_cannot_drop_someone_elses_enrolment(client, programme, run, ready):
    enrolment = enrol(UserFactory(), run)
    client.force_login(ready)

    response = client.post(drop_url(enrolment), {"reason": "장난"})

    assert response.status_code == 404
    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.ENROLLED


def test_dropping_needs_the_csrf_token(programme, run, ready):
    enrolment = enrol(ready, run)
    client = Client(enforce_csrf_checks=True)
    client.force_login(ready)

    assert client.post(drop_url(enrolment), {"reason": "이유"}).status_code == 403


def test_learner_may_enrol_again_after_dropping(client, programme, run, ready):
    enrolment = enrol(ready, run)
    client.force_login(ready)
    client.post(drop_url(enrolment), {"reason": "잠시 쉬어요"})

    response = client.post(enrol_url(run))

    enrolment.refresh_from_db()
    assert enrolment.status == EnrolmentStatus.ENROLLED
    assert enrolment.drop_reason == ""
    assert messages_of(response)[-1][0] == "success"


def test_dropped_learner_sees_the_enrol_form_again(client, programme, run, ready):
    enrolment = enrol(ready, run)
    client.force_login(ready)
    client.post(drop_url(enrolment), {"reason": "잠시 쉬어요"})

    html = client.get(programme.url).content.decode()

    assert f'action="{enrol_url(run)}"' in html
    assert drop_url(enrolment) not in html
