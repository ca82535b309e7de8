"""The notebook environment end to end, with a real JupyterHub and a real learner server:
single sign-on through the site's OAuth provider (an HTTP client following redirects), one
click to open the assignment, editing it through the contents API, submitting it, and what
happens when things go wrong."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from urllib.parse import urlparse

import httpx
import nbformat
import pytest
from django.conf import settings
from django.test import Client

from grading.hub import HubClient
from grading.lab import lab_paths
from grading.models import Submission
from lms.core.oidc import hub_username
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

RIGHT = "def square(x):\n    return x * x"


def _cookie_domain(url: str) -> str:
    """The cookie jar's name for the host (http.cookiejar files "localhost" under
    "localhost.local")."""
    host = urlparse(url).hostname
    return host if "." in host else f"{host}.local"


def browser_for(live_server, user) -> httpx.Client:
    """An HTTP client holding the user's site session (as their browser would)."""
    client = Client()
    client.force_login(user)
    browser = httpx.Client(follow_redirects=True, timeout=60)
    browser.cookies.set(settings.SESSION_COOKIE_NAME,
                        client.cookies[settings.SESSION_COOKIE_NAME].value,
                        domain=_cookie_domain(live_server.url))
    return browser


def site_post(browser, live_server, module_url: str, action: str) -> httpx.Response:
    """POST a form of the module page the way the browser does (CSRF token included)."""
    page = browser.get(live_server.url + module_url)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    return browser.post(live_server.url + action, data={"csrfmiddlewaretoken": token},
                        headers={"Accept": "application/json",
                                 "Referer": live_server.url + module_url})


def open_lab(browser, live_server, assignment) -> str:
    """Click "Open in JupyterLab" and wait for the lab; the lab's URL."""
    module_url = assignment.module.url
    answer = site_post(browser, live_server, module_url,
                       f"/ko/grading/assignments/{assignment.key}/lab/").json()
    for _ in range(120):
        if answer.get("state") == "ready":
            return answer["url"]
        assert answer.get("state") == "starting", answer
        answer = browser.get(live_server.url + answer.get("wait", f"/ko/grading/assignments/"
                                                       f"{assignment.key}/lab/wait/"),
                             headers={"Accept": "application/json"}).json()
        answer.setdefault("wait", f"/ko/grading/assignments/{assignment.key}/lab/wait/")
        threading.Event().wait(0.5)
    raise AssertionError("the lab did not start")


def test_sign_in_launch_edit_and_submit(hub, live_server, released_assignment,
                                        enrolled_learner):
    browser = browser_for(live_server, enrolled_learner)
    url = open_lab(browser, live_server, released_assignment)
    paths = lab_paths(released_assignment)
    assert url.endswith(f"/hub/user-redirect/lab/tree/{paths.notebook}")

    # Single sign-on: the hub sends the browser to the site, which knows the learner and
    # trusts the hub, and back: JupyterLab answers, no password asked.
    lab = browser.get(url)
    assert lab.status_code == 200
    assert f"/user/{hub_username(enrolled_learner)}/lab" in str(lab.url)
    assert "/o/authorize" in " ".join(str(r.url) for r in lab.history)

    # The assignment is waiting in the learner's home, as released.
    server = f"/user/{hub_username(enrolled_learner)}/"
    with HubClient(base_url=hub.url, token=hub.token) as service:
        assert service.file_bytes(server, paths.notebook) == \
            released_assignment.released.open("rb").read()

    # The learner edits and saves it (the contents API, with their own lab session).
    xsrf = next((c.value for c in browser.cookies.jar
                 if c.name == "_xsrf" and c.path.startswith(server.rstrip("/"))), "")
    model = browser.get(f"{hub.url}{server}api/contents/{paths.notebook}").json()
    notebook = nbformat.from_dict(model["content"])
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "square":
            cell.source = RIGHT
    saved = browser.put(f"{hub.url}{server}api/contents/{paths.notebook}",
                        json={"type": "notebook", "format": "json", "content": notebook},
                        headers={"X-XSRFToken": xsrf or ""})
    assert saved.status_code == 200, saved.text
    with HubClient(base_url=hub.url, token=hub.token) as service:
        on_disk = service.file_bytes(server, paths.notebook)

    # Submit from the module page: the stored bytes are exactly what was saved.
    answer = site_post(browser, live_server, released_assignment.module.url,
                       f"/ko/grading/assignments/{released_assignment.key}/lab/submit/")
    assert answer.status_code == 200, answer.text
    submission = Submission.objects.get(learner=enrolled_learner)
    assert submission.notebook.open("rb").read() == on_disk
    assert submission.sha256 == hashlib.sha256(on_disk).hexdigest()
    assert submission.sha256[:12] in answer.json()["message"]

    # Opening again never overwrites the learner's work.
    open_lab(browser, live_server, released_assignment)
    with HubClient(base_url=hub.url, token=hub.token) as service:
        assert service.file_bytes(server, paths.notebook) == on_disk


def test_failures_are_explained_and_lose_nothing(hub, live_server, released_assignment,
                                                 enrolled_learner, settings):
    browser = browser_for(live_server, enrolled_learner)
    open_lab(browser, live_server, released_assignment)
    paths = lab_paths(released_assignment)
    server = f"/user/{hub_username(enrolled_learner)}/"
    submit = f"/ko/grading/assignments/{released_assignment.key}/lab/submit/"
    module_url = released_assignment.module.url

    # Two clicks at once: one submission.
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(
        site_post(browser_for(live_server, enrolled_learner), live_server, module_url,
                  submit))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [200, 200]
    assert Submission.objects.filter(learner=enrolled_learner).count() == 1

    # The notebook renamed: a clear message, nothing stored.
    with HubClient(base_url=hub.url, token=hub.token) as service:
        service._request("PATCH", service._contents_path(server, paths.notebook),
                         json={"path": paths.notebook.replace(".ipynb", "-mine.ipynb")})
    answer = site_post(browser, live_server, module_url, submit)
    assert answer.status_code == 409
    assert paths.notebook in answer.json()["message"]

    # Over the size cap: refused before it is even fetched.
    with HubClient(base_url=hub.url, token=hub.token) as service:
        service.file_put(server, paths.notebook, json.dumps(
            {"cells": [], "metadata": {"pad": "x" * 5000}, "nbformat": 4,
             "nbformat_minor": 5}).encode())
    settings.GRADING_MAX_NOTEBOOK_BYTES = 1000
    answer = site_post(browser, live_server, module_url, submit)
    assert answer.status_code == 400
    assert "1,000" in answer.json()["message"]
    assert Submission.objects.filter(learner=enrolled_learner).count() == 1

    # The hub unreachable, during a launch and during a submit.
    settings.JUPYTERHUB_URL = "http://127.0.0.1:9"
    for action in (f"/ko/grading/assignments/{released_assignment.key}/lab/", submit):
        answer = site_post(browser, live_server, module_url, action)
        assert answer.status_code == 503
        assert answer.json()["message"]
    assert Submission.objects.filter(learner=enrolled_learner).count() == 1


def test_a_learner_not_enrolled_is_refused_by_the_hub(hub, live_server):
    stranger = UserFactory()
    browser = browser_for(live_server, stranger)
    response = browser.get(f"{hub.url}/hub/login")
    assert response.status_code == 403
    assert "/o/authorize" in " ".join(str(r.url) for r in response.history)
    assert "수강 중인 학습자" in response.text
    assert "Enrol in a run" in response.text
