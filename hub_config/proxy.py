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

# What the proxy does not pass on (as ProxyHandler.call_proxy): tornado's client has already
# decoded the body, and the connection and its framing are the proxy's own.
HOP_HEADERS = {"content-length", "transfer-encoding", "content-encoding", "connection"}


class StreamingProxyHandler(ProxyHandler):
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
        # An answer passed on as it comes may last as long as it needs (an event stream, a big
        # download): tornado's 20 s default would cut it. --proxy-timeout still bounds it when set.
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
            start()
            self.write(data)
            self.flush()

        request.header_callback = header_line
        request.streaming_callback = chunk
        try:
            response = await AsyncHTTPClient().fetch(request, raise_error=False)
        except Exception as err:  # noqa: BLE001 - as ProxyHandler.call_proxy: any failure is a 503
            if answer["started"]:  # cut off mid-answer: end what was sent
                self.finish()
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
