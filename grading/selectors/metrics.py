"""Reads for the operators' metrics: grades by status and the submissions waiting for a
grader, counted in the database when Prometheus scrapes (the same figures from every web
process and host, whichever process wrote them)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Min
from django.db.models.functions import Coalesce

from grading.models import Grade, GradeStatus, Submission, SubmissionState


def grades_by_status() -> dict[str, int]:
    """Every status, with 0 for those no grade has."""
    counts = dict(Grade.objects.order_by().values_list("status").annotate(n=Count("pk")))
    return {status: counts.get(status, 0) for status in GradeStatus.values}


def submissions_waiting() -> dict[str, int]:
    """Submissions queued for grading (sent or not) and being graded now."""
    counts = dict(Submission.objects.filter(
        state__in=[SubmissionState.QUEUED, SubmissionState.GRADING]).order_by()
        .values_list("state").annotate(n=Count("pk")))
    return {state: counts.get(state, 0)
            for state in (SubmissionState.QUEUED, SubmissionState.GRADING)}


def oldest_waiting_since() -> datetime | None:
    """When the longest-waiting queued submission was submitted (or its regrade asked for),
    whether its message reached the broker or not (the learner's wait)."""
    return Submission.objects.filter(state=SubmissionState.QUEUED).aggregate(
        since=Min(Coalesce("regrade_requested_at", "submitted_at")))["since"]


def oldest_sent_unstarted() -> datetime | None:
    """The last send of the queued submission sent longest ago: what the broker holds, as
    the database knows it (for brokers that cannot tell their messages' age)."""
    return Submission.objects.filter(
        state=SubmissionState.QUEUED, enqueued_at__isnull=False).aggregate(
        since=Min("enqueued_at"))["since"]
