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

Run by the hub (``c.ConfigurableHTTPProxy.command`` in ``jupyterhub_config.py``) with the same
arguments as ``configurable-http-proxy``.
"""

import sys

from configurable_http_proxy import configproxy
from configurable_http_proxy.cli import main
from configurable_http_proxy.handlers import ProxyHandler


class SubprotocolProxyHandler(ProxyHandler):
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


# PythonProxy builds its routes from this module-level name when it starts.
configproxy.ProxyHandler = SubprotocolProxyHandler

if __name__ == "__main__":
    sys.exit(main())
