"""Writes of extensions: a later due date for one learner and one assignment."""

from __future__ import annotations

import functools

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from grading.models import Assignment, Extension, Grade, GradeAudit, Submission
from grading.services.grades import (
    GradeChangeRefused,
    grade_feedback_refresh,
    grade_settle,
    grade_snapshot,
    late_set,
)
from lms.lti.services import scores_publish_on_commit


@transaction.atomic
def extension_grant(*, assignment: Assignment, learner, due_at, reason: str,
                    actor) -> Extension:
    if not (reason or "").strip():
        raise GradeChangeRefused(gettext("Give a reason for the extension."))
    extension, _created = Extension.objects.update_or_create(
        assignment=assignment, learner=learner,
        defaults={"due_at": due_at, "reason": reason.strip(), "granted_by": actor,
                  "granted_at": timezone.now()})
    # Grades already given are late against the new date, or not: their penalty follows.
    for grade in Grade.objects.select_for_update(of=("self",)).filter(
            submission__assignment=assignment, submission__learner=learner
    ).select_related("submission__assignment", "submission__learner"):
        before = grade_snapshot(grade)
        late_set(grade, grade.submission)
        grade.score = grade.compute_score()
        if grade_snapshot(grade) != before:
            grade_feedback_refresh(grade)
            grade.save()
            GradeAudit.objects.create(grade=grade, actor=actor,
                                      action=GradeAudit.Action.EXTENSION, before=before,
                                      after=grade_snapshot(grade), reason=reason.strip())
    # The new date may also let a submission count that was made after the end of the run
    # (without a submission there is nothing to settle, and no progress row is made).
    if Submission.objects.filter(assignment=assignment, learner=learner).exists():
        transaction.on_commit(functools.partial(grade_settle, learner=learner,
                                                assignment=assignment))
        scores_publish_on_commit(learner_id=learner.pk, assignment_id=assignment.pk)
    return extension
