"""Red team: a rotation keeps the key that signed until now published for the grace period
(platforms cache our JWKS and verify what it signed a moment ago); a key that stopped signing
longer ago than that is retired."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from lti_tool.models import Key

from lms.lti.services import key_rotate

pytestmark = pytest.mark.django_db


def _aged(key: Key, days: int) -> Key:
    Key.objects.filter(pk=key.pk).update(datetime_created=timezone.now() - timedelta(days=days))
    return Key.objects.get(pk=key.pk)


def test_a_rotation_keeps_the_key_that_signed_until_now(client):
    signing = _aged(Key.objects.generate(), 30)  # the only key, made a month ago
    new, retired = key_rotate(retire_after_days=7)
    assert retired == 0
    kids = {k["kid"] for k in client.get("/lti/jwks/").json()["keys"]}
    assert kids == {str(signing), str(new)}


def test_a_rotation_retires_a_key_replaced_longer_ago_than_the_grace_period(client):
    oldest = _aged(Key.objects.generate(), 60)
    replaced_long_ago = _aged(Key.objects.generate(), 30)  # replaced `oldest` 30 days ago
    new, retired = key_rotate(retire_after_days=7)
    assert retired == 1
    kids = {k["kid"] for k in client.get("/lti/jwks/").json()["keys"]}
    assert kids == {str(replaced_long_ago), str(new)}
    assert str(oldest) not in kids


def test_the_rotate_keys_command_keeps_the_key_that_signed_until_now(client):
    signing = _aged(Key.objects.generate(), 30)
    call_command("rotate_keys", "--deactivate-after", "7", stdout=StringIO())
    assert Key.objects.active().count() == 2
    assert Key.objects.get(pk=signing.pk).is_active
