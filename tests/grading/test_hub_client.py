"""The hub client against a fake hub (httpx.MockTransport): what it asks, how it retries,
how it maps failures. The real hub is exercised in tests/hub/."""

import base64
import json

import httpx
import pytest

from grading.hub import HubClient, HubError, HubNotFound, HubUnavailable


def client(handler, **kwargs) -> HubClient:
    return HubClient(base_url="http://hub.test", token="t0ken", retries=2, backoff=0,
                     transport=httpx.MockTransport(handler), **kwargs)


def test_every_request_carries_the_service_token():
    seen = []

    def handler(request):
        seen.append(request.headers["Authorization"])
        return httpx.Response(200, json={"name": "u1", "servers": {}})

    client(handler).server_state("u1")
    assert seen == ["token t0ken"]


def test_a_missing_user_is_created():
    calls = []

    def handler(request):
        calls.append((request.method, request.url.path))
        if request.method == "GET":
            return httpx.Response(404, json={"message": "no such user"})
        return httpx.Response(201, json={"name": "u7"})

    assert client(handler).user_ensure("u7") == {"name": "u7"}
    assert calls == [("GET", "/hub/api/users/u7"), ("POST", "/hub/api/users/u7")]


def test_a_refused_connection_is_retried_then_reported():
    attempts = []

    def handler(request):
        attempts.append(1)
        raise httpx.ConnectError("connection refused", request=request)

    with pytest.raises(HubUnavailable, match="cannot connect"):
        client(handler).server_state("u1")
    assert len(attempts) == 3  # the first try and two retries


def test_a_refused_connection_that_recovers_succeeds():
    attempts = []

    def handler(request):
        attempts.append(1)
        if len(attempts) == 1:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(200, json={"name": "u1", "servers": {}})

    assert client(handler).server_state("u1").exists is False


def test_a_timeout_is_not_retried():
    attempts = []

    def handler(request):
        attempts.append(1)
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(HubUnavailable, match="timed out"):
        client(handler).server_start("u1")
    assert len(attempts) == 1  # the hub may have acted: never twice


@pytest.mark.parametrize(("status", "error"), [
    (404, HubNotFound), (403, HubError), (400, HubError), (500, HubUnavailable),
    (503, HubUnavailable)])
def test_statuses_map_to_errors(status, error):
    def handler(request):
        return httpx.Response(status, json={"message": "nope"})

    with pytest.raises(error):
        client(handler).contents_get("/user/u1/", "a/b.ipynb")


def test_server_start_when_already_running_is_fine():
    def handler(request):
        if request.method == "POST":
            return httpx.Response(400, json={"message": "u1 is already running"})
        return httpx.Response(200, json={"servers": {"": {"ready": True, "pending": None,
                                                           "url": "/user/u1/"}}})

    state = client(handler).server_start("u1")
    assert state.ready
    assert state.url == "/user/u1/"


def test_server_wait_gives_up_when_the_server_does_not_come_up():
    def handler(request):
        return httpx.Response(200, json={"servers": {"": {"ready": False, "pending": "spawn",
                                                           "url": "/user/u1/"}}})

    with pytest.raises(HubUnavailable, match="did not start"):
        client(handler).server_wait("u1", timeout=0.2, interval=0.05)


def test_progress_reads_the_last_event_of_the_stream():
    events = [{"progress": 10, "message": "Spawning"}, {"progress": 50, "message": "Half"},
              {"progress": 100, "message": "Ready", "ready": True}]
    body = "".join(f"data: {json.dumps(e)}\n\n" for e in events)

    def handler(request):
        return httpx.Response(200, text=body, headers={"Content-Type": "text/event-stream"})

    assert client(handler).server_progress("u1")["ready"] is True


def test_files_go_through_the_contents_api_byte_for_byte():
    stored = {}
    data = '{"cells": [], "nbformat": 4}\n한글 ✓'.encode()

    def handler(request):
        path = request.url.path
        if request.method == "PUT":
            model = json.loads(request.content)
            stored[path] = model
            return httpx.Response(201, json={"path": path})
        if path in stored:
            model = stored[path]
            return httpx.Response(200, json={**model, "content": base64.b64decode(
                model["content"]).decode() if model.get("format") == "base64" else None,
                "format": "text"})
        return httpx.Response(404, json={"message": "No such file"})

    hub = client(handler)
    hub.file_put("/user/u1/", "course/sensor-spc/sensor-spc.ipynb", data)
    path = "/user/u1/api/contents/course/sensor-spc/sensor-spc.ipynb"
    assert stored[path]["format"] == "base64"
    assert hub.file_bytes("/user/u1/", "course/sensor-spc/sensor-spc.ipynb") == data
    assert hub.exists("/user/u1/", "course/sensor-spc/sensor-spc.ipynb")
    assert not hub.exists("/user/u1/", "course/other.ipynb")
