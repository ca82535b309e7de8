"""An email backend that hands messages to the Celery worker.

Sign-up, verification and password-reset mails are queued once the request's transaction
commits; the worker delivers them with ``settings.LMS_EMAIL_DELIVERY_BACKEND`` and retries
when the mail server is unreachable. A request therefore never waits on, or fails because of,
the mail server.
"""

import logging
import smtplib

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction

logger = logging.getLogger(__name__)


def message_to_dict(message: EmailMessage) -> dict:
    """A JSON-safe form of a message (text parts only: the platform sends no attachments)."""
    if message.attachments:
        raise ValueError("CeleryEmailBackend does not carry attachments.")
    return {
        "subject": str(message.subject),
        "body": str(message.body),
        "from_email": message.from_email,
        "to": list(message.to),
        "cc": list(message.cc),
        "bcc": list(message.bcc),
        "reply_to": list(message.reply_to),
        "headers": dict(message.extra_headers),
        "alternatives": [
            [str(content), mimetype] for content, mimetype in getattr(message, "alternatives", [])
        ],
    }


def message_from_dict(data: dict) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=data["subject"],
        body=data["body"],
        from_email=data["from_email"],
        to=data["to"],
        cc=data["cc"],
        bcc=data["bcc"],
        reply_to=data["reply_to"],
        headers=data["headers"],
    )
    for content, mimetype in data["alternatives"]:
        message.attach_alternative(content, mimetype)
    return message


# Named as when it lived in lms.core.tasks, so that queued messages keep their task.
@shared_task(
    name="lms.core.tasks.email_send_task",
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


class CeleryEmailBackend(BaseEmailBackend):
    """Queue each message as an ``email_send_task`` after the current transaction commits."""

    def send_messages(self, email_messages) -> int:
        count = 0
        for message in email_messages:
            if not message.recipients():
                continue
            payload = message_to_dict(message)
            transaction.on_commit(lambda p=payload: email_send_task.delay(p))
            logger.info("queued email %r to %d recipient(s)", payload["subject"],
                        len(message.recipients()))
            count += 1
        return count
