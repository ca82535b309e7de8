"""In a real browser: "Open in JupyterLab" on a module page starts the learner's lab (the
page shows its progress), signs them in to the hub through the site without a prompt, and
JupyterLab shows the assignment. Screenshots are saved."""

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_open_in_jupyterlab_from_the_module_page(hub, page, shoot, live_server,
                                                 released_assignment, enrolled_learner):
    client = Client()
    client.force_login(enrolled_learner)
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                               "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                               "url": live_server.url}])
    page.goto(released_assignment.module.url)
    shoot(page, "module")

    page.get_by_role("button", name="JupyterLab에서 열기").click()
    page.wait_for_url("**/lab/tree/**", timeout=120_000)
    page.locator(".jp-Notebook").first.wait_for(timeout=120_000)
    page.get_by_text("YOUR CODE HERE").first.wait_for(timeout=60_000)
    assert f"/user/u{enrolled_learner.pk}/lab" in page.url
    assert "squares.ipynb" in page.title() or page.get_by_text("squares.ipynb").count()
    shoot(page, "jupyterlab")
