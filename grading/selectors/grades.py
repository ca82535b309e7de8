"""The grade that counts, and the pass rule.

The pass rule is written here and nowhere else: an assignment is passed when its counted
grade (the best or the last graded attempt, by the assignment's rule) is at or above its pass
mark. A module with assignments is passed when each of them is. Module progress
(``grading.services.grades``) and the completion rule of a run
(``lms.certificates.selectors``) both ask :func:`assignment_passed`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    OuterRef,
    Prefetch,
    Q,
    prefetch_related_objects,
)

from grading.models import (
    Assignment,
    AssignmentDataFile,
    Counting,
    Grade,
    GradeAudit,
    Submission,
)


def grade_of(submission: Submission) -> Grade | None:
    """The submission's grade, or None while it has none."""
    try:
        return submission.grade
    except Grade.DoesNotExist:
        return None


def counted_grade(*, assignment: Assignment, submissions: list[Submission]) -> Grade | None:
    """The grade that counts: the best or the last graded attempt, by the assignment's rule."""
    graded = [s.grade for s in sorted(submissions, key=lambda s: s.attempt)
              if grade_of(s) is not None]
    if not graded:
        return None
    if assignment.counting == Counting.LAST:
        return graded[-1]
    return max(graded, key=lambda g: (g.score, g.submission.attempt))


def grade_passes(*, assignment: Assignment, counted: Grade | None) -> bool:
    """The pass rule: a counted grade at or above the assignment's pass mark."""
    return counted is not None and counted.score >= assignment.pass_points


def assignment_passed(*, assignment: Assignment, learner,
                      submitted_by: datetime | None = None) -> bool:
    """Has the learner passed the assignment (counting only submissions made by
    ``submitted_by``, when given)?"""
    submissions = Submission.objects.filter(assignment=assignment, learner=learner)
    if submitted_by is not None:
        submissions = submissions.filter(submitted_at__lte=submitted_by)
    counted = counted_grade(assignment=assignment,
                            submissions=list(submissions.select_related("grade")))
    return grade_passes(assignment=assignment, counted=counted)


def module_assignments_passed(*, learner, module_key: str) -> bool:
    """Are all the assignments of a module (any translation of it) passed?"""
    return all(assignment_passed(assignment=assignment, learner=learner)
               for assignment in Assignment.objects.filter(module__translation_key=module_key))


@dataclass
class LearnerAssignment:
    assignment: Assignment
    submissions: list[Submission]
    counted: Grade | None
    due_at: datetime | None
    attempts_left: int | None

    @property
    def latest(self) -> Submission | None:
        return self.submissions[0] if self.submissions else None

    @property
    def pending(self) -> bool:
        """The latest attempt is waiting for its grade."""
        return bool(self.latest and (grade_of(self.latest) is None
                                     or self.latest.regrade_requested_at))

    @property
    def passed(self) -> bool:
        return grade_passes(assignment=self.assignment, counted=self.counted)


def _own_submissions(**filters) -> list[Submission]:
    """A learner's submissions with their grades, as panels show them: without the graded
    notebook's record (figures: up to 600 KB a grade) and the feedback pages, which a panel
    polled during a deadline never shows; whether a feedback page exists comes from the
    database (``Grade.feedback_known``)."""
    rows = (Submission.objects.filter(**filters).select_related("grade")
            .defer("grade__record", "grade__feedback")
            .annotate(feedback_known=ExpressionWrapper(
                Q(grade__record__has_key="steps") | ~Q(grade__feedback={}),
                output_field=BooleanField()))
            .order_by("-attempt"))
    submissions = list(rows)
    for submission in submissions:
        grade = grade_of(submission)
        if grade is not None:
            grade.feedback_known = bool(submission.feedback_known)
    return submissions


def learner_assignment(*, assignment: Assignment, learner) -> LearnerAssignment:
    """What the module page shows a learner about their own work (and nothing else)."""
    submissions = _own_submissions(assignment=assignment, learner=learner)
    left = None
    if assignment.max_attempts:
        left = max(assignment.max_attempts - len(submissions), 0)
    return LearnerAssignment(assignment=assignment, submissions=submissions,
                             counted=counted_grade(assignment=assignment,
                                                   submissions=submissions),
                             due_at=assignment.due_for(learner), attempts_left=left)


def assignments_for_panels(*, keys: list[str], learner) -> dict[str, Assignment]:
    """The assignments of ``keys`` (by key) as their panels on a module page need them, in
    one query whatever their number (two when some have data files learners get): each with
    ``learner_due_at`` (the learner's due date: their extension's, else the assignment's) and
    ``visible_data_files``; then :func:`learner_assignments` adds the learner's submissions."""
    # Not the release check's report: a page view has no use for it.
    assignments = Assignment.objects.filter(key__in=keys).defer("release_report").annotate(
        has_visible_files=Exists(AssignmentDataFile.objects.filter(
            assignment=OuterRef("pk"), hidden=False)))
    if learner.is_authenticated:
        # At most one extension per learner and assignment (a unique constraint): a join.
        assignments = assignments.annotate(
            own_extension=FilteredRelation("extensions",
                                           condition=Q(extensions__learner=learner)),
            extension_due_at=F("own_extension__due_at"))
    found = {a.key: a for a in assignments}
    prefetch_related_objects([a for a in found.values() if a.has_visible_files], Prefetch(
        "data_files", queryset=AssignmentDataFile.objects.filter(hidden=False),
        to_attr="visible_data_files"))
    for assignment in found.values():
        if not assignment.has_visible_files:
            assignment.visible_data_files = []
        extension = getattr(assignment, "extension_due_at", None)
        assignment.learner_due_at = extension if extension is not None else assignment.due_at
    return found


