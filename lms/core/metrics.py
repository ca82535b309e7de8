"""``GET /metrics``: the site's Prometheus metrics, for operators only.

Two kinds of figures, answered together:

- those of this host's web processes (django-prometheus: requests, latency by view, database
  queries; anything a process of this host observed), added up over gunicorn's processes
  through ``PROMETHEUS_MULTIPROC_DIR`` (``lms.core.prometheus``);
- those counted when Prometheus scrapes, from what every process and host shares (the
  database and the broker), so they are right whichever process wrote them:

  ``aimd_grading_grades{status}``, ``aimd_certificates_issued{state}``,
  ``aimd_grading_submissions_waiting{state}``, ``aimd_grading_oldest_waiting_seconds``,
  ``aimd_task_queue_length{queue}``, ``aimd_task_queue_oldest_message_age_seconds
  {queue}``, ``aimd_metrics_source_up{source}``.

The queue's oldest message age is read from the message itself: every task message carries
the time it was published (``SENT_AT_HEADER``, stamped in ``lms.celery``). Redis keeps a
queue as a list whose far end is the oldest message; the demo's SQLAlchemy broker keeps rows
in ``kombu_message``. When the broker cannot tell (another transport, or a message sent
before the stamp existed), the grading queue's age is the database's: the last send of the
queued submission sent longest ago.

Who may read: a monitor presenting the monitoring token (``HEALTH_CHECK_TOKEN``, as for
``/healthz``) or a client whose own address is in ``METRICS_ALLOWED_NETWORKS``; anyone else
gets 403 and no figure (everyone does while neither is configured).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import time
from datetime import datetime

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest
from django.utils import timezone
from kombu import Connection
from kombu.exceptions import ChannelError
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import text

from grading.selectors.metrics import (
    grades_by_status,
    oldest_sent_unstarted,
    oldest_waiting_since,
    submissions_waiting,
)
from lms.celery import SENT_AT_HEADER
from lms.certificates.selectors import certificates_issued
from lms.core.health import monitoring_token_valid
from lms.core.prometheus import processes_registry

logger = logging.getLogger(__name__)

GRADING_QUEUE = "grading"


# --- Who may read -----------------------------------------------------------------------------
def _networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(n.strip(), strict=False)
            for n in settings.METRICS_ALLOWED_NETWORKS if n.strip()]


def metrics_allowed(request: HttpRequest) -> bool:
    """The monitoring token, or the client's own address (REMOTE_ADDR: the connection's peer,
    which a client cannot choose, unlike X-Forwarded-For) in an allowed network."""
    if monitoring_token_valid(request.headers.get("Authorization", "")):
        return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in _networks())


# --- Figures counted at scrape time -------------------------------------------------------------
def _age(since: datetime | None, now: datetime) -> float:
    return max(0.0, (now - since).total_seconds()) if since is not None else 0.0


def _sent_at(raw: bytes | str | None) -> float | None:
    """The publish time stamped in a kombu message envelope (JSON), if any."""
    if not raw:
        return None
    try:
        value = json.loads(raw).get("headers", {}).get(SENT_AT_HEADER)
        return float(value) if value is not None else None
    except (ValueError, TypeError, AttributeError):
        return None


def _oldest_redis(channel, queue: str) -> float | None:
    """The oldest publish time at the far end of the queue's lists (kombu keeps one list per
    priority step; producers push at the near end, workers pop at the far end)."""
    keys = [queue] + [f"{queue}{channel.sep}{step}" for step in channel.priority_steps if step]
    stamps = [_sent_at(channel.client.lindex(key, -1)) for key in keys]
    return min((s for s in stamps if s is not None), default=None)


def _oldest_sql(channel, queue: str) -> float | None:
    """The publish time of the queue's first visible row (kombu's SQLAlchemy transport)."""
    row = channel.session.execute(text(
        f"SELECT m.payload FROM {channel.message_tablename} m "  # noqa: S608 - kombu's names
        f"JOIN {channel.queue_tablename} q ON m.queue_id = q.id "
        "WHERE q.name = :name AND m.visible ORDER BY m.id LIMIT 1"), {"name": queue}).first()
    channel.session.rollback()  # no read transaction left open on the broker's database
    return _sent_at(row[0]) if row else None


# Transports whose messages can be read without taking them, by kombu's driver_type.
_OLDEST_READERS = {"redis": _oldest_redis, "sql": _oldest_sql}


def broker_queues(queues: list[str]) -> dict[str, tuple[int, float | None]]:
    """{queue: (messages waiting, how many seconds ago the oldest was published)}: the age is
    0 for an empty queue and None when the broker cannot tell. Raises when the broker cannot
    be reached."""
    timeout = settings.HEALTH_CHECK_TIMEOUT
    options = dict(settings.CELERY_BROKER_TRANSPORT_OPTIONS)
    if settings.CELERY_BROKER_URL.startswith(("redis", "rediss", "sentinel")):
        # A Redis that accepts the connection and then hangs must not hang the scrape.
        options.update(socket_timeout=timeout, socket_connect_timeout=timeout)
    with Connection(settings.CELERY_BROKER_URL, connect_timeout=timeout,
                    transport_options=options) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0,
                               timeout=timeout)
        channel = conn.default_channel
        reader = _OLDEST_READERS.get(conn.transport.driver_type)
        figures = {}
        for queue in queues:
            try:
                length = channel.queue_declare(queue=queue, passive=True).message_count
            except ChannelError:  # never declared: nothing was ever sent to it
                length = 0
            oldest = reader(channel, queue) if reader is not None and length else None
            age = 0.0 if not length else (
                max(0.0, time.time() - oldest) if oldest is not None else None)
            figures[queue] = (length, age)
        return figures


class SiteCollector:
    """The figures of the database and the broker, counted at each scrape."""

    def collect(self):
        up = GaugeMetricFamily("aimd_metrics_source_up",
                               "Whether the metrics could read each source at this scrape.",
                               labels=["source"])
        now = timezone.now()
        try:
            yield from self._database(now)
            up.add_metric(["database"], 1)
        except DatabaseError as exc:
            logger.warning("metrics: the database could not be read: %s", exc)
            up.add_metric(["database"], 0)
        try:
            yield from self._broker(now)
            up.add_metric(["broker"], 1)
        except Exception as exc:  # noqa: BLE001 - a broker that is down is a figure, not a 500
            logger.warning("metrics: the broker could not be read: %s", exc)
            up.add_metric(["broker"], 0)
        yield up

    def _database(self, now: datetime):
        # Read everything first: a failure then yields no half of the families.
        grades, waiting = grades_by_status(), submissions_waiting()
        certificates, since = certificates_issued(), oldest_waiting_since()
        family = GaugeMetricFamily("aimd_grading_grades", "Grades stored, by status.",
                                   labels=["status"])
        for status, count in grades.items():
            family.add_metric([status], count)
        yield family
        family = GaugeMetricFamily(
            "aimd_grading_submissions_waiting",
            "Submissions queued for grading (sent or not) and being graded.", labels=["state"])
        for state, count in waiting.items():
            family.add_metric([state], count)
        yield family
        yield GaugeMetricFamily(
            "aimd_grading_oldest_waiting_seconds",
            "Seconds the longest-waiting queued submission has waited since it was submitted "
            "(or its regrade asked for), whether its message reached the broker or not.",
            value=_age(since, now))
        family = GaugeMetricFamily("aimd_certificates_issued",
                                   "Certificates issued, still valid or revoked.",
                                   labels=["state"])
        for state, count in certificates.items():
            family.add_metric([state], count)
        yield family

    def _broker(self, now: datetime):
        queues = sorted({settings.CELERY_TASK_DEFAULT_QUEUE, GRADING_QUEUE})
        figures = broker_queues(queues)
        length = GaugeMetricFamily("aimd_task_queue_length",
                                   "Task messages waiting in each broker queue.",
                                   labels=["queue"])
        age = GaugeMetricFamily(
            "aimd_task_queue_oldest_message_age_seconds",
            "Seconds since the oldest message waiting in each queue was published (0 when "
            "the queue is empty).", labels=["queue"])
        for queue, (count, seconds) in figures.items():
            length.add_metric([queue], count)
            if seconds is None and queue == GRADING_QUEUE:
                try:
                    seconds = _age(oldest_sent_unstarted(), now)
                except DatabaseError:
                    continue  # the database's own failure is reported with its figures
            if seconds is not None:
                age.add_metric([queue], seconds)
        yield length
        yield age


def metrics_exposition() -> bytes:
    """The text Prometheus reads: this host's processes' figures, then the shared ones."""
    site = CollectorRegistry(auto_describe=False)
    site.register(SiteCollector())
    return generate_latest(processes_registry()) + generate_latest(site)
