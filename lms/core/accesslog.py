"""One-time secrets that some addresses carry, kept out of the logs.

The links mailed to people hold their secret in the path: the employment follow-up's answer
link, the LTI account link, allauth's email confirmation and password reset keys. Whoever
reads an access log (an operator, a log shipper, a support ticket with a pasted line) could
otherwise answer for the learner or take over the account while the link is alive. Every
path (and referer: the page a link opens sends it with its own requests) is logged with the
secret replaced by ``[redacted]``:

- gunicorn's access log, through :class:`AccessLogger` (``logger_class`` in
  ``gunicorn.conf.py``): every atom of the line format;
- the site's own log lines (``django.request``'s "Not Found: …", runserver's request lines in
  the demo), through :class:`SecretsFilter` on the settings' console handler.

Nothing here imports Django: gunicorn's master loads it before the application.
"""

from __future__ import annotations

import logging
import re

from gunicorn import glogging

REDACTED = "[redacted]"

# The segment after these prefixes is the secret (whatever language prefix comes before);
# allauth's ``key/done/`` page holds none.
SECRET_IN_PATH = re.compile(
    r"(/(?:outcomes/answer|lti/link|accounts/confirm-email|accounts/password/reset/key)/)"
    r"(?!done/)[^/?#\s\"']+")


def redact(text: str) -> str:
    """``text`` with the secret of every secret-bearing path in it replaced."""
    if "/" not in text:
        return text
    return SECRET_IN_PATH.sub(rf"\1{REDACTED}", text)


class SecretsFilter(logging.Filter):
    """Rewrites a record whose message holds a secret-bearing path (never drops one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a record that cannot format is logging's to report
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class AccessLogger(glogging.Logger):
    """gunicorn's logger, whose access-log atoms (request line, path, referer, headers) are
    redacted before the line is formatted."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: redact(value) if isinstance(value, str) else value
                for key, value in atoms.items()}
