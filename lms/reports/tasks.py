"""The statistics' housekeeping, run by beat: counting recorded changes, checking for drift."""

from celery import shared_task

from lms.reports.aggregates import statistics_catch_up
from lms.reports.verify import statistics_verify


@shared_task(acks_late=True)
def statistics_catch_up_task() -> int:
    """Count the changes still recorded (a reader would otherwise count them first); safe to
    run twice."""
    return statistics_catch_up()


@shared_task(acks_late=True)
def statistics_verify_task() -> int:
    """Compare the aggregates with the live query; drift is logged as an error and repaired.
    The number of figures that still differ."""
    return len(statistics_verify(repair=True))
