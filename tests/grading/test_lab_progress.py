"""The "Starting your lab" page shows the hub's progress events (a percentage and a message, in
the learner's language) and says clearly when the start failed or timed out. The hub is replaced
by stand-ins here; tests/hub/test_lab_wait_browser.py watches the real one."""

import pytest
from django.urls import reverse
from django.utils import translation

from grading.hub import ServerState
from grading.lab import lab_progress_shown

STARTING = ServerState(exists=True, ready=False, pending="spawn", url="/user/u1/")
GONE = ServerState(exists=False, ready=False, pending=None, url=None)


@pytest.mark.parametrize(("event", "percent", "korean"), [
    ({"progress": 0, "message": "Server requested"}, 0, "랩을 요청했습니다."),
    ({"progress": 50, "message": "Spawning server..."}, 50, "랩 서버를 시작하는 중…"),
    ({"progress": 100, "ready": True, "message": "Server ready at /user/u1/"}, 100,
     "랩이 준비되었습니다. 노트북을 여는 중…"),
    ({"progress": 30, "message": "Pulling image registry.internal/scipy on node-7"}, 30,
     "시작하는 중…"),  # another spawner's words name the cluster's insides: not shown
    ({}, 0, "시작하는 중…"),
    ({"progress": "lots", "message": ""}, 0, "시작하는 중…"),
])
def test_the_hubs_events_are_shown_in_the_learners_language(event, percent, korean):
    with translation.override("ko"):
        shown = lab_progress_shown(event)

    assert (shown.percent, shown.message, shown.failed) == (percent, korean, False)


def test_a_start_that_timed_out_says_so():
    with translation.override("ko"):
        shown = lab_progress_shown({"progress": 100, "failed": True,
                                    "message": "Spawn failed: Timeout"})

    assert shown.failed
    assert shown.timed_out
    assert "제한 시간 안에 시작되지 않았습니다" in shown.message


def test_a_start_that_failed_says_so():
    with translation.override("en"):
        shown = lab_progress_shown({"progress": 100, "failed": True,
                                    "message": "Spawn failed: [Errno 2] No such file"})

    assert shown.failed
    assert not shown.timed_out
    assert shown.message.startswith("Your lab could not be started.")


@pytest.fixture
def hub_stand_in(settings, monkeypatch):
    settings.JUPYTERHUB_URL, settings.JUPYTERHUB_API_TOKEN = "http://hub.test", "t"
    monkeypatch.setattr("grading.views.lab_start", lambda user: STARTING)

    def answer(state, event):
        monkeypatch.setattr("grading.views.lab_progress", lambda user: (state, event))
    return answer


def test_the_status_carries_the_hubs_percentage_and_message(client, released_assignment,
                                                            enrolled_learner, hub_stand_in):
    hub_stand_in(STARTING, {"progress": 50, "message": "Spawning server..."})
    client.force_login(enrolled_learner)

    with translation.override("ko"):
        url = reverse("grading:lab_wait", args=["squares"])

    response = client.get(url, HTTP_ACCEPT="application/json")

    assert response.json() == {"state": "starting", "progress": 50,
                               "message": "랩 서버를 시작하는 중…"}


def test_the_page_starts_at_the_hubs_step_with_a_way_to_try_again(
        client, released_assignment, enrolled_learner, hub_stand_in):
    hub_stand_in(STARTING, {"progress": 50, "message": "Spawning server..."})
    client.force_login(enrolled_learner)

    with translation.override("ko"):
        url, retry = (reverse("grading:lab_wait", args=["squares"]),
                      reverse("grading:lab_open", args=["squares"]))

    html = client.get(url).content.decode()

    assert 'value="50"' in html
    assert "랩 서버를 시작하는 중…" in html
    assert f'action="{retry}"' in html
    assert "data-timeout-message=" in html


def test_a_timed_out_start_is_explained(client, released_assignment, enrolled_learner,
                                        hub_stand_in):
    hub_stand_in(GONE, {"progress": 100, "failed": True, "message": "Spawn failed: Timeout"})
    client.force_login(enrolled_learner)

    with translation.override("ko"):
        url = reverse("grading:lab_wait", args=["squares"])

    response = client.get(url, HTTP_ACCEPT="application/json")

    assert response.status_code == 503
    assert response.json()["state"] == "failed"
    assert response.json()["timed_out"] is True
    assert "제한 시간 안에 시작되지 않았습니다" in response.json()["message"]
