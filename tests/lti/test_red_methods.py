"""Red team: the launch URL opened with GET (a reload, a link, a platform that GETs) gets the
refusal page and a log line, not a blank 405."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_the_launch_url_without_a_post_gets_the_refusal_page(client, registration, caplog,
                                                             method):
    response = getattr(client, method)("/lti/launch/")
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert 'data-refusal="wrong_method"' in response.content.decode()
    assert "launch refused (wrong_method)" in caplog.text
