"""A fixed-window request counter in the cache, for actions a person may repeat only so often
(submitting a notebook: each submission starts a sandboxed grade).

Rates are written like allauth's: ``"10/m"`` (ten a minute), ``"30/5m"``, ``"100/h"``,
``"500/d"``, ``"3/20s"``; an empty rate means no limit. The counters live in the default cache,
which every web process must share in production (``CACHE_URL`` on Redis) for a limit to hold
across processes.
"""

from __future__ import annotations

import logging
import math
import re
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")


@dataclass(frozen=True)
class Rate:
    """At most ``count`` hits in each window of ``seconds``."""

    count: int
    seconds: int


@dataclass(frozen=True)
class RateLimitOutcome:
    """Whether this hit is allowed, and (when it is not) the seconds until the next window."""

    allowed: bool
    retry_after: int = 0


def rate_parse(value: str) -> Rate | None:
    """``"10/m"`` → Rate(10, 60); an empty value → None (no limit). A malformed value is a
    configuration error, said with the value and the expected form."""
    if not value or not value.strip():
        return None
    match = _RATE.match(value)
    count, seconds = 0, 0
    if match is not None:
        count, multiplier, unit = match.groups()
        count, seconds = int(count), int(multiplier or 1) * _UNITS[unit]
    if count < 1 or seconds < 1:
        raise ImproperlyConfigured(
            f"Rate {value!r} is not of the form <count>/<period> with both above zero, e.g. "
            "10/m, 30/5m, 100/h, 3/20s (units s, m, h, d); leave it empty for no limit.")
    return Rate(count=count, seconds=seconds)


def rate_limit_hit(*, scope: str, ident: str | int, rate: str) -> RateLimitOutcome:
    """Count one hit of ``ident`` (a user id, an address) in ``scope`` and say whether it is
    within ``rate``. Call it only for a hit that will be acted on when allowed.

    When the cache cannot be reached the hit is allowed (and logged): a limit that protects
    the workers must not refuse learners' work because the cache is down.
    """
    parsed = rate_parse(rate)
    if parsed is None:
        return RateLimitOutcome(allowed=True)
    now = time.time()
    window = int(now // parsed.seconds)
    key = f"ratelimit:{scope}:{ident}:{window}"
    try:
        # add() starts the window's counter only if absent; incr() is atomic on Redis and
        # Memcached, so concurrent hits are each counted once.
        cache.add(key, 0, timeout=parsed.seconds + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # the counter expired between add() and incr()
            cache.add(key, 1, timeout=parsed.seconds + 1)
            count = 1
    except Exception:  # noqa: BLE001 - any cache failure: fail open, see the docstring
        logger.exception("rate limit %s: the cache is unavailable; allowing the hit", scope)
        return RateLimitOutcome(allowed=True)
    if count <= parsed.count:
        return RateLimitOutcome(allowed=True)
    retry_after = max(1, math.ceil((window + 1) * parsed.seconds - now))
    return RateLimitOutcome(allowed=False, retry_after=retry_after)
