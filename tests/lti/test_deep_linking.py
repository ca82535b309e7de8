"""Deep linking: an instructor in the platform picks a programme, course, module or assignment
to place in their course; the signed answer is accepted by the platform, and a launch of the
placed link opens what was picked."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlencode
from urllib.request import urlopen

import pytest

from lms.lti.models import Placement
from tests.lti.conftest import INSTRUCTOR, LEARNER, LaunchSpec, launch, path_of

pytestmark = pytest.mark.django_db

DL_ITEMS = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"


def _post_back(page: str) -> dict:
    """What the browser does with the answer page: post its form to the platform."""
    action = unescape(re.search(r'<form method="post" action="([^"]+)"', page).group(1))
    token = re.search(r'name="JWT" value="([^"]+)"', page).group(1)
    with urlopen(action, data=urlencode({"JWT": token}).encode(), timeout=10) as response:  # noqa: S310
        return {"status": response.status, "body": response.read().decode()}


def test_an_instructor_places_an_assignment_and_a_course(
        client, platform, registration, course, assignment_module, assignment, run):
    response = launch(client, platform, "dl", LaunchSpec(
        sub="t-1", roles=[INSTRUCTOR], email="prof@univ.ac.kr", deep_linking=True))
    assert response.status_code == 302
    assert path_of(response["Location"]) == "/lti/deep-link/"
    picker = client.get("/lti/deep-link/")
    html = picker.content.decode()
    assert f'value="a:{assignment.key}"' in html
    assert f'value="p:{course.pk}"' in html
    assert f"frame-ancestors {platform.url}" in picker["Content-Security-Policy"]

    answer = client.post("/lti/deep-link/", {"choice": [f"a:{assignment.key}",
                                                        f"p:{course.pk}"]})
    assert answer.status_code == 200
    assert platform.url in answer["Content-Security-Policy"].split("form-action")[1]
    assert _post_back(answer.content.decode())["status"] == 200

    claims = platform.deep_link_returns[0]
    assert claims["iss"] == platform.client_id
    assert claims["https://purl.imsglobal.org/spec/lti/claim/message_type"] == \
        "LtiDeepLinkingResponse"
    assert claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"] == "dl-data-1"
    graded, plain = claims[DL_ITEMS]
    assert graded["custom"] == {"lms_page": str(assignment_module.pk),
                                "lms_assignment": assignment.key}
    assert graded["lineItem"]["resourceId"] == "aimd-assignment-squares"
    assert graded["url"] == "http://testserver/lti/launch/"
    assert plain["custom"] == {"lms_page": str(course.pk)}
    assert "lineItem" not in plain

    # The platform now launches the placed link with those custom parameters.
    client.cookies.clear()
    learner = launch(client, platform, "s", LaunchSpec(
        sub="s-1", roles=[LEARNER], email="s1@univ.ac.kr", resource_link_id="placed-1",
        custom=graded["custom"]))
    assert path_of(learner["Location"]) == path_of(assignment_module.url)
    placement = Placement.objects.get(resource_link__id_on_platform="placed-1")
    assert placement.assignment == assignment


def test_a_learner_cannot_pick_content(client, platform, registration, caplog):
    response = launch(client, platform, "dl", LaunchSpec(
        sub="s-1", roles=[LEARNER], email="s1@univ.ac.kr", deep_linking=True))
    assert 'data-refusal="not_instructor"' in response.content.decode()


def test_the_picker_needs_a_deep_linking_launch(client, registration, instructor):
    client.force_login(instructor)
    assert client.get("/lti/deep-link/").status_code == 403


def test_picking_nothing_asks_again(client, platform, registration, course):
    launch(client, platform, "dl", LaunchSpec(sub="t-1", roles=[INSTRUCTOR],
                                              email="prof@univ.ac.kr", deep_linking=True))
    assert client.post("/lti/deep-link/", {}).status_code == 400
    assert platform.deep_link_returns == []
