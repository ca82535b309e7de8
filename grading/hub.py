"""The one module that talks to JupyterHub.

Everything the site asks of the hub goes through here and comes back as plain values or one
of three exceptions; callers never build hub URLs or parse its JSON themselves.

- ``HubUnavailable``: the hub (or the learner's server behind it) could not be reached, timed
  out, or answered 5xx. Requests that cannot have had an effect (the connection was refused)
  are retried; others are not, so nothing is done twice.
- ``HubNotFound``: the user, server or file does not exist.
- ``HubError``: the hub refused the request (4xx); ``status`` and ``message`` say why.

Files cross over HTTP only, through the hub's proxy and the Jupyter contents API of the
learner's server, with the site's service token (scope ``access:servers``). The same code
therefore works whatever the spawner: local processes, Docker or Kubernetes.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from dataclasses import dataclass
from urllib.parse import quote

import httpx

logger = logging.getLogger(__name__)


class HubUnavailable(Exception):
    """The hub could not be reached, timed out or failed (5xx)."""


class HubNotFound(Exception):
    """The user, server or file does not exist (404)."""


class HubError(Exception):
    """The hub refused the request (4xx other than 404)."""

    def __init__(self, status: int, message: str):
        super().__init__(f"{status}: {message}")
        self.status, self.message = status, message


def hub_version(*, base_url: str, timeout: float) -> str:
    """The hub's version from its unauthenticated API root (``GET /hub/api/``)."""
    url = base_url.rstrip("/") + "/hub/api/"
    try:
        response = httpx.get(url, timeout=timeout)
        response.raise_for_status()
        return str(response.json().get("version", "unknown"))
    except (httpx.HTTPError, ValueError) as exc:
        raise HubUnavailable(f"{url}: {exc}") from exc


@dataclass(frozen=True)
class ServerState:
    """A learner's default server as the hub reports it."""

    exists: bool
    ready: bool
    pending: str | None  # "spawn", "stop" or None
    url: str | None  # the server's path on the hub, e.g. "/user/u12/"

    @property
    def starting(self) -> bool:
        return self.pending == "spawn"


