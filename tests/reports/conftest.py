from tests.courses.conftest import (  # noqa: F401 - the course fixtures
    catalogue,
    course,
    instructor,
    learner,
    locales,
    ministry_officer,
    programme,
    programme_staff,
    run,
)
