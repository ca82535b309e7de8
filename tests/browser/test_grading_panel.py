"""A learner submits a notebook from the module page and, without reloading, sees the grade
that a real Celery worker stored (real Redis, real sandbox). Screenshots are saved."""

import pytest

from grading.models import Grade
from lms.celery import app
from tests.browser.steps import log_in
from tests.grading.conftest import notebook_with
from tests.grading.test_worker import start_worker, stop_worker

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

RIGHT = "def square(x):\n    return x * x"


def _log_in(page, live_server, user) -> None:
    log_in(page.context, live_server, user)


def test_the_grade_appears_on_the_module_page_without_a_reload(page, shoot, tmp_path,
                                                              live_server,
                                                              released_assignment,
                                                              enrolled_learner):
    app.control.purge()
    worker = start_worker(app.conf.broker_url)
    try:
        _log_in(page, live_server, enrolled_learner)

        page.goto(released_assignment.module.url)
        shoot(page, "module")
        notebook = tmp_path / "squares.ipynb"
        notebook.write_bytes(notebook_with(RIGHT))
        page.set_input_files("input[name=notebook]", str(notebook))
        page.locator("form.assignment__submit button[type=submit]").click()
        page.wait_for_load_state()
        receipt = page.locator("main").inner_text()
        assert "SHA-256" in receipt
        page.evaluate("window.__notReloaded = true")
        shoot(page, "submitted")

        score = page.locator(".assignment__score strong")
        score.wait_for(timeout=90_000)
        assert score.inner_text() == "3"
        assert page.evaluate("window.__notReloaded === true")
        assert page.get_by_role("link", name="피드백 보기").count() == 1 \
            or page.locator("a[href*='/feedback/']").count() == 1
        shoot(page, "graded")
    finally:
        stop_worker(worker)
    assert Grade.objects.filter(submission__learner=enrolled_learner).count() == 1
