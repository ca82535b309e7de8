"""Who may grade a course, and who may see a submission."""

from __future__ import annotations

from django.db.models import QuerySet
from wagtail.models import Page

from courses.models import CourseInstructor, CoursePage
from grading.models import Assignment, Submission
from lms.accounts.models import Role
from lms.accounts.selectors import user_roles


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


def submission_visible_to(*, user, submission: Submission) -> bool:
    """Learners see their own submissions; graders those of the courses they grade."""
    if not user.is_authenticated:
        return False
    return submission.learner_id == user.pk or can_grade(user=user,
                                                         assignment=submission.assignment)
