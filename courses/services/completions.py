"""Marking an enrolment completed: called by ``lms.certificates.services`` when the
certificate of the run is issued, inside the same transaction (the enrolment row is locked),
which also tells the statistics (one call for the certificate and the status)."""

from __future__ import annotations

from courses.models import Enrolment, EnrolmentStatus


def enrolment_complete(*, enrolment: Enrolment, at) -> Enrolment:
    """The learner has completed the run (the first completion time is kept)."""
    enrolment.status = EnrolmentStatus.COMPLETED
    enrolment.completed_at = enrolment.completed_at or at
    enrolment.save(update_fields=["status", "completed_at"])
    return enrolment
