"""A real JupyterHub on loopback (hub_config/jupyterhub_config.py, local spawner, the Python
configurable-http-proxy) signing learners in against the live test server of the site."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from lms.accounts.services import hub_oauth_client_ensure
from tests.browser.conftest import (  # noqa: F401 - browser and grading fixtures
    assignment,
    assignment_module,
    browser,
    catalogue,
    course,
    enrolled_learner,
    instructor,
    learner,
    locales,
    page,
    programme,
    released_assignment,
    run,
    shoot,
    source_bytes,
)

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID, CLIENT_SECRET = "jupyterhub-tests", "tests-only-hub-client-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Hub:
    url: str
    token: str
    process: subprocess.Popen
    log: Path


def _wait_up(url: str, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the hub exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url + "/hub/api/", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"the hub did not come up:\n{log.read_text()[-3000:]}")


def _stop_all_servers(url: str, token: str) -> None:
    """Learners' servers run in their own sessions: stop them through the hub's API before
    the hub goes, so that no JupyterLab outlives the test."""
    headers = {"Authorization": f"token {token}"}
    try:
        users = httpx.get(f"{url}/hub/api/users", headers=headers, timeout=10).json()
        for user in users:
            if user.get("servers"):
                httpx.delete(f"{url}/hub/api/users/{user['name']}/server", headers=headers,
                             timeout=30)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(
                u.get("servers") for u in httpx.get(f"{url}/hub/api/users", headers=headers,
                                                    timeout=10).json()):
            time.sleep(0.3)
    except (httpx.HTTPError, ValueError):
        pass  # the hub is already gone: nothing to ask


@pytest.fixture
def hub(live_server, settings, tmp_path, live_server_requests_joined):
    """The hub, the site's settings pointing at it, and its OAuth client registered."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    token = secrets.token_hex(16)
    log = tmp_path / "hub.log"
    env = {
        **os.environ,
        "JUPYTERHUB_SPAWNER": "local",
        "JUPYTERHUB_DATA_DIR": str(tmp_path / "hub"),
        "JUPYTERHUB_BIND_URL": url,
        "JUPYTERHUB_PUBLIC_URL": url,
        "JUPYTERHUB_HUB_BIND_URL": f"http://127.0.0.1:{free_port()}",
        "JUPYTERHUB_PROXY_API_URL": f"http://127.0.0.1:{free_port()}",
        "CONFIGPROXY_AUTH_TOKEN": secrets.token_hex(16),
        "JUPYTERHUB_API_TOKEN": token,
        "LMS_OAUTH_CLIENT_ID": CLIENT_ID,
        "LMS_OAUTH_CLIENT_SECRET": CLIENT_SECRET,
        "LMS_BASE_URL": live_server.url,
        "JUPYTERHUB_LOCAL_HOME": str(tmp_path / "home" / "{username}"),
        "JUPYTERHUB_CULL_TIMEOUT": "0",
        "JUPYTERHUB_DEMO_AUTH": "0",
    }
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "jupyterhub"), "-f",
         str(ROOT / "hub_config" / "jupyterhub_config.py")],
        cwd=tmp_path, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
        start_new_session=True)
    try:
        _wait_up(url, process, log)
        hub_oauth_client_ensure(client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                                redirect_uri=f"{url}/hub/oauth_callback")
        settings.JUPYTERHUB_URL = settings.JUPYTERHUB_PUBLIC_URL = url
        # The site's pages may send forms on to the hub (the CSP's form-action is built from
        # the hub's address when settings load, before this hub existed).
        settings.LMS_CSP = {**settings.LMS_CSP,
                            "form-action": [*settings.LMS_CSP["form-action"], url]}
        # Plain http on loopback: browsers treat it as secure, httpx (the test's browser)
        # does not send Secure cookies there.
        settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
        settings.JUPYTERHUB_API_TOKEN = token
        yield Hub(url=url, token=token, process=process, log=log)
    finally:
        _stop_all_servers(url, token)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        print(log.read_text()[-5000:])  # noqa: T201 - shown when a test fails
