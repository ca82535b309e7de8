"""A learner's own pages, kept whole in the shared cache until something they show changes.

The course pages ("My learning", the programme, course and module pages) show each learner
their own enrolments, progress, submissions and grades, so no cache can share them between
people. What they show changes far less often than they are read, though: a learner reloads a
module page, goes back to "My learning", opens the next module. So each learner's rendered
page is kept under a key of their own (the user, the language, the path, and the CSRF
secret the page's forms carry; a page asked for with a query string is never kept) together
with the *versions* it was rendered under:

- the learner's version, moved on by every change to what their pages show of them: an
  enrolment, progress, a submission, a grade, an extension, a certificate, their profile,
  account or roles (``learner_pages_changed``, called by the receivers of each app and by the
  services that write without ``save()``);
- the shared version, moved on by a change that any learner's page may show: a run (dates,
  seats), an enrolment of anyone (the seats left), an assignment or its data files
  (``shared_pages_changed``);
- the tree version of ``courses.caching`` (pages, sites, locales, view restrictions).

A page is served from the cache only when all three are the ones it was rendered under; the
versions are read before the page is rendered, so a change that commits while it renders
leaves it stale at once. Each change moves the version both when it is made and again when its
transaction commits, so that a page rendered in between is not kept. A version lost from the
cache (evicted, restarted) starts again from the clock and so never matches an entry. What
changes with time alone (a deadline passing, a run opening) shows within
``COURSES_PAGE_CACHE_SECONDS`` (60 s): the entries expire; the actions themselves (submit,
enrol) are always checked by the services, never by a cached page.

Only plain learners' pages are kept: not staff, instructors, programme staff or officers
(their pages carry editing links and other people's work), never a preview, a page under a
view restriction, a page with messages to show, or a response that sets a cookie or changes
the session. A hit costs one round trip to the cache and no query of its own.

The cache is a cache: when it cannot be reached, a change is still made (its bump is logged,
never raised into the submission or grade that called it) and a page is rendered, not kept.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from courses.caching import TREE_VERSION_KEY, tree_version
from lms.accounts.models import Role
from lms.accounts.selectors import user_roles

logger = logging.getLogger(__name__)

# Part of every key: a deploy that changes what an entry holds changes this.
KEY_PREFIX = "courses:page:1"
SHARED_VERSION_KEY = f"{KEY_PREFIX}:shared"


def _learner_version_key(user_id: int) -> str:
    return f"{KEY_PREFIX}:learner:{user_id}"


def _bump(keys: list[str]) -> None:
    # Called from the receivers of every write a learner depends on (a submission, a grade):
    # a cache that cannot be reached must never cost that write. Its entries are then
    # unreachable too, and expire within COURSES_PAGE_CACHE_SECONDS.
    try:
        for key in keys:
            try:
                cache.incr(key)
            except ValueError:  # not in the cache: a new version from the clock
                cache.set(key, time.time_ns(), timeout=None)
    except Exception:  # noqa: BLE001 - any cache failure: the write goes on, logged
        logger.exception("learners' page cache: could not move %s on", ", ".join(keys))


def _bump_now_and_on_commit(keys: list[str]) -> None:
    if not keys:
        return
    _bump(keys)
    transaction.on_commit(lambda: _bump(keys))


def learner_pages_changed(*, user_ids: Iterable[int | None]) -> None:
    """Something the learners' own pages show changed: their cached pages are not served
    again."""
    _bump_now_and_on_commit(sorted({_learner_version_key(u) for u in user_ids if u}))


def shared_pages_changed() -> None:
    """Something any learner's page may show changed (a run, anyone's enrolment, an
    assignment): no cached page is served again."""
    _bump_now_and_on_commit([SHARED_VERSION_KEY])


def _versions(user_id: int) -> tuple:
    keys = [_learner_version_key(user_id), SHARED_VERSION_KEY]
    found = cache.get_many(keys)
    missing = [k for k in keys if k not in found]
    for key in missing:
        cache.add(key, time.time_ns(), timeout=None)
    if missing:
        found.update(cache.get_many(missing))
    return (tree_version(), *(found.get(k) for k in keys))


@dataclass
class _Entry:
    versions: tuple
    content: bytes
    headers: list[tuple[str, str]]
    module_key: str | None


class PagePlan:
    """One request's use of the cache: ``lookup`` before the view, ``keep`` after it."""

    def __init__(self, request: HttpRequest, user_id: int, secret: str) -> None:
        self.request = request
        self.user_id = user_id
        digest = hashlib.sha256(
            f"{request.get_full_path()}\0{secret}".encode()).hexdigest()[:32]
        self.key = f"{KEY_PREFIX}:entry:{user_id}:{translation.get_language()}:{digest}"
        self.versions: tuple | None = None

    def lookup(self) -> HttpResponse | None:
        """The cached page when every version still matches (one round trip), else None
        (also when the cache cannot be read: the page is then rendered and not kept)."""
        try:
            return self._lookup()
        except Exception:  # noqa: BLE001 - any cache failure: render the page
            logger.exception("learners' page cache: could not read %s", self.key)
            self.versions = None
            return None

    def _lookup(self) -> HttpResponse | None:
        keys = [TREE_VERSION_KEY, _learner_version_key(self.user_id), SHARED_VERSION_KEY]
        found = cache.get_many([self.key, *keys])
        current = tuple(found.get(k) for k in keys)
        entry = found.get(self.key)
        if entry is not None and None not in current and entry.versions == current:
            response = HttpResponse(entry.content)
            for name, value in entry.headers:
                response[name] = value
            self.request.lms_page_cache_module_key = entry.module_key
            response.lms_page_cache_hit = True
            return response
        # Read before the page is rendered: a change committed meanwhile makes it stale.
        self.versions = current if None not in current else _versions(self.user_id)
        return None

    def keep(self, response: HttpResponse) -> None:
        """Keep the rendered page, when it may be kept (a template response once rendered)."""
        if getattr(response, "is_rendered", True) is False:
            response.add_post_render_callback(self.keep)
            return
        request = self.request
        if (self.versions is None or response.status_code != 200 or response.streaming
                or response.cookies or request.session.modified
                or not getattr(request, "lms_page_cacheable", False)
                or not response.get("Content-Type", "").startswith("text/html")
                or _has_messages(request) or not _plain_learner(request.user)):
            return
        headers = [(name, value) for name, value in response.items()
                   if name.lower() not in ("set-cookie", "vary")]
        entry = _Entry(versions=self.versions, content=response.content, headers=headers,
                       module_key=getattr(request, "lms_page_cache_module_key", None))
        try:
            cache.set(self.key, entry, timeout=settings.COURSES_PAGE_CACHE_SECONDS)
        except Exception:  # noqa: BLE001 - any cache failure: the page is simply not kept
            logger.exception("learners' page cache: could not keep %s", self.key)


