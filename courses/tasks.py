"""Celery tasks of the course site (the ``default`` queue)."""

from celery import shared_task

from courses.services.progress import module_visits_flush


@shared_task
def module_visits_flush_task() -> int:
    """Write the module visits noted since the last run (Celery beat runs it every minute)."""
    return module_visits_flush()
