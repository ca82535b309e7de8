"""What the course pages show everyone, read once and kept in the shared cache.

The page tree changes seldom (an editor publishes, moves or deletes a page) and is read on
every request: the site of the request, the catalogue of each language, each programme's
courses and modules, the translations the language switcher offers. Each is cached under the
*tree version*, a number in the cache that every change of a page, a site or a locale moves
on (``tree_changed``, called by the receivers of ``courses.receivers``), so that a change shows
on the next request; nothing per learner or per permission is ever stored here.

The version starts from the clock, not from 1, so that a version lost from the cache (evicted,
or the cache restarted) never names entries written under an older tree. Entries also expire
after ``TREE_TIMEOUT`` seconds, a bound on what a change made outside the web processes could
leave behind where the cache is not shared (the demo's default in-process cache).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.http import HttpRequest
from django.http.request import split_domain_port
from wagtail.models import Site
from wagtail.models.sites import get_site_for_hostname

T = TypeVar("T")

# Part of every key: a deploy that changes what an entry holds changes this.
KEY_PREFIX = "courses:tree:1"
TREE_VERSION_KEY = f"{KEY_PREFIX}:version"
TREE_TIMEOUT = 600
_MISSING = object()


def tree_version() -> int:
    """The current version of the page tree (a number that only ever grows)."""
    version = cache.get(TREE_VERSION_KEY)
    if version is None:
        cache.add(TREE_VERSION_KEY, time.time_ns(), timeout=None)
        version = cache.get(TREE_VERSION_KEY)
    return version


def tree_changed() -> None:
    """A page, a site or a locale changed: every entry cached under the old version is gone."""
    try:
        cache.incr(TREE_VERSION_KEY)
    except ValueError:  # not in the cache: a new version from the clock
        cache.set(TREE_VERSION_KEY, time.time_ns(), timeout=None)


def tree_cached(name: str, compute: Callable[[], T], *, version: int | None = None) -> T:
    """``compute()``, cached under the tree version and ``name`` (which says what it is for:
    the kind of entry, the page and the language)."""
    key = f"{KEY_PREFIX}:{version or tree_version()}:{name}"
    value = cache.get(key, _MISSING)
    if value is _MISSING:
        value = compute()
        cache.set(key, value, timeout=TREE_TIMEOUT)
    return value


def site_for_request(request: HttpRequest) -> Site | None:
    """Wagtail's site for the request's host, as ``Site.find_for_request`` finds it, from the
    cache; kept on the request, where Wagtail's own lookups (routing, page URLs) find it."""
    if not hasattr(request, "_wagtail_site"):
        hostname = split_domain_port(request._get_raw_host())[0]
        port = request.get_port()

        def find() -> Site | None:
            try:
                return get_site_for_hostname(hostname, port)
            except Site.DoesNotExist:
                return None

        request._wagtail_site = tree_cached(f"site:{hostname}:{port}", find)
    return request._wagtail_site
