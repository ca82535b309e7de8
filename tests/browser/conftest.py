"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

Screenshots of each step go to ``test-artifacts/screenshots/`` (CI keeps the folder).
Playwright may not download browsers here: it launches /usr/bin/chromium.
"""

import os
import re
from pathlib import Path

import pytest
from django.db import connections

from tests.grading.conftest import (  # noqa: F401 - the grading fixtures, for browser tests
    assignment,
    assignment_module,
    catalogue,
    course,
    enrolled_learner,
    instructor,
    learner,
    locales,
    programme,
    released_assignment,
    run,
    source_bytes,
)
from tests.reports.conftest import ministry_officer  # noqa: F401 - the ministry's officer

CHROMIUM = os.environ.get("LMS_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls made by the
# test itself (fixtures, assertions) are still synchronous and safe there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser(django_db_serialized_rollback, live_server, live_server_requests_joined):
    # Function-scoped, and started after the database fixtures: Playwright's sync API runs an
    # event loop in this thread, and Django's per-context connections must be set up first.
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  "--disable-quic"],
        )
        yield browser
        # While Playwright's event loop runs in this thread, asgiref keeps Django's
        # connections apart from the thread's own (a context variable): the ones the test
        # opened are closed here, inside, or they would stay open after the loop has stopped
        # and the test database could not be dropped ("being accessed by other users").
        connections.close_all()
        browser.close()


@pytest.fixture
def page(browser, django_db_serialized_rollback, live_server):
    """A fresh browser context on the live server. The live server forces a transactional
    database, flushed after each test; serialized rollback restores the rows migrations made
    (Wagtail's root page and site, locales, role groups) before each test."""
    context = browser.new_context(base_url=live_server.url, locale="ko-KR",
                                  timezone_id="Asia/Seoul", viewport={"width": 1280,
                                                                      "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def shoot(request):
    """shoot(page, "step-name") saves a full-page screenshot named after the test."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    prefix = re.sub(r"[^a-zA-Z0-9_-]+", "_", request.node.name)
    counter = {"n": 0}

    def _shoot(page, name: str) -> Path:
        counter["n"] += 1
        path = ARTIFACTS / f"{prefix}-{counter['n']:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _shoot
