"""The course site's router (``courses.routing``) finds the page in one query and keeps
Wagtail's rules: view restrictions on the page or an ancestor, unpublished pages, 404s."""

from __future__ import annotations

import pytest
from wagtail.models import PageViewRestriction

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("korean")]



def test_a_restriction_added_above_a_module_applies_at_once(client, programme, modules):
    assert client.get(modules[0].url).status_code == 200  # the tree is now cached

    PageViewRestriction.objects.create(page=programme,
                                       restriction_type=PageViewRestriction.LOGIN)

    response = client.get(modules[0].url)
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_a_lifted_restriction_stops_applying(client, programme, modules):
    restriction = PageViewRestriction.objects.create(
        page=programme, restriction_type=PageViewRestriction.LOGIN)
    assert client.get(modules[0].url).status_code == 302

    restriction.delete()

    assert client.get(modules[0].url).status_code == 200


def test_an_unpublished_module_and_an_unknown_slug_are_not_found(client, course, modules):
    assert client.get(modules[1].url).status_code == 200
    modules[1].unpublish()

    assert client.get(modules[1].url).status_code == 404
    assert client.get(f"{course.url}no-such-module/").status_code == 404


def test_a_module_moved_to_another_course_is_found_at_its_new_address(
        client, programme, course, other_course, modules):
    old_url = modules[0].url
    assert client.get(old_url).status_code == 200

    modules[0].move(other_course, pos="last-child")
    modules[0].refresh_from_db()

    assert client.get(old_url).status_code == 404
    assert client.get(modules[0].url).status_code == 200
