"""Reads of the grading app: a learner's view of an assignment, and the gradebook."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Q, QuerySet
from wagtail.models import Page

from courses.models import CourseInstructor, CoursePage, Enrolment, ModulePage
from courses.models.runs import ACTIVE_STATUSES
from grading.models import Assignment, Counting, Grade, Submission
from lms.accounts.models import Role
from lms.accounts.selectors import user_roles


def counted_grade(*, assignment: Assignment, submissions: list[Submission]) -> Grade | None:
    """The grade that counts: the best or the last graded attempt, by the assignment's rule."""
    graded = [s.grade for s in sorted(submissions, key=lambda s: s.attempt)
              if _grade_of(s) is not None]
    if not graded:
        return None
    if assignment.counting == Counting.LAST:
        return graded[-1]
    return max(graded, key=lambda g: (g.score, g.submission.attempt))


def _grade_of(submission: Submission) -> Grade | None:
    try:
        return submission.grade
    except Grade.DoesNotExist:
        return None


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
        return bool(self.latest and (_grade_of(self.latest) is None
                                     or self.latest.regrade_requested_at))

    @property
    def passed(self) -> bool:
        return bool(self.counted and self.counted.score >= self.assignment.pass_points)


def learner_assignment(*, assignment: Assignment, learner) -> LearnerAssignment:
    """What the module page shows a learner about their own work (and nothing else)."""
    submissions = list(Submission.objects.filter(assignment=assignment, learner=learner)
                       .select_related("grade").order_by("-attempt"))
    left = None
    if assignment.max_attempts:
        left = max(assignment.max_attempts - len(submissions), 0)
    return LearnerAssignment(assignment=assignment, submissions=submissions,
                             counted=counted_grade(assignment=assignment,
                                                   submissions=submissions),
                             due_at=assignment.due_for(learner), attempts_left=left)


def assignments_by_key(keys: list[str]) -> dict[str, Assignment]:
    return {a.key: a for a in Assignment.objects.filter(key__in=keys)}


# --- Who may grade --------------------------------------------------------------------------


def assignment_course(assignment: Assignment) -> Page:
    """The course page whose module holds the assignment."""
    module = assignment.module
    return Page.objects.get(path=module.path[: len(module.path) - Page.steplen])


def courses_gradable_by(*, user) -> QuerySet[CoursePage]:
    """Courses whose gradebook the user may open: all for staff and programme staff; for an
    instructor, the courses they teach (in any language)."""
    if not user.is_authenticated:
        return CoursePage.objects.none()
    if user.is_superuser or Role.PROGRAMME_STAFF in user_roles(user=user):
        return CoursePage.objects.all()
    if Role.INSTRUCTOR not in user_roles(user=user):
        return CoursePage.objects.none()
    keys = CourseInstructor.objects.filter(user=user).values("course__translation_key")
    return CoursePage.objects.filter(translation_key__in=keys)


def can_grade_course(*, user, course: Page) -> bool:
    return courses_gradable_by(user=user).filter(
        translation_key=course.translation_key).exists()


def can_grade(*, user, assignment: Assignment) -> bool:
    return can_grade_course(user=user, course=assignment_course(assignment))


def course_assignments(*, course: Page) -> list[Assignment]:
    """A course's assignments, in module order (modules of any translation of the course)."""
    courses = CoursePage.objects.filter(translation_key=course.translation_key)
    module_q = Q()
    for c in courses:
        module_q |= Q(module__path__startswith=c.path, module__depth=c.depth + 1)
    if not courses:
        return []
    assignments = list(Assignment.objects.filter(module_q).select_related("module"))
    order = {m.translation_key: i for i, m in enumerate(
        ModulePage.objects.child_of(course).order_by("path"))}
    return sorted(assignments, key=lambda a: (order.get(a.module.translation_key, 999), a.key))


# --- The gradebook -------------------------------------------------------------------------


@dataclass
class GradebookCell:
    assignment: Assignment
    submissions: list[Submission] = field(default_factory=list)
    counted: Grade | None = None

    @property
    def attempts(self) -> int:
        return len(self.submissions)

    @property
    def late(self) -> bool:
        return bool(self.counted and self.counted.submission.is_late)

    @property
    def pending(self) -> bool:
        return any(_grade_of(s) is None or s.regrade_requested_at for s in self.submissions)

    @property
    def needs_manual_grade(self) -> bool:
        return any(_grade_of(s) is not None and s.grade.needs_manual_grade
                   for s in self.submissions)


@dataclass
class GradebookRow:
    enrolment: Enrolment
    cells: list[GradebookCell]

    @property
    def total(self) -> Decimal:
        return sum((c.counted.score for c in self.cells if c.counted), Decimal(0))


@dataclass
class Gradebook:
    course: Page
    assignments: list[Assignment]
    rows: list[GradebookRow]

    @property
    def progress(self) -> tuple[int, int]:
        """(graded, all) submissions of the gradebook: shown while regrades run."""
        subs = [s for r in self.rows for c in r.cells for s in c.submissions]
        done = sum(1 for s in subs if _grade_of(s) is not None and not s.regrade_requested_at)
        return done, len(subs)


def gradebook(*, course: Page, run) -> Gradebook:
    """Learners of a run × the course's assignments: counted score, attempts, late flags."""
    assignments = course_assignments(course=course)
    enrolments = list(Enrolment.objects.filter(run=run, status__in=ACTIVE_STATUSES)
                      .select_related("learner").order_by("learner__full_name",
                                                          "learner__email"))
    learners = [e.learner_id for e in enrolments]
    submissions = (Submission.objects.filter(assignment__in=assignments, learner__in=learners)
                   .select_related("grade", "assignment").order_by("attempt"))
    by_pair: dict[tuple[int, int], list[Submission]] = {}
    for s in submissions:
        by_pair.setdefault((s.learner_id, s.assignment_id), []).append(s)
    rows = []
    for enrolment in enrolments:
        cells = []
        for assignment in assignments:
            subs = by_pair.get((enrolment.learner_id, assignment.pk), [])
            cells.append(GradebookCell(assignment=assignment, submissions=subs,
                                       counted=counted_grade(assignment=assignment,
                                                             submissions=subs)))
        rows.append(GradebookRow(enrolment=enrolment, cells=cells))
    return Gradebook(course=course, assignments=assignments, rows=rows)


def submission_visible_to(*, user, submission: Submission) -> bool:
    """Learners see their own submissions; graders those of the courses they grade."""
    if not user.is_authenticated:
        return False
    return submission.learner_id == user.pk or can_grade(user=user,
                                                         assignment=submission.assignment)

