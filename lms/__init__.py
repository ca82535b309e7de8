"""The Django project: settings, URLs, the Celery app, accounts and reporting."""

from lms.celery import app as celery_app

__all__ = ("celery_app",)
