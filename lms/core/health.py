"""Reachability of the parts the site depends on, for ``GET /healthz``.

Each check returns a ``Check``; the view answers 200 when every configured part is up and 503
when one is not. Checks are bounded by ``HEALTH_CHECK_TIMEOUT`` so that a dead dependency
makes the endpoint answer slowly, never hang.

Anyone may ask whether the site is up, but which parts it has, what runs them (database
vendor, broker transport, hub version) and why one failed (error messages name hosts and
ports) are for operators only: staff users, or a monitor presenting ``HEALTH_CHECK_TOKEN``
as ``Authorization: Bearer <token>``.
"""

import hmac
import logging
import time
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db import connections
from kombu import Connection

from grading import hub

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # "ok", "down" or "not_configured"
    detail: str = ""
    duration_ms: float = 0.0

    @property
    def failed(self) -> bool:
        return self.status == "down"


def _timed(name: str, probe) -> Check:
    started = time.monotonic()
    try:
        status, detail = probe()
    except Exception as exc:  # noqa: BLE001 - any failure of a dependency is "down"
        status, detail = "down", f"{type(exc).__name__}: {exc}"[:300]
        logger.warning("health check %s failed: %s", name, detail)
    return Check(name, status, detail, round((time.monotonic() - started) * 1000, 1))


def check_database() -> Check:
    def probe():
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return "ok", connections["default"].vendor

    return _timed("database", probe)


def check_broker() -> Check:
    def probe():
        timeout = settings.HEALTH_CHECK_TIMEOUT
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=timeout) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0,
                                   timeout=timeout)
            return "ok", conn.transport_cls if isinstance(conn.transport_cls, str) else ""

    return _timed("broker", probe)


def check_hub() -> Check:
    if not settings.JUPYTERHUB_URL:
        return Check("hub", "not_configured")

    def probe():
        version = hub.hub_version(base_url=settings.JUPYTERHUB_URL,
                                  timeout=settings.HEALTH_CHECK_TIMEOUT)
        return "ok", f"JupyterHub {version}"

    return _timed("hub", probe)


def monitoring_token_valid(authorization: str) -> bool:
    """Whether an ``Authorization`` header carries the monitoring token (never when no token
    is configured), compared in constant time."""
    # Read with a default so that the site runs before settings.py defines the token.
    token = settings.HEALTH_CHECK_TOKEN or ""
    scheme, _space, presented = authorization.partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(
        presented.strip().encode(), token.encode())


def health_report(*, detailed: bool = False) -> tuple[bool, dict]:
    """(all healthy, a JSON-ready report). Only ``{"status": "ok"}`` or ``{"status":
    "fail"}`` unless ``detailed``: then the failing parts and every check's status, detail
    and duration too (see the module docstring for who may have them)."""
    checks = [check_database(), check_broker(), check_hub()]
    failing = [c.name for c in checks if c.failed]
    report: dict = {"status": "fail" if failing else "ok"}
    if detailed:
        report["failing"] = failing
        report["checks"] = {c.name: {k: v for k, v in asdict(c).items() if k != "name"}
                            for c in checks}
    return not failing, report
