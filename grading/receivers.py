"""Keeping module progress in step with grades.

A module with assignments is complete when each of its assignments has a counted grade at or
above its pass mark. Every grade change (autograde, regrade, manual grade, override) settles
the module again, so a regrade below the pass mark reopens it.
"""

from django.dispatch import receiver

from courses.models import ModuleProgress
from courses.services import module_assignments_settle
from courses.signals import module_completed
from grading.models import Assignment, Grade, Submission
from grading.selectors import counted_grade
from grading.signals import grade_changed


@receiver(grade_changed, sender=Grade)
def _settle_module(sender, grade: Grade, **kwargs) -> None:
    submission = grade.submission
    learner = submission.learner
    module = submission.assignment.module
    assignments = Assignment.objects.filter(module__translation_key=module.translation_key)
    passed = True
    for assignment in assignments:
        subs = list(Submission.objects.filter(assignment=assignment, learner=learner)
                    .select_related("grade"))
        counted = counted_grade(assignment=assignment, submissions=subs)
        passed = passed and counted is not None and counted.score >= assignment.pass_points
    module_assignments_settle(learner=learner, module_key=module.translation_key,
                              passed=passed)
    _reconsider(learner=learner, module=module)


@receiver(module_completed, sender=ModuleProgress)
def _reading_module_completed(sender, learner, module, **kwargs) -> None:
    _reconsider(learner=learner, module=module)


def _reconsider(*, learner, module) -> None:
    from grading.certification import certificates_reconsider

    programme = module.get_parent().get_parent()
    certificates_reconsider(learner=learner, programme_key=programme.translation_key)
