"""In a real browser (Chromium), the Content-Security-Policy blocks nothing the site needs:
the public module page (with its grading panel script), the Wagtail admin's dashboard and
editors and the Django admin load without a single CSP violation."""

from __future__ import annotations

import pytest

from grading.services.submissions import submission_create
from tests.browser.steps import log_in
from tests.grading.conftest import notebook_with
from tests.security.matrix import RIGHT

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# Reports every violation to the console, in case the browser's own message changes wording.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI}`);
});
"""


def _log_in(page, live_server, user) -> None:
    log_in(page.context, live_server, user)


def _visit(page, path: str) -> list[str]:
    """Load the page (and let its scripts run); the CSP messages it caused."""
    messages: list[str] = []

    def listen(message):
        text = message.text
        if "Content Security Policy" in text or "CSP violation" in text:
            messages.append(text)

    page.on("console", listen)
    try:
        response = page.goto(path)
        page.wait_for_load_state("networkidle")
        assert response.status == 200, (path, response.status)
        assert response.headers.get("content-security-policy"), path
    finally:
        page.remove_listener("console", listen)
    return messages


@pytest.fixture
def watched(page):
    page.add_init_script(REPORT_VIOLATIONS)
    return page


def test_the_public_module_page_runs_without_violations(watched, live_server, shoot,
                                                         released_assignment,
                                                         enrolled_learner):
    # A submission waiting for its grade: the panel's script polls the panel URL.
    submission_create(assignment=released_assignment, learner=enrolled_learner,
                      data=notebook_with(RIGHT))
    _log_in(watched, live_server, enrolled_learner)

    violations = _visit(watched, released_assignment.module.url)
    shoot(watched, "module")

    assert watched.locator("[data-assignment-panel][data-pending]").count() == 1
    assert violations == []


def test_the_wagtail_admin_runs_without_violations(watched, live_server, shoot, course,
                                                   modules, run, instructor):
    from tests.factories import UserFactory

    admin = UserFactory(roles=[], is_staff=True, is_superuser=True)
    _log_in(watched, live_server, instructor)
    violations = {
        "dashboard": _visit(watched, "/admin/"),
        "course editor": _visit(watched, f"/admin/pages/{course.pk}/edit/"),
        "module editor": _visit(watched, f"/admin/pages/{modules[0].pk}/edit/"),
    }
    # The editor's StreamField and side panels are drawn by scripts: they must have run.
    assert watched.locator("[data-streamfield-stream-container], .w-panel").count() > 0
    shoot(watched, "module-editor")

    _log_in(watched, live_server, admin)
    violations["run editor (date widgets)"] = _visit(
        watched, f"/admin/snippets/courses/programmerun/edit/{run.pk}/")
    violations["users"] = _visit(watched, "/admin/users/")
    violations["django admin"] = _visit(watched, "/django-admin/accounts/user/")

    assert violations == {name: [] for name in violations}
