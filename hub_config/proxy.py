"""The hub's proxy: the Python configurable-http-proxy, naming the WebSocket subprotocol.

configurable-http-proxy 0.4.0 opens a WebSocket to the target first, passing on the browser's
``Sec-WebSocket-Protocol``, so the target chooses one (Jupyter Server chooses
``v1.kernel.websocket.jupyter.org`` for kernels); but it then accepts the browser's side with
tornado's default ``select_subprotocol``, which chooses none. A browser that asked for
subprotocols must be answered with one: Chromium drops the connection ("Error during WebSocket
handshake: Sent non-empty 'Sec-WebSocket-Protocol' header but no response was received"), and
JupyterLab reconnects its kernel on every start. Here the browser is told what the target chose,
and the browser's binary frames go on as binary frames (the v1 kernel protocol's messages are
binary; the proxy sent them on as text, which Jupyter Server cannot read).

It also read every HTTP answer whole before passing it on, so an event stream (the hub's
``/hub/api/users/<name>/server/progress``, which the site's and the hub's start pages read)
arrived only when it ended: the start pages stood still until the lab was ready. Here answers are
passed on as they come, chunk by chunk.

Run by the hub (``c.ConfigurableHTTPProxy.command`` in ``jupyterhub_config.py``) with the same
arguments as ``configurable-http-proxy``.
"""

import sys

from configurable_http_proxy import configproxy
from configurable_http_proxy.cli import main
from configurable_http_proxy.handlers import ProxyHandler
from tornado.httpclient import AsyncHTTPClient
from tornado.httputil import HTTPHeaders

# tornado's shared client allows 10 requests at once by default: ten long answers (event
# streams of labs being started) would queue every other learner's request behind them.
AsyncHTTPClient.configure(None, max_clients=1000)

# Answers with no overall deadline (unless --proxy-timeout is given): event streams only, which
# the browser asks for as such. Every other request keeps tornado's 20 s default deadline.
STREAM_ACCEPT = "text/event-stream"


class ClientGone(Exception):
    """The browser (or the site) closed its connection: the target's answer is dropped."""

# What the proxy does not pass on (as ProxyHandler.call_proxy): tornado's client has already
# decoded the body, and the connection and its framing are the proxy's own.
HOP_HEADERS = {"content-length", "transfer-encoding", "content-encoding", "connection"}


class StreamingProxyHandler(ProxyHandler):
    _client_gone = False

    def on_connection_close(self):
        self._client_gone = True
        super().on_connection_close()

    def select_subprotocol(self, subprotocols):
        # Called after the target's connection is open (ProxyHandler.get connects it first).
        chosen = self.ws_client.selected_subprotocol if self.ws_client else None
        return chosen if chosen in subprotocols else None

    def on_message(self, message):
        if self.ws_client:
            prefix = self.target["prefix"] if self.target else ""
            if prefix:
                self.proxy.update_last_activity(prefix)  # as ProxyHandler.on_message does
            self.ws_client.write_message(message, binary=isinstance(message, bytes))

    async def call_proxy(self, path=None):
        url = await self.get_target_url(path)
        if url is None:
            return
        request = self._get_proxy_request(url)
        if STREAM_ACCEPT in self.request.headers.get("Accept", ""):
            # An event stream lasts as long as the lab's start: no deadline but the client's
            # own (it is dropped as soon as the client goes, see chunk()).
            request.request_timeout = self.proxy.proxy_timeout or 0
        answer = {"status": None, "headers": HTTPHeaders(), "started": False}

        def header_line(line: str) -> None:
            if line.startswith("HTTP/"):  # a status line (again after "100 Continue")
                answer["status"] = int(line.split(" ", 2)[1])
                answer["headers"] = HTTPHeaders()
            elif line.strip():
                answer["headers"].parse_line(line)

        def start() -> None:
            if answer["started"]:
                return
            answer["started"] = True
            self.set_status(answer["status"])
            existing = {name.lower() for name, _ in self._headers.get_all()}
            for name, value in answer["headers"].get_all():
                if name.lower() in HOP_HEADERS:
                    continue
                if name.lower() in existing:  # Server, Content-Type, Date: the target's
                    self.set_header(name, value)
                    existing.discard(name.lower())
                else:
                    self.add_header(name, value)

        def chunk(data: bytes) -> None:
            if self._client_gone:
                raise ClientGone  # tornado ends the fetch: nothing is kept open for nobody
            start()
            self.write(data)
            self.flush()

        request.header_callback = header_line
        request.streaming_callback = chunk
        try:
            response = await AsyncHTTPClient().fetch(request, raise_error=False)
        except Exception as err:  # noqa: BLE001 - as ProxyHandler.call_proxy: any failure is a 503
            if self._client_gone:
                return
            if answer["started"]:
                # Cut off mid-answer: close the connection, so the client sees a truncated
                # answer as truncated (a clean end would pass for a whole download).
                self.request.connection.close()
                return
            await self.handle_proxy_error(503, err)
            return
        if answer["status"] is None:
            answer["status"] = response.code
        start()
        self.finish()


# PythonProxy builds its routes from this module-level name when it starts.
configproxy.ProxyHandler = StreamingProxyHandler

if __name__ == "__main__":
    sys.exit(main())
