"""The learners' page cache (``courses.page_cache``) hears of every change to what their pages
show of grading: a submission, a grade or an extension moves the learner's version on, an
assignment or its data files everyone's. A cache, not a step of the business flow."""

from django.db.models.signals import post_delete, post_save

from courses.page_cache import learner_pages_changed
from courses.receivers import page_cache_connect
from grading.models import Assignment, AssignmentDataFile, Extension, Grade, Submission


def _on_grade_changed(sender, instance: Grade, **kwargs) -> None:
    if Grade.submission.is_cached(instance):
        learner_id = instance.submission.learner_id
    else:
        learner_id = (Submission.objects.filter(pk=instance.submission_id)
                      .values_list("learner_id", flat=True).first())
    learner_pages_changed(user_ids=[learner_id])


def connect() -> None:
    page_cache_connect(learner_models=(Submission, Extension),
                       shared_models=(Assignment, AssignmentDataFile))
    for signal in (post_save, post_delete):
        signal.connect(_on_grade_changed, sender=Grade,
                       dispatch_uid=f"grading-pages-{signal is post_save}-grade")
