"""In a real browser: the "Starting your lab" page follows the hub's progress (a bar that keeps
moving, the hub's messages in Korean) until the lab opens, and a start that fails says so with a
way to try again."""

import pytest
from playwright.sync_api import Error as PlaywrightError

from grading.hub import ServerState
from tests.browser.steps import log_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SAMPLE = """() => {
  const bar = document.querySelector('#lab-progress');
  const message = document.querySelector('[data-lab-message]');
  return bar ? [Number(bar.value), message.textContent.trim()] : null;
}"""


def _signed_in(page, live_server, user) -> None:
    log_in(page.context, live_server, user)


def test_the_start_page_follows_the_hubs_progress(hub, page, shoot, live_server,
                                                  released_assignment, enrolled_learner):
    _signed_in(page, live_server, enrolled_learner)
    page.goto(released_assignment.module.url)

    page.get_by_role("button", name="JupyterLab에서 열기").click()
    page.wait_for_url("**/lab/wait/**", timeout=30_000)
    samples = []
    while "/lab/wait/" in page.url and len(samples) < 900:
        try:
            sample = page.evaluate(SAMPLE)
        except PlaywrightError:
            break  # on to the lab
        if sample:
            samples.append(sample)
        if len(samples) == 12:
            shoot(page, "progress")
        page.wait_for_timeout(150)
    page.wait_for_url("**/lab/tree/**", timeout=120_000)

    values = [value for value, _ in samples]
    shown = {message for _, message in samples}
    assert values == sorted(values)  # never backwards
    if len(samples) >= 8:  # watched for over a second: long enough to see it move
        assert len(set(values)) >= 5, samples  # it moves, not only at the hub's steps
    # (a lab that is ready within a second of the page, as on an idle machine, gives too few
    # samples to see the bar move between the hub's steps; the rest still holds)
    assert any(0 < value < 100 for value in values)
    assert shown & {"랩을 요청했습니다.", "랩 서버를 시작하는 중…"}, shown
    assert "시작하는 중…" not in shown or len(shown) > 1


def test_a_start_that_fails_says_so_with_a_way_to_try_again(page, shoot, live_server, settings,
                                                            monkeypatch, released_assignment,
                                                            enrolled_learner):
    """The hub is replaced by stand-ins: it accepts the start, then reports it failed."""
    settings.JUPYTERHUB_URL = settings.JUPYTERHUB_PUBLIC_URL = "http://hub.test"
    settings.JUPYTERHUB_API_TOKEN = "t"
    monkeypatch.setattr("grading.views.lab_start", lambda user: ServerState(
        exists=True, ready=False, pending="spawn", url="/user/u1/"))
    events = iter([(ServerState(exists=True, ready=False, pending="spawn", url="/user/u1/"),
                    {"progress": 50, "message": "Spawning server..."})])
    failed = (ServerState(exists=False, ready=False, pending=None, url=None),
              {"progress": 100, "failed": True, "message": "Spawn failed: Timeout"})
    monkeypatch.setattr("grading.views.lab_progress", lambda user: next(events, failed))
    _signed_in(page, live_server, enrolled_learner)
    page.goto(released_assignment.module.url)

    page.get_by_role("button", name="JupyterLab에서 열기").click()
    alert = page.get_by_role("alert")
    alert.wait_for(timeout=30_000)

    assert "제한 시간 안에 시작되지 않았습니다" in alert.inner_text()
    assert page.get_by_role("button", name="다시 시도").is_visible()
    assert "/lab/wait/" in page.url
    shoot(page, "failed")
