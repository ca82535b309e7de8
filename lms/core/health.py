"""Reachability of the parts the site depends on, for ``GET /healthz``.

Each check returns a ``Check``; the view answers 200 when every configured part is up and 503
naming the parts that are not. Checks are bounded by ``HEALTH_CHECK_TIMEOUT`` so that a dead
dependency makes the endpoint answer slowly, never hang.
"""

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


def health_report() -> tuple[bool, dict]:
    """(all healthy, a JSON-ready report)."""
    checks = [check_database(), check_broker(), check_hub()]
    failing = [c.name for c in checks if c.failed]
    report = {
        "status": "fail" if failing else "ok",
        "failing": failing,
        "checks": {c.name: {k: v for k, v in asdict(c).items() if k != "name"} for c in checks},
    }
    return not failing, report
