"""A platform asserting the email of an account with rights beyond its own learning (staff,
superuser, instructor, programme staff, ministry officer) never gets it signed in: no link
email is sent, the launch is refused with a clear page and a log line, and a link emailed
before the account got its role no longer links it."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from lti_tool.models import LtiUser

from lms.accounts.models import Role
from tests.factories import UserFactory
from tests.lti.conftest import LEARNER, LaunchSpec, launch, signed_in_user_id

pytestmark = pytest.mark.django_db


def _spec(module, email):
    return LaunchSpec(sub="s-9", roles=[LEARNER], email=email,
                      custom={"lms_page": str(module.pk), "lms_assignment": "squares"})


@pytest.mark.parametrize("kind", ["staff", "superuser", Role.INSTRUCTOR, Role.PROGRAMME_STAFF,
                                  Role.MINISTRY_OFFICER])
def test_a_privileged_account_is_never_linked_through_a_platform(
        client, platform, registration, assignment_module, assignment, run, kind, caplog):
    if kind == "staff":
        UserFactory(email="boss@univ.ac.kr", is_staff=True)
    elif kind == "superuser":
        UserFactory(email="boss@univ.ac.kr", is_staff=True, is_superuser=True)
    else:
        UserFactory(email="boss@univ.ac.kr", roles=[kind])
    response = launch(client, platform, "a", _spec(assignment_module, "boss@univ.ac.kr"))
    assert response.status_code == 403
    assert 'data-refusal="privileged_account"' in response.content.decode()
    assert mail.outbox == []
    assert signed_in_user_id(client) is None
    assert LtiUser.objects.get(sub="s-9").auth_user is None
    assert "launch refused (privileged_account)" in caplog.text


def test_a_link_sent_before_the_account_got_a_role_no_longer_links_it(
        client, platform, registration, assignment_module, assignment, run):
    owner = UserFactory(email="s9@univ.ac.kr", roles=[Role.LEARNER])
    launch(client, platform, "a", _spec(assignment_module, "s9@univ.ac.kr"))
    link = re.search(r"http://testserver(/lti/link/[^\s]+/)", mail.outbox[0].body).group(1)
    owner.groups.add(Group.objects.get_or_create(name=Role.MINISTRY_OFFICER)[0])
    assert client.post(link).status_code == 400
    assert LtiUser.objects.get(sub="s-9").auth_user is None
