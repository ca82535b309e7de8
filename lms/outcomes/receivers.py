"""The learners' page cache (``courses.page_cache``) hears of every change to a learner's
follow-up consent ("My learning" shows it). A cache, not a step of the business flow."""

from courses.receivers import page_cache_connect
from lms.outcomes.models import OutcomeConsent


def connect() -> None:
    page_cache_connect(learner_models=(OutcomeConsent,))
