"""The shared page-tree fixtures build what they promise."""

import pytest

pytestmark = pytest.mark.django_db


def test_tree_fixtures_build_a_published_tree(catalogue, programme, course, modules, run):
    assert course.get_parent().specific == programme
    assert programme.get_parent().specific == catalogue
    assert [m.get_parent().specific for m in modules] == [course, course]
    assert all(p.live for p in (catalogue, programme, course, *modules))
    assert run.programme == programme


def test_course_fixture_is_taught_by_the_instructor(course, instructor):
    assert [ci.user for ci in course.instructors.all()] == [instructor]


def test_tree_en_translates_every_page(tree_en, course, modules):
    assert tree_en.course.translation_key == course.translation_key
    assert tree_en.course.locale.language_code == "en"
    assert [m.get_parent().specific for m in tree_en.modules] == [tree_en.course] * 2
