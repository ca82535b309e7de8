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
from tornado import web, websocket
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
            web.Application([(r"/events", Events), (r"/kernel", Kernel)]).listen(
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
