"""Factories for the course site: pages of the tree (helpers, since Wagtail pages are created
under a parent) and factory_boy factories for runs and enrolments."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone
from wagtail.models import Locale, Page, Site

from courses.models import (
    CataloguePage,
    CourseInstructor,
    CoursePage,
    Enrolment,
    EnrolmentStatus,
    ModulePage,
    ProgrammePage,
    ProgrammeRun,
)
from tests.factories import UserFactory


def _publish(page: Page) -> Page:
    page.save_revision().publish()
    page.refresh_from_db()
    return page


def locale_get(code: str) -> Locale:
    locale, _ = Locale.objects.get_or_create(language_code=code)
    return locale


def catalogue_create(*, title: str = "산업 AI 마이크로디그리", slug: str = "home-ko",
                     language: str = "ko", make_site_root: bool = True) -> CataloguePage:
    """A published catalogue under the tree root; by default the default site's root page."""
    root = Page.get_first_root_node()
    page = CataloguePage(title=title, slug=slug, locale=locale_get(language),
                         intro="<p>소개</p>")
    root.add_child(instance=page)
    _publish(page)
    if make_site_root:
        site = Site.objects.filter(is_default_site=True).first()
        if site is None:
            Site.objects.create(hostname="localhost", port=80, root_page=page,
                                is_default_site=True)
        else:
            site.root_page = page
            site.save()
    return page


def programme_create(*, parent: Page, title: str = "제조 AI 기초", slug: str = "manufacturing-ai",
                     total_hours: int = 60) -> ProgrammePage:
    page = ProgrammePage(
        title=title, slug=slug, summary="제조 데이터로 배우는 AI", total_hours=total_hours,
        audience="<p>AI 비전공자</p>", learning_outcomes="<p>예지 보전</p>",
        completion_rule="<p>모든 과제 통과</p>",
    )
    parent.add_child(instance=page)
    return _publish(page)


def course_create(*, parent: Page, title: str = "파이썬 기초", slug: str = "python-basics",
                  instructors=(), gated: bool = False) -> CoursePage:
    """A published course; ``instructors`` are users assigned to it (CourseInstructor rows)."""
    page = CoursePage(title=title, slug=slug, summary="데이터 분석을 위한 파이썬", hours=20,
                      gated=gated)
    for user in instructors:
        page.instructors.add(CourseInstructor(user=user))
    parent.add_child(instance=page)
    return _publish(page)


def module_create(*, parent: Page, title: str = "변수와 자료형", slug: str = "variables",
                  text: str = "파이썬의 변수", assignment_key: str | None = None) -> ModulePage:
    body = [("paragraph", f"<p>{text}</p>")]
    if assignment_key:
        body.append(("notebook_assignment", {"assignment_key": assignment_key,
                                             "title": title, "instructions": ""}))
    page = ModulePage(title=title, slug=slug, summary=text, estimated_minutes=30, body=body)
    parent.add_child(instance=page)
    return _publish(page)


class ProgrammeRunFactory(factory.django.DjangoModelFactory):
    """A run whose enrolment window is open now (opened a week ago, closes in three weeks)."""

    class Meta:
        model = ProgrammeRun

    programme = None  # required: pass a ProgrammePage
    number = factory.Sequence(lambda n: n + 1)
    year = factory.LazyFunction(lambda: timezone.localdate().year)
    starts_on = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=30))
    ends_on = factory.LazyAttribute(lambda o: o.starts_on + dt.timedelta(days=60))
    enrolment_opens_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=7))
    enrolment_closes_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=21))
    capacity = 30
    requires_approval = False


class EnrolmentFactory(factory.django.DjangoModelFactory):
    """An enrolment (status ``enrolled`` by default) of a new learner; pass ``run``."""

    class Meta:
        model = Enrolment

    learner = factory.SubFactory(UserFactory)
    run = None  # required: pass a ProgrammeRun
    status = EnrolmentStatus.ENROLLED
    applied_at = factory.LazyFunction(timezone.now)
    enrolled_at = factory.LazyAttribute(
        lambda o: o.applied_at if o.status in (EnrolmentStatus.ENROLLED,
                                               EnrolmentStatus.COMPLETED) else None)
    dropped_at = factory.LazyAttribute(
        lambda o: o.applied_at if o.status == EnrolmentStatus.DROPPED else None)
    drop_reason = factory.LazyAttribute(
        lambda o: "테스트" if o.status == EnrolmentStatus.DROPPED else "")
