"""The employment follow-up's beat task."""

from celery import shared_task

from lms.outcomes.services import outcomes_follow_up


@shared_task(acks_late=True)
def outcomes_follow_up_task() -> dict:
    """Hourly: create the follow-up points that came due, send invitations and reminders,
    record no answer after the window. Idempotent (each email is claimed by a conditional
    update before it is sent), so a repeated or overlapping run sends nothing twice."""
    run = outcomes_follow_up()
    return {"created": run.created, "invited": run.invited, "reminded": run.reminded,
            "closed": run.closed}
