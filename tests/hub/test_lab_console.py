"""In a real browser, through the hub on loopback: the lab starts without WebSocket errors in the
console (the kernel connects at the first try), and the demo notebook's instructions read as
written in JupyterLab's own markdown renderer (no strikethrough, no stray ``**``)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from grading.autograder.release import released_notebook
from grading.hub import HubClient
from lms.core.oidc import hub_username
from tests.browser.steps import log_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

DEMO = Path(__file__).resolve().parents[2] / "courses" / "demo_content" / "assignments"


def _signed_in(page, live_server, user) -> None:
    log_in(page.context, live_server, user)


def _open_lab(page, assignment) -> None:
    page.goto(assignment.module.url)
    page.get_by_role("button", name="JupyterLab에서 열기").click()
    page.wait_for_url("**/lab/tree/**", timeout=120_000)
    page.locator(".jp-Notebook").first.wait_for(timeout=120_000)


def _kernel_idle(page) -> None:
    """The notebook's kernel has connected (its status shows idle in the toolbar)."""
    page.locator(".jp-Notebook").first.wait_for(timeout=60_000)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.jp-Notebook-ExecutionIndicator')]"
        ".some(e => e.getAttribute('data-status') === 'idle')", timeout=120_000)


def test_the_lab_starts_and_a_kernel_connects_without_websocket_errors(
        hub, page, shoot, live_server, released_assignment, enrolled_learner):
    console, failed_sockets, sockets = [], [], []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))

    def _socket(ws):
        sockets.append(ws.url)
        ws.on("socketerror", lambda error: failed_sockets.append(f"{ws.url}: {error}"))
    page.on("websocket", _socket)
    _signed_in(page, live_server, enrolled_learner)

    _open_lab(page, released_assignment)
    _kernel_idle(page)
    # The kernel's status reaches the status bar through the WebSocket (iopub): connected.
    page.locator(".jp-StatusBar-Widget", has_text="| Idle").first.wait_for(timeout=60_000)
    page.wait_for_timeout(3000)  # a reconnect would come within this
    # And code runs: a new cell's output comes back through the proxy (binary v1 frames).
    page.locator(".jp-Notebook .jp-Cell").first.click()
    page.keyboard.press("Escape")
    page.keyboard.press("b")
    page.keyboard.press("Enter")
    page.keyboard.type("print(6 * 7, 'ok')")
    page.keyboard.press("Shift+Enter")
    page.locator(".jp-OutputArea-output", has_text="42 ok").first.wait_for(timeout=60_000)
    print("\n".join(console))  # noqa: T201 - shown when the test fails
    shoot(page, "kernel-connected")

    kernel_sockets = [url for url in sockets if "/api/kernels/" in url and "/channels" in url]
    handshake_errors = [line for line in console if "Sec-WebSocket-Protocol" in line
                        or "Error during WebSocket handshake" in line
                        or "Connection lost, reconnecting" in line]
    assert kernel_sockets, sockets
    assert len(kernel_sockets) == len(set(kernel_sockets)), kernel_sockets  # no reconnect
    assert not failed_sockets
    assert not handshake_errors


def test_the_demo_notebook_reads_as_written_in_jupyterlab(
        hub, page, shoot, live_server, released_assignment, enrolled_learner):
    _signed_in(page, live_server, enrolled_learner)
    _open_lab(page, released_assignment)
    source = nbformat.read(DEMO / "sensor-spc.ipynb", as_version=4)
    released = released_notebook(source, assignment_key="sensor-spc")
    name = hub_username(enrolled_learner)
    with HubClient(base_url=hub.url, token=hub.token, timeout=30) as client:
        server = client.server_state(name).url
        client.file_put(server, "sensor-spc.ipynb", nbformat.writes(released).encode())

    page.goto(f"{hub.url}/user/{name}/lab/tree/sensor-spc.ipynb")
    rendered = page.locator(".jp-MarkdownCell .jp-RenderedMarkdown")
    first = rendered.filter(has_text="노트북 과제 sensor-spc").first
    first.wait_for(timeout=120_000)
    shoot(page, "sensor-spc")

    assert first.locator("del, s, strike").count() == 0
    text = first.inner_text()
    assert "CNC-01~03" in text
    assert "08:00~19:59" in text
    assert "**" not in text
    cleaning = rendered.filter(has_text="정제 함수").first
    assert cleaning.locator("strong", has_text="오류 코드").count() == 1
    checked = rendered.count()
    assert checked >= 3
    for index in range(checked):
        cell = rendered.nth(index)
        assert cell.locator("del, s, strike").count() == 0, cell.inner_text()[:200]
        assert "**" not in cell.inner_text(), cell.inner_text()[:200]
