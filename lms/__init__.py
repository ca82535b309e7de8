"""The Django project: settings, URLs and the Celery app; its rooms are ``lms.accounts``,
``lms.core``, ``lms.certificates`` and ``lms.reports`` (``courses`` and ``grading`` sit beside
it at the top level)."""

from lms.celery import app as celery_app

__all__ = ("celery_app",)
