"""Red team: an account made on a platform's word (its launch asserted the email, nobody
proved owning it) signs in through that platform only. Otherwise a platform asserting
someone else's email pre-hijacks their account: the email's owner, finding the address
taken, resets the password and uses the account, which the platform's user still opens."""

from __future__ import annotations

import pytest
from django.core import mail

from lms.accounts.models import Role, User
from tests.factories import UserFactory
from tests.lti.conftest import LEARNER, LaunchSpec, launch

pytestmark = pytest.mark.django_db


def test_an_account_made_by_a_launch_gets_no_password_reset_email(
        client, platform, registration, assignment_module, assignment, run):
    # Given a platform user whose launch asserts victim@univ.ac.kr (no account has it yet)
    response = launch(client, platform, "x", LaunchSpec(
        sub="attacker", roles=[LEARNER], email="victim@univ.ac.kr",
        custom={"lms_page": str(assignment_module.pk), "lms_assignment": "squares"}))
    assert response.status_code == 302
    assert not User.objects.get(email="victim@univ.ac.kr").has_usable_password()
    client.cookies.clear()
    mail.outbox.clear()
    # When the address's owner asks the site for a password reset
    client.post("/ko/accounts/password/reset/", {"email": "victim@univ.ac.kr"})
    # then no reset link is sent: that account is the platform user's, not the email's owner.
    assert mail.outbox == []


def test_an_account_with_a_password_still_gets_its_reset_email(client, registration):
    UserFactory(email="owner@univ.ac.kr", roles=[Role.LEARNER])
    client.post("/ko/accounts/password/reset/", {"email": "owner@univ.ac.kr"})
    assert [m.to for m in mail.outbox] == [["owner@univ.ac.kr"]]
