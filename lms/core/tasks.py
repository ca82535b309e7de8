"""Platform-wide Celery tasks: email delivery and housekeeping."""

import logging
import smtplib
from importlib import import_module

from celery import shared_task
from django.conf import settings
from django.core.mail import get_connection

from lms.core.mail import message_from_dict

logger = logging.getLogger(__name__)


@shared_task(
    autoretry_for=(smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, ConnectionError,
                   TimeoutError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def email_send_task(message: dict) -> int:
    """Deliver one queued message with the configured delivery backend."""
    connection = get_connection(settings.LMS_EMAIL_DELIVERY_BACKEND, fail_silently=False)
    sent = connection.send_messages([message_from_dict(message)])
    logger.info("delivered email %r to %s", message["subject"], ", ".join(message["to"]))
    return sent or 0


@shared_task
def sessions_clear_expired_task() -> None:
    """Remove expired sessions (Django's ``clearsessions``), run daily by beat."""
    engine = import_module(settings.SESSION_ENGINE)
    engine.SessionStore.clear_expired()