def learner_assignments(*, assignments: list[Assignment], learner) -> dict[int, LearnerAssignment]:
    """:func:`learner_assignment` of several assignments (from
    :func:`assignments_for_panels`), by assignment id, in one query."""
    submissions = defaultdict(list)
    for submission in _own_submissions(assignment__in=assignments, learner=learner):
        submissions[submission.assignment_id].append(submission)
    result = {}
    for assignment in assignments:
        mine = submissions[assignment.pk]
        left = (max(assignment.max_attempts - len(mine), 0) if assignment.max_attempts
                else None)
        result[assignment.pk] = LearnerAssignment(
            assignment=assignment, submissions=mine,
            counted=counted_grade(assignment=assignment, submissions=mine),
            due_at=assignment.learner_due_at, attempts_left=left)
    return result


@dataclass
class ManualCell:
    grade_id: str
    max_score: float
    score: float | None  # None while it waits for the instructor


@dataclass
class GradeNote:
    at: datetime
    action: str  # GradeAudit.Action
    text: str


@dataclass
class SubmissionFeedback:
    """What the feedback page says about one submission around the notebook: its score now,
    the hand-graded cells' points, the instructor's comments and the score that counts."""

    submission: Submission
    grade: Grade
    counted: Grade | None
    manual_cells: list[ManualCell]
    notes: list[GradeNote]

    @property
    def is_counted(self) -> bool:
        return self.counted is not None and self.counted.pk == self.grade.pk


def submission_feedback(*, submission: Submission) -> SubmissionFeedback | None:
    """The feedback summary of ``submission`` (None while it has no grade). The caller has
    checked that the user may see the submission."""
    grade = grade_of(submission)
    if grade is None:
        return None
    siblings = list(Submission.objects.filter(assignment_id=submission.assignment_id,
                                              learner_id=submission.learner_id)
                    .select_related("grade"))
    manual = [ManualCell(grade_id=c["grade_id"], max_score=float(c["max_score"]),
                         score=(None if c["grade_id"] not in grade.manual_scores
                                else float(grade.manual_scores[c["grade_id"]])))
              for c in grade.cells if c.get("manual")]
    # The grader's comments, and the reason of the override in force; only what was written
    # as shown to the learner (the forms say so; older notes were internal).
    notes: list[GradeNote] = []
    manual_notes = grade.audit.filter(action=GradeAudit.Action.MANUAL, shown_to_learner=True)
    for a in manual_notes.exclude(reason="").order_by("-at"):
        if notes and notes[-1].text == a.reason:
            continue  # one comment saved with several hand-graded cells: said once
        notes.append(GradeNote(at=a.at, action=a.action, text=a.reason))
    if grade.override_score is not None:
        standing = (grade.audit.filter(action=GradeAudit.Action.OVERRIDE)
                    .order_by("-at", "-pk").first())
        if standing is not None and standing.shown_to_learner and standing.reason:
            notes.append(GradeNote(at=standing.at, action=standing.action,
                                   text=standing.reason))
            notes.sort(key=lambda note: note.at, reverse=True)
    return SubmissionFeedback(submission=submission, grade=grade,
                              counted=counted_grade(assignment=submission.assignment,
                                                    submissions=siblings),
                              manual_cells=manual, notes=notes)


@dataclass
class ManualAnswer:
    """A cell graded by hand, with what the learner wrote in it (as text: never rendered)."""

    grade_id: str
    max_score: float
    score: float | None
    cell_type: str  # "markdown" (a written answer) or "code"
    answer: str | None  # None when the grade's record has no steps (an old grade)


def manual_answers(*, grade: Grade) -> list[ManualAnswer]:
    """The grade's hand-graded cells and the learner's answers in them, from the grade's
    record (the notebook as graded, hidden tests already removed)."""
    steps = {s.get("grade_id"): s for s in (grade.record or {}).get("steps", [])
             if s.get("grade_id") and s.get("kind") in ("answer", "task")}
    answers = []
    for cell in grade.cells:
        if not cell.get("manual"):
            continue
        step = steps.get(cell["grade_id"], {})
        score = grade.manual_scores.get(cell["grade_id"])
        answers.append(ManualAnswer(
            grade_id=cell["grade_id"], max_score=float(cell["max_score"]),
            score=None if score is None else float(score),
            cell_type=step.get("cell_type", "markdown"), answer=step.get("source_shown")))
    return answers
