"""Models of the course site: Wagtail pages, runs and enrolments, progress."""

from courses.models.pages import (
    CataloguePage,
    CourseInstructor,
    CoursePage,
    ModulePage,
    ProgrammePage,
)
from courses.models.progress import ModuleProgress
from courses.models.runs import Enrolment, EnrolmentStatus, ProgrammeRun

__all__ = [
    "CataloguePage",
    "CourseInstructor",
    "CoursePage",
    "Enrolment",
    "EnrolmentStatus",
    "ModulePage",
    "ModuleProgress",
    "ProgrammePage",
    "ProgrammeRun",
]
