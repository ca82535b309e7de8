"""Red team: the role a launch carries is the role held, no more (a role the platform took
away is gone on the next launch)."""

from __future__ import annotations

import pytest
from lti_tool.models import LtiMembership

from tests.lti.conftest import INSTRUCTOR, LEARNER, LaunchSpec, launch

pytestmark = pytest.mark.django_db


def _spec(module, *, roles, sub="t-1"):
    return LaunchSpec(sub=sub, roles=list(roles), email="ta@univ.ac.kr",
                      custom={"lms_page": str(module.pk), "lms_assignment": "squares"})


def test_an_instructor_role_the_platform_took_away_no_longer_opens_the_instructors_page(
        client, platform, registration, assignment_module, assignment, run):
    # Given a teaching assistant launched once as an Instructor of the course...
    teacher = launch(client, platform, "ta", _spec(assignment_module, roles=[INSTRUCTOR]))
    assert client.get(teacher["Location"]).status_code == 200
    # ...whom the platform then lists as a Learner only
    client.cookies.clear()
    learner = launch(client, platform, "ta2", _spec(assignment_module, roles=[LEARNER]))
    assert learner.status_code == 302
    # then the membership holds that role only, and the roster page is closed to them.
    membership = LtiMembership.objects.get(user__sub="t-1")
    assert (membership.is_instructor, membership.is_learner) == (False, True)
    assert client.get(teacher["Location"]).status_code == 403


def test_a_learner_role_the_platform_took_away_stops_the_scores_going_back(
        client, platform, registration, assignment_module, assignment, run):
    launch(client, platform, "s", _spec(assignment_module, roles=[LEARNER], sub="s-1"))
    client.cookies.clear()
    launch(client, platform, "s2", _spec(assignment_module, roles=[INSTRUCTOR], sub="s-1"))
    membership = LtiMembership.objects.get(user__sub="s-1")
    assert (membership.is_instructor, membership.is_learner) == (True, False)
