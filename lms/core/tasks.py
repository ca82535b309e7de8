"""Platform-wide Celery tasks: email delivery (defined beside its backend in
``lms.core.mail``) and housekeeping."""

from importlib import import_module

from celery import shared_task
from django.conf import settings

from lms.core.mail import email_send_task

__all__ = ["email_send_task", "sessions_clear_expired_task"]


@shared_task
def sessions_clear_expired_task() -> None:
    """Remove expired sessions (Django's ``clearsessions``), run daily by beat."""
    engine = import_module(settings.SESSION_ENGINE)
    engine.SessionStore.clear_expired()
