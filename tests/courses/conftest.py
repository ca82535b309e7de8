"""Page-tree fixtures for the course site, reusable by every courses test.

The tree: ``catalogue`` (Korean, the default site's root) → ``programme`` → ``course``
(taught by ``instructor``) → ``modules`` (two reading modules), and ``other_course`` taught by
``other_instructor``. ``run`` is an open run of the programme. ``tree_en`` adds the English
translations of the catalogue, programme, course and modules.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.utils import translation

from lms.accounts.models import Role
from tests.courses.factories import (
    ProgrammeRunFactory,
    catalogue_create,
    course_create,
    locale_get,
    module_create,
    programme_create,
)
from tests.factories import UserFactory


def admin_login(client, user, language="en"):
    """Log the user in with their Wagtail admin language set (the admin otherwise speaks the
    site default, Korean), so that tests can read the admin's messages."""
    from wagtail.users.models import UserProfile

    profile = UserProfile.get_for_user(user)
    profile.preferred_language = language
    profile.save(update_fields=["preferred_language"])
    client.force_login(user)
    return client


@pytest.fixture
def locales(db):
    return {"ko": locale_get("ko"), "en": locale_get("en")}


@pytest.fixture
def catalogue(locales):
    return catalogue_create()


@pytest.fixture
def programme(catalogue):
    return programme_create(parent=catalogue)


@pytest.fixture
def learner(db):
    return UserFactory(roles=[Role.LEARNER])


@pytest.fixture
def instructor(db):
    return UserFactory(roles=[Role.INSTRUCTOR])


@pytest.fixture
def other_instructor(db):
    return UserFactory(roles=[Role.INSTRUCTOR])


@pytest.fixture
def programme_staff(db):
    return UserFactory(roles=[Role.PROGRAMME_STAFF])


@pytest.fixture
def ministry_officer(db):
    return UserFactory(roles=[Role.MINISTRY_OFFICER])


@pytest.fixture
def course(programme, instructor):
    return course_create(parent=programme, instructors=[instructor])


@pytest.fixture
def other_course(programme, other_instructor):
    return course_create(parent=programme, title="머신러닝 입문", slug="ml-intro",
                         instructors=[other_instructor])


@pytest.fixture
def modules(course):
    return [
        module_create(parent=course, title="변수와 자료형", slug="variables"),
        module_create(parent=course, title="제어 흐름", slug="control-flow"),
    ]


@pytest.fixture
def run(programme):
    return ProgrammeRunFactory(programme=programme, number=1, capacity=30)


@dataclass
class TreeEn:
    catalogue: object
    programme: object
    course: object
    modules: list


@pytest.fixture
def tree_en(catalogue, programme, course, modules, locales):
    """English translations of the whole tree (published), in tree order."""
    def translate(page, title):
        translation = page.copy_for_translation(locales["en"])
        translation.title = title
        translation.save_revision().publish()
        translation.refresh_from_db()
        return translation.specific

    return TreeEn(
        catalogue=translate(catalogue, "Industrial AI Micro-degree"),
        programme=translate(programme, "AI for Manufacturing"),
        course=translate(course, "Python Basics"),
        modules=[translate(m, f"Module {i}") for i, m in enumerate(modules, start=1)],
    )


@pytest.fixture
def korean():
    """URLs are reversed in Korean whatever language an earlier request left active."""
    with translation.override("ko"):
        yield


@pytest.fixture
def enrolled(client, learner, run):
    """The learner, enrolled in the run and signed in on ``client``."""
    from tests.courses.learner_side import enrol

    enrol(learner, run)
    client.force_login(learner)
    return learner
