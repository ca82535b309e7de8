"""Each deployment opens only the programmes the site's administrators gave it: a university's
LMS whose instructors edit a link's custom parameters (or pick in deep linking) cannot place
another programme of the site, nor enrol its people there past the programme's admission."""

from __future__ import annotations

import logging

import pytest
from django.apps import apps
from lti_tool.models import LtiDeployment

from courses.models import Enrolment
from lms.lti.models import DeploymentScope, Placement
from lms.lti.selectors import deep_link_choices, deployment_may_open
from tests.courses.factories import ProgrammeRunFactory, course_create, programme_create
from tests.factories import UserFactory
from tests.lti.conftest import INSTRUCTOR, LEARNER, LaunchSpec, launch, path_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_programme(catalogue):
    """A programme of another university's partnership, with a run open for enrolment."""
    programme = programme_create(parent=catalogue, title="로봇 AI 심화", slug="robot-ai")
    ProgrammeRunFactory(programme=programme, number=1, capacity=30)
    return programme


def _deployment(registration) -> LtiDeployment:
    return registration.deployments.get()


def _learner(page, sub="student-1") -> LaunchSpec:
    return LaunchSpec(sub=sub, roles=[LEARNER], email=f"{sub}@univ.ac.kr",
                      custom={"lms_page": str(page.pk)})


def test_a_learner_launch_into_another_programme_is_refused_and_enrols_nobody(
        client, platform, registration, run, other_programme, caplog):
    caplog.set_level(logging.WARNING, logger="lms.lti")
    response = launch(client, platform, "h", _learner(other_programme))
    assert response.status_code == 403
    assert "이 과정을 귀하 대학의 LMS에 개방하지 않았습니다" in response.content.decode()
    assert "launch refused (outside_scope)" in caplog.text
    assert not Placement.objects.exists()
    assert not Enrolment.objects.filter(run__programme=other_programme).exists()


def test_the_programme_given_opens_in_every_language(
        client, platform, registration, run, tree_en):
    response = launch(client, platform, "h", _learner(tree_en.course))
    assert response.status_code == 302, response.content[:300]
    assert Enrolment.objects.filter(run=run, learner__email="student-1@univ.ac.kr").exists()


def test_a_page_outside_every_programme_is_refused(client, platform, registration, catalogue):
    response = launch(client, platform, "h", _learner(catalogue))
    assert response.status_code == 403
    assert not Placement.objects.exists()


def test_a_deployment_without_programmes_opens_nothing(
        client, platform, registration, programme, run):
    DeploymentScope.objects.filter(deployment=_deployment(registration)).delete()
    response = launch(client, platform, "h", _learner(programme))
    assert response.status_code == 403
    assert not Enrolment.objects.exists()


def test_a_placement_stops_opening_once_its_programme_is_taken_away(
        client, platform, registration, course, run):
    first = launch(client, platform, "a", _learner(course, sub="a"))
    assert first.status_code == 302
    assert Placement.objects.get().page_id == course.pk
    _deployment(registration).scope.programmes.clear()
    # The same link launched again, without its custom parameters (a placement made earlier)
    client.logout()
    second = launch(client, platform, "b", LaunchSpec(sub="b", roles=[LEARNER],
                                                    email="b@univ.ac.kr"))
    assert second.status_code == 403
    assert not Enrolment.objects.filter(learner__email="b@univ.ac.kr").exists()


def test_deep_linking_offers_only_the_programmes_given(
        client, platform, registration, programme, course, other_programme):
    other_course = course_create(parent=other_programme, title="로봇 제어", slug="robots")
    response = launch(client, platform, "dl", LaunchSpec(
        sub="t-1", roles=[INSTRUCTOR], email="prof@univ.ac.kr", deep_linking=True))
    assert path_of(response["Location"]) == "/lti/deep-link/"
    html = client.get("/lti/deep-link/").content.decode()
    assert f'value="p:{course.pk}"' in html
    assert f'value="p:{programme.pk}"' in html
    assert f'value="p:{other_course.pk}"' not in html
    assert f'value="p:{other_programme.pk}"' not in html
    # A key of the other programme posted by hand is not placed
    answer = client.post("/lti/deep-link/", {"choice": [f"p:{other_course.pk}"]})
    assert answer.status_code == 400
    assert platform.deep_link_returns == []


def test_deep_linking_says_when_nothing_is_open_to_the_platform(
        client, platform, registration, course):
    _deployment(registration).scope.programmes.clear()
    launch(client, platform, "dl", LaunchSpec(sub="t-1", roles=[INSTRUCTOR],
                                              email="prof@univ.ac.kr", deep_linking=True))
    html = client.get("/lti/deep-link/").content.decode()
    assert 'name="choice"' not in html
    assert deep_link_choices(deployment=_deployment(registration)) == []


def test_the_scope_belongs_to_the_deployment_not_the_platform(
        registration, programme, other_programme):
    deployment = _deployment(registration)
    other = LtiDeployment.objects.create(registration=registration, deployment_id="dep-2",
                                         is_active=True)
    other.scope.programmes.set([other_programme])
    assert deployment_may_open(deployment=deployment, page=programme)
    assert not deployment_may_open(deployment=deployment, page=other_programme)
    assert deployment_may_open(deployment=other, page=other_programme)
    assert not deployment_may_open(deployment=other, page=programme)


def test_deployments_registered_before_the_upgrade_keep_every_programme(
        registration, programme, other_programme):
    migration = __import__("lms.lti.migrations.0002_deployment_scope",
                           fromlist=["existing_deployments_keep_every_programme"])
    DeploymentScope.objects.all().delete()
    migration.existing_deployments_keep_every_programme(apps, None)
    deployment = _deployment(registration)
    assert deployment_may_open(deployment=deployment, page=programme)
    assert deployment_may_open(deployment=deployment, page=other_programme)


def test_an_administrator_gives_a_deployment_its_programmes_in_the_admin(
        client, registration, programme, other_programme, tree_en):
    admin = UserFactory(is_staff=True, is_superuser=True)
    english = tree_en.programme
    client.force_login(admin)
    scope = _deployment(registration).scope
    form = client.get(f"/django-admin/lti/deploymentscope/{scope.pk}/change/")
    assert form.status_code == 200
    offered = list(form.context["adminform"].form.fields["programmes"].queryset)
    # One entry per programme (its page in the site's language), not one per translation
    assert set(offered) == {programme.specific_class.objects.get(pk=programme.pk),
                            other_programme}
    assert english.pk not in {p.pk for p in offered}
    saved = client.post(f"/django-admin/lti/deploymentscope/{scope.pk}/change/", {
        "deployment": scope.deployment_id, "programmes": [other_programme.pk]})
    assert saved.status_code == 302, saved.content[:500]
    assert list(scope.programmes.all()) == [other_programme]
