"""The gradebook: a run's learners × a course's assignments."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q
from wagtail.models import Page

from courses.models import CoursePage, Enrolment
from courses.models.runs import ACTIVE_STATUSES
from courses.selectors import course_modules
from grading.models import Assignment, Grade, Submission
from grading.selectors.grades import counted_grade, grade_of


def course_assignments(*, course: Page) -> list[Assignment]:
    """A course's assignments, in module order (modules of any translation of the course)."""
    courses = CoursePage.objects.filter(translation_key=course.translation_key)
    if not courses:
        return []
    in_any = Q(pk__in=[])
    for c in courses:
        in_any |= Q(module__path__startswith=c.path, module__depth=c.depth + 1)
    assignments = list(Assignment.objects.filter(in_any).select_related("module"))
    order = {m.translation_key: i for i, m in enumerate(course_modules(course=course,
                                                                       live=False))}
    return sorted(assignments, key=lambda a: (order.get(a.module.translation_key, 999), a.key))


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
        return any(grade_of(s) is None or s.regrade_requested_at for s in self.submissions)

    @property
    def to_grade(self) -> list[Submission]:
        """The attempts with answers still to be graded by hand, first attempt first."""
        return [s for s in self.submissions
                if grade_of(s) is not None and s.grade.needs_manual_grade]

    @property
    def needs_manual_grade(self) -> bool:
        return bool(self.to_grade)


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
        done = sum(1 for s in subs if grade_of(s) is not None and not s.regrade_requested_at)
        return done, len(subs)


def gradebook(*, course: Page, run) -> Gradebook:
    """Learners of a run × the course's assignments: counted score, attempts, late flags."""
    assignments = course_assignments(course=course)
    enrolments = list(Enrolment.objects.filter(run=run, status__in=ACTIVE_STATUSES)
                      .select_related("learner").order_by("learner__full_name",
                                                          "learner__email"))
    learners = [e.learner_id for e in enrolments]
    submissions = (Submission.objects.filter(assignment__in=assignments, learner__in=learners)
                   .select_related("grade", "assignment")
                   # The graded notebook and its feedback pages (figures included) are not
                   # read here: a run of learners times attempts would load them all.
                   .defer("grade__record", "grade__feedback")
                   .order_by("attempt"))
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
