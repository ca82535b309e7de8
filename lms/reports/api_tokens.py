"""API tokens of ministry systems: made, revoked and checked here (services and a selector).

A token is ``aimd_`` followed by 43 random URL-safe characters (256 bits). The database keeps
its SHA-256 hash and its first 12 characters (the prefix, to tell tokens apart); a hash of so
much randomness needs no salt or slow hash, and looking it up by hash reveals nothing.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.accounts.selectors import user_may_see_reports
from lms.reports.models import ApiToken

TOKEN_PREFIX = "aimd_"  # noqa: S105 - marks our tokens (secret scanners, logs); not a secret
PREFIX_LENGTH = 12


class ApiTokenError(ValueError):
    """A token that cannot be made or revoked; the message says why."""


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def api_token_create(*, user, name: str,
                     expires_at: datetime.datetime | None = None) -> tuple[ApiToken, str]:
    """Make a token for a user who may see reports; returns it with the full token, which is
    not stored and cannot be shown again."""
    name = name.strip()
    if not name:
        raise ApiTokenError(_("Give the token a name: who uses it and what for."))
    if not user.is_active or not user_may_see_reports(user=user):
        raise ApiTokenError(_("%(user)s may not see reports (ministry officers and programme "
                              "staff only), so a token of theirs would be refused.")
                            % {"user": user.email})
    if expires_at is not None and expires_at <= timezone.now():
        raise ApiTokenError(_("The expiry must be in the future."))
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(name=name, user=user, prefix=raw[:PREFIX_LENGTH],
                                    token_hash=token_hash(raw), expires_at=expires_at)
    return token, raw


@transaction.atomic
def api_token_revoke(*, prefix: str) -> ApiToken:
    """Revoke the token with this prefix (idempotent: a revoked token keeps its first time)."""
    token = ApiToken.objects.select_for_update().filter(prefix=prefix.strip()).first()
    if token is None:
        raise ApiTokenError(_("No API token has the prefix %(prefix)s.") % {"prefix": prefix})
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(*, raw: str) -> ApiToken | None:
    """The usable token behind this raw value (its last use recorded), or None when it is
    unknown, revoked or expired, or its owner is inactive."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    now = timezone.now()
    token = (ApiToken.objects.select_related("user")
             .filter(token_hash=token_hash(raw), user__is_active=True).first())
    if token is None or not token.is_usable(at=now):
        return None
    # An UPDATE by primary key: concurrent requests with one token do not race on a read.
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
    return token