def _has_messages(request: HttpRequest) -> bool:
    storage = getattr(request, "_messages", None)
    return storage is not None and len(storage) > 0  # counts without marking them shown


def _plain_learner(user) -> bool:
    return (user.is_authenticated and not user.is_staff and not user.is_superuser
            and user_roles(user=user) <= {Role.LEARNER})


def page_plan(request: HttpRequest) -> PagePlan | None:
    """The request's plan, or None when its page is never cached: not a plain GET of a
    signed-in person, the cache is off, or there are messages to show. Nor with a query
    string: none of these pages reads one, and each different query would be an entry of
    its own (a learner could fill the shared cache by varying it)."""
    if (settings.COURSES_PAGE_CACHE_SECONDS <= 0 or request.method != "GET"
            or request.META.get("QUERY_STRING")
            or not request.user.is_authenticated or request.user.is_staff
            or request.user.is_superuser or _has_messages(request)):
        return None
    secret = request.META.get("CSRF_COOKIE")
    if not secret:  # the page would set the cookie its forms need
        return None
    return PagePlan(request, request.user.pk, secret)


def cached_learner_page(view: Callable[..., HttpResponse],
                        on_hit: Callable[[HttpRequest], None] | None = None):
    """Serve ``view``'s page from the learner's cache when it is current; ``on_hit`` runs
    for a page served from it (e.g. to note a module visit)."""

    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        plan = page_plan(request)
        if plan is None:
            return view(request, *args, **kwargs)
        response = plan.lookup()
        if response is not None:
            if on_hit is not None:
                on_hit(request)
            return response
        response = view(request, *args, **kwargs)
        plan.keep(response)
        return response

    return functools.wraps(view)(wrapped)