class HubClient:
    """A client for one hub, with the site's service token.

    ``timeout`` bounds every request (connect, read, write); ``retries`` is how many times a
    request whose connection was refused is tried again (with ``backoff`` seconds between).
    ``transport`` is for tests (``httpx.MockTransport``).
    """

    def __init__(self, *, base_url: str, token: str, timeout: float = 10.0, retries: int = 2,
                 backoff: float = 0.3, transport: httpx.BaseTransport | None = None):
        self.base_url = base_url.rstrip("/")
        self.retries, self.backoff = retries, backoff
        self._client = httpx.Client(
            base_url=self.base_url, timeout=timeout, transport=transport,
            headers={"Authorization": f"token {token}"}, follow_redirects=False)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HubClient:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    # --- plumbing ---------------------------------------------------------------------------

    def _request(self, method: str, path: str, **kwargs) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response = self._client.request(method, path, **kwargs)
            except httpx.ConnectError as exc:  # nothing was sent: safe to try again
                if attempt < self.retries:
                    attempt += 1
                    time.sleep(self.backoff * attempt)
                    continue
                raise HubUnavailable(f"{method} {path}: cannot connect ({exc})") from exc
            except httpx.TimeoutException as exc:
                raise HubUnavailable(f"{method} {path}: timed out") from exc
            except httpx.HTTPError as exc:
                raise HubUnavailable(f"{method} {path}: {exc}") from exc
            return self._checked(method, path, response)

    @staticmethod
    def _checked(method: str, path: str, response: httpx.Response) -> httpx.Response:
        if response.status_code < 400:
            return response
        try:
            message = str(response.json().get("message", ""))
        except ValueError:
            message = response.text[:200]
        if response.status_code == 404:
            raise HubNotFound(f"{method} {path}: {message or 'not found'}")
        if response.status_code >= 500:
            raise HubUnavailable(f"{method} {path}: {response.status_code} {message}")
        raise HubError(response.status_code, message)

    @staticmethod
    def _user_path(username: str) -> str:
        return f"/hub/api/users/{quote(username, safe='')}"

    # --- users and servers --------------------------------------------------------------------

    def user_ensure(self, username: str) -> dict:
        """The hub user, created when missing (the learner has not visited the hub yet)."""
        try:
            return self._request("GET", self._user_path(username)).json()
        except HubNotFound:
            pass
        try:
            return self._request("POST", self._user_path(username)).json()
        except HubError as exc:
            if exc.status == 409:  # created meanwhile
                return self._request("GET", self._user_path(username)).json()
            raise

    def server_state(self, username: str) -> ServerState:
        user = self._request("GET", self._user_path(username)).json()
        server = (user.get("servers") or {}).get("")
        if not server:
            return ServerState(exists=False, ready=False, pending=user.get("pending"),
                               url=None)
        return ServerState(exists=True, ready=bool(server.get("ready")),
                           pending=server.get("pending"), url=server.get("url"))

    def server_start(self, username: str) -> ServerState:
        """Ask for the learner's server (no-op when it is running or starting)."""
        try:
            self._request("POST", self._user_path(username) + "/server")
        except HubError as exc:
            if exc.status != 400 or "already" not in exc.message.lower():
                raise
        return self.server_state(username)

    def server_progress(self, username: str, *, timeout: float = 2.0) -> dict:
        """The last progress event of a starting server (``progress`` 0–100, ``message``,
        ``ready``), read from the hub's event stream for at most ``timeout`` seconds."""
        last: dict = {}
        deadline = time.monotonic() + timeout
        path = self._user_path(username) + "/server/progress"
        try:
            with self._client.stream("GET", path, timeout=timeout,
                                     headers={"Accept": "text/event-stream"}) as response:
                if response.status_code >= 400:
                    response.read()
                    self._checked("GET", path, response)
                for line in response.iter_lines():
                    if line.startswith("data:"):
                        try:
                            last = json.loads(line[5:].strip())
                        except ValueError:
                            continue
                        if last.get("ready") or last.get("failed"):
                            break
                    if time.monotonic() > deadline:
                        break
        except httpx.TimeoutException:
            pass  # no new event in time: the last one stands
        except httpx.HTTPError as exc:
            raise HubUnavailable(f"GET {path}: {exc}") from exc
        return last

    def server_wait(self, username: str, *, timeout: float, interval: float = 0.5
                    ) -> ServerState:
        """Poll until the server is ready; HubUnavailable when it does not come up."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.server_state(username)
            if state.ready:
                return state
            if not state.exists and not state.starting:
                raise HubUnavailable(f"the server of {username} stopped while starting")
            if time.monotonic() > deadline:
                raise HubUnavailable(f"the server of {username} did not start in {timeout}s")
            time.sleep(interval)

    def server_stop(self, username: str) -> None:
        try:
            self._request("DELETE", self._user_path(username) + "/server")
        except HubNotFound:
            pass

    # --- files, through the learner's server ----------------------------------------------------

    def _contents_path(self, server_url: str, path: str) -> str:
        return server_url.rstrip("/") + "/api/contents/" + quote(path.strip("/"))

    def contents_get(self, server_url: str, path: str) -> dict:
        """The contents model of ``path`` (a file's text comes back exactly as stored)."""
        params = {"content": "1"}
        return self._request("GET", self._contents_path(server_url, path),
                             params=params).json()

    def file_bytes(self, server_url: str, path: str) -> bytes:
        """A file's bytes exactly as on the learner's disk (text or base64 from the API)."""
        model = self._request("GET", self._contents_path(server_url, path),
                              params={"type": "file", "content": "1"}).json()
        content = model.get("content") or ""
        if model.get("format") == "base64":
            return base64.b64decode(content)
        return content.encode("utf-8")

    def stat(self, server_url: str, path: str) -> dict:
        """The contents model of ``path`` without its content (``size``, ``type``...)."""
        return self._request("GET", self._contents_path(server_url, path),
                             params={"content": "0"}).json()

    def exists(self, server_url: str, path: str) -> bool:
        try:
            self.stat(server_url, path)
        except HubNotFound:
            return False
        return True

    def directory_ensure(self, server_url: str, path: str) -> None:
        parts = [p for p in path.strip("/").split("/") if p]
        for depth in range(1, len(parts) + 1):
            sub = "/".join(parts[:depth])
            if not self.exists(server_url, sub):
                self._request("PUT", self._contents_path(server_url, sub),
                              json={"type": "directory"})

    def file_put(self, server_url: str, path: str, data: bytes) -> None:
        """Write ``data`` to ``path`` byte for byte (base64 through the contents API)."""
        self._request("PUT", self._contents_path(server_url, path), json={
            "type": "file", "format": "base64",
            "content": base64.b64encode(data).decode("ascii")})
