"""Deployment checks of the course site (``manage.py check --deploy``)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Tags, Warning, register

# Caches that each process keeps for itself: a version moved on by one process (the worker
# storing a grade, another web process taking a submission) is never seen by the others.
PROCESS_LOCAL_CACHES = {"django.core.cache.backends.locmem.LocMemCache"}


@register(Tags.caches, deploy=True)
def page_cache_shared_check(app_configs=None, **kwargs) -> list[Warning]:
    """The learners' page cache (``courses.page_cache``) needs one cache for every process."""
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if settings.COURSES_PAGE_CACHE_SECONDS <= 0 or backend not in PROCESS_LOCAL_CACHES:
        return []
    return [Warning(
        "The learners' page cache is on, but the default cache is kept in each process "
        f"({backend}): a grade stored by the worker, or a submission taken by another web "
        "process, would not show on a learner's page until it expires.",
        hint="Set CACHE_URL to the Redis shared by the web, worker and beat processes, or "
             "COURSES_PAGE_CACHE_SECONDS=0.",
        id="courses.W001")]
