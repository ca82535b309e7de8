"""The hub's proxy (hub_config/proxy.py) in front of a small tornado target, without a hub:
answers are passed on as they come (an event stream is not held back until it ends), and a
WebSocket gets the subprotocol the target chose and keeps binary frames binary. No database."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from tornado import iostream, web, websocket
from tornado.ioloop import IOLoop

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Events(web.RequestHandler):
    async def get(self):
        self.set_header("Content-Type", "text/event-stream")
        self.write('data: {"progress": 0}\n\n')
        await self.flush()
        await asyncio.sleep(3)
        self.write('data: {"progress": 100, "ready": true}\n\n')


DROPPED: list[float] = []  # when the proxy dropped a /forever stream (the target saw it close)


class Forever(web.RequestHandler):
    """An event stream that never ends (a lab that takes its time to start)."""

    async def get(self):
        self.set_header("Content-Type", "text/event-stream")
        try:
            while True:
                self.write(": keepalive\n\n")
                await self.flush()
                await asyncio.sleep(0.2)
        except iostream.StreamClosedError:
            DROPPED.append(time.monotonic())


class Plain(web.RequestHandler):
    def get(self):
        self.write("plain")


class Kernel(websocket.WebSocketHandler):
    def select_subprotocol(self, subprotocols):
        return "v1.kernel.websocket.jupyter.org"

    def on_message(self, message):
        self.write_message(f"{type(message).__name__}:{len(message)}")


@pytest.fixture(scope="module")
def target():
    port, ready = _free_port(), threading.Event()
    loops = []

    def serve():
        async def main():
            web.Application([(r"/events", Events), (r"/kernel", Kernel), (r"/forever", Forever),
                             (r"/plain", Plain)]).listen(
                port, "127.0.0.1")
            loops.append(IOLoop.current())
            ready.set()
            await asyncio.Event().wait()
        try:
            asyncio.run(main())
        except RuntimeError:
            pass  # stopped by the fixture

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    ready.wait(10)
    yield f"http://127.0.0.1:{port}"
    loops[0].add_callback(loops[0].stop)


@pytest.fixture(scope="module")
def proxy(target):
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "hub_config" / "proxy.py"), "--ip", "127.0.0.1",
         "--port", str(port), "--api-port", str(_free_port()), "--default-target", target],
        env={**os.environ, "CONFIGPROXY_AUTH_TOKEN": "tests"}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(url + "/events", timeout=0.2)
            break
        except httpx.HTTPError:
            time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(10)


def test_an_event_stream_is_passed_on_as_it_comes(proxy):
    started = time.monotonic()
    with httpx.stream("GET", proxy + "/events", timeout=10) as response:
        first = next(line for line in response.iter_lines() if line.startswith("data:"))
        arrived = time.monotonic() - started

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream"
    assert first == 'data: {"progress": 0}'
    assert arrived < 2.5  # the target sends the second event after three seconds


def test_a_websocket_gets_the_targets_subprotocol_and_keeps_binary_frames(proxy):
    async def talk():
        connection = await websocket.websocket_connect(
            proxy.replace("http", "ws") + "/kernel",
            subprotocols=["v1.kernel.websocket.jupyter.org"])
        connection.write_message(b"\x00\x01\x02", binary=True)
        binary = await connection.read_message()
        connection.write_message("text")
        text = await connection.read_message()
        chosen = connection.selected_subprotocol
        connection.close()
        return chosen, binary, text

    chosen, binary, text = asyncio.run(asyncio.wait_for(talk(), 20))

    assert chosen == "v1.kernel.websocket.jupyter.org"
    assert binary == "bytes:3"
    assert text == "str:4"


def _open_stream(url):
    client = httpx.Client(timeout=10)
    response = client.send(client.build_request(
        "GET", url + "/forever", headers={"Accept": "text/event-stream"}), stream=True)
    next(response.iter_lines())
    return client, response


def test_long_streams_do_not_hold_up_other_requests(proxy):
    # tornado's client allows 10 requests at once unless told otherwise: 15 labs starting
    # would queue every other learner's request behind their event streams.
    streams = [_open_stream(proxy) for _ in range(15)]
    try:
        started = time.monotonic()
        answer = httpx.get(proxy + "/plain", timeout=10)
        assert answer.text == "plain"
        assert time.monotonic() - started < 3
    finally:
        for client, response in streams:
            response.close()
            client.close()


def test_a_stream_the_client_left_is_dropped_at_the_target(proxy):
    before = len(DROPPED)
    client, response = _open_stream(proxy)
    response.close()
    client.close()
    deadline = time.monotonic() + 5
    while len(DROPPED) <= before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(DROPPED) > before  # the proxy stopped reading it, the target saw it close
