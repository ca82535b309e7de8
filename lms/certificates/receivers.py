"""The learners' page cache (``courses.page_cache``) hears of every certificate issued,
revoked or changed: it shows on the learner's own pages. A cache, not a step of the flow."""

from django.db.models.signals import post_delete, post_save

from courses.models import Enrolment
from courses.page_cache import learner_pages_changed
from lms.certificates.models import Certificate


def _on_certificate_changed(sender, instance: Certificate, **kwargs) -> None:
    if Certificate.enrolment.is_cached(instance):
        learner_id = instance.enrolment.learner_id
    else:
        learner_id = (Enrolment.objects.filter(pk=instance.enrolment_id)
                      .values_list("learner_id", flat=True).first())
    learner_pages_changed(user_ids=[learner_id])


def connect() -> None:
    for signal in (post_save, post_delete):
        signal.connect(_on_certificate_changed, sender=Certificate,
                       dispatch_uid=f"certificates-pages-{signal is post_save}")
