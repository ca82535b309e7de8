"""The course pages as a visitor and a learner see them: the tree rules, the catalogue with
its search and filters, the programme page with its runs and enrol buttons, the course page,
the module page and the blocks of its body."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.urls import reverse
from django.utils import translation
from PIL import Image as PILImage
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Page

from courses.models import CataloguePage, CoursePage, ModulePage, ProgrammePage
from courses.selectors import REFUSALS
from tests.courses.factories import ProgrammeRunFactory, module_create, programme_create
from tests.courses.learner_side import (
    body,
    closed_run,
    enrol,
    profile_complete,
    upcoming_run,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _korean():
    """URLs are reversed in Korean whatever language an earlier request left active."""
    with translation.override("ko"):
        yield


def in_korean(message) -> str:
    with translation.override("ko"):
        return str(message)


# --- The page tree ---------------------------------------------------------------------------


def test_catalogue_may_only_be_created_at_the_root(catalogue, programme):
    root = Page.get_first_root_node()

    assert CataloguePage.can_create_at(root)
    assert not CataloguePage.can_create_at(catalogue)
    assert not CataloguePage.can_create_at(programme)


def test_programme_may_only_be_created_under_a_catalogue(catalogue, programme, course):
    assert ProgrammePage.can_create_at(catalogue)
    assert not ProgrammePage.can_create_at(Page.get_first_root_node())
    assert not ProgrammePage.can_create_at(programme)
    assert not ProgrammePage.can_create_at(course)


def test_course_may_only_be_created_under_a_programme(catalogue, programme, course):
    assert CoursePage.can_create_at(programme)
    assert not CoursePage.can_create_at(catalogue)
    assert not CoursePage.can_create_at(course)


def test_module_may_only_be_created_under_a_course(catalogue, programme, course, modules):
    assert ModulePage.can_create_at(course)
    assert not ModulePage.can_create_at(catalogue)
    assert not ModulePage.can_create_at(programme)
    assert not ModulePage.can_create_at(modules[0])


def test_module_has_no_children():
    assert ModulePage.allowed_subpage_models() == []


# --- Catalogue -------------------------------------------------------------------------------


def test_catalogue_shows_programme_cards_with_summary_hours_and_open_run(client, programme, run):
    html = body(client.get("/ko/"))

    assert 'class="card"' in html
    assert programme.title in html
    assert programme.summary in html
    assert f'href="{programme.url}"' in html
    assert "60" in html  # total hours
    assert "badge--open" in html


def test_catalogue_card_shows_the_next_run_when_none_is_open(client, programme):
    upcoming_run(programme, 2)

    html = body(client.get("/ko/"))

    assert "badge--upcoming" in html
    assert "badge--open" not in html


def test_catalogue_filter_form_is_a_labelled_get_form(client, catalogue, run):
    html = body(client.get("/ko/"))

    form = re.search(r'<form class="filters"[^>]*>', html).group(0)
    assert 'method="get"' in form
    assert 'role="search"' in form
    for name, field_id in (("q", "catalogue-q"), ("status", "catalogue-status"),
                           ("year", "catalogue-year")):
        assert f'id="{field_id}" name="{name}"' in html
        assert f'<label for="{field_id}">' in html


def test_catalogue_status_filter_keeps_only_programmes_open_now(client, catalogue, programme,
                                                                 run):
    later = programme_create(parent=catalogue, title="비전 검사", slug="vision")
    upcoming_run(later, 1)

    open_html = body(client.get("/ko/", {"status": "open"}))
    upcoming_html = body(client.get("/ko/", {"status": "upcoming"}))

    assert programme.title in open_html
    assert later.title not in open_html
    assert later.title in upcoming_html
    assert programme.title not in upcoming_html
    assert '<option value="open" selected>' in open_html


def test_catalogue_year_filter_offers_the_years_of_runs(client, catalogue, programme, run):
    old = programme_create(parent=catalogue, title="지난 과정", slug="old")
    ProgrammeRunFactory(programme=old, number=1, year=2023)

    html = body(client.get("/ko/", {"year": "2023"}))

    assert '<option value="2023" selected>' in html
    assert f'<option value="{run.year}">' in html
    assert old.title in html
    assert programme.title not in re.search(r'<ul class="cards">.*?</ul>', html, re.S).group(0)


def test_catalogue_ignores_a_malformed_filter(client, programme, run):
    html = body(client.get("/ko/", {"year": "twenty", "status": "everything"}))

    assert programme.title in html


def test_catalogue_search_lists_matching_courses_and_modules(client, catalogue, programme,
                                                              course, modules):
    module_create(parent=course, title="예지 보전 개요", slug="pm",
                  text="베어링 진동 데이터로 고장을 예측합니다")

    html = body(client.get("/ko/", {"q": "진동"}))

    hits = re.search(r'<ol class="hits">.*?</ol>', html, re.S).group(0)
    assert "예지 보전 개요" in hits
    assert "kind--module" in hits
    assert 'value="진동"' in html


def test_catalogue_search_with_no_match_says_so(client, catalogue, programme):
    html = body(client.get("/ko/", {"q": "존재하지않는단어"}))

    assert 'class="hits"' not in html
    assert "empty-state" in html


# --- Programme -------------------------------------------------------------------------------


def test_programme_page_shows_the_description_and_the_syllabus(client, programme, course,
                                                               modules, run):
    html = body(client.get(programme.url))

    for text in (programme.summary, "AI 비전공자", "예지 보전", "모든 과제 통과", course.title,
                 *(m.title for m in modules)):
        assert text in html
    assert 'id="syllabus"' in html
    assert 'id="runs"' in html


def test_programme_runs_table_shows_dates_window_and_seats(client, programme, run, learner):
    enrol(learner, run)

    html = body(client.get(programme.url))

    table = re.search(r'<table class="table runs">.*?</table>', html, re.S).group(0)
    assert f'datetime="{run.starts_on:%Y-%m-%d}"' in table
    assert f'datetime="{run.ends_on:%Y-%m-%d}"' in table
    assert "자리 있음 (정원 30명)" in table
    assert '<th scope="col">' in table


@pytest.mark.parametrize("enrolled", [1, 7])
def test_the_seats_left_never_give_away_a_runs_enrolment(client, programme, run, enrolled):
    # "449 of 457" would tell anyone the run's enrolment, which the ministry's own figures
    # hide when it is small, or to protect a small neighbour (complementary suppression)
    run.capacity = 457  # a number no date on the page contains
    run.save(update_fields=["capacity"])
    for _ in range(enrolled):
        enrol(UserFactory(), run)

    table = re.search(r'<table class="table runs">.*?</table>',
                      body(client.get(programme.url)), re.S).group(0)

    assert str(457 - enrolled) not in table
    assert "자리 있음 (정원 457명)" in table


def test_anonymous_visitor_gets_a_log_in_to_enrol_link_with_next(client, programme, run):
    html = body(client.get(programme.url))

    login = reverse("account_login")
    assert f'href="{login}?next={programme.url}%23runs"' in html
    assert reverse("courses:enrol", args=[run.pk]) not in html


def test_learner_gets_an_enrol_form_with_csrf_for_an_open_run(client, programme, run, learner):
    client.force_login(learner)

    html = body(client.get(programme.url))

    form = re.search(r'<form method="post" action="{}">.*?</form>'.format(
        re.escape(reverse("courses:enrol", args=[run.pk]))), html, re.S)
    assert form, "no enrol form"
    assert "csrfmiddlewaretoken" in form.group(0)


def test_enrolled_learner_sees_status_and_a_continue_link(client, programme, modules, run,
                                                          learner):
    enrol(learner, run)
    client.force_login(learner)

    html = body(client.get(programme.url))

    assert "status--enrolled" in html
    assert f'href="{modules[0].url}"' in html
    assert reverse("courses:enrol", args=[run.pk]) not in html


def test_refused_run_shows_a_disabled_button_with_the_reason(client, programme, learner):
    full = ProgrammeRunFactory(programme=programme, number=2, capacity=1)
    enrol(UserFactory(), full)
    client.force_login(learner)

    html = body(client.get(programme.url))

    assert f'disabled aria-describedby="run-{full.pk}-reason"' in html
    assert f'id="run-{full.pk}-reason">{in_korean(REFUSALS["full"])}<' in html


def test_a_closed_run_shows_its_state_not_a_disabled_button(client, programme, run, learner):
    past = closed_run(programme, 2)
    client.force_login(learner)

    html = body(client.get(programme.url))

    assert f'run-{past.pk}-reason' not in html  # no button, so nothing to describe
    assert 'class="run-closed" data-state="closed"' in html


def test_other_open_run_is_refused_while_enrolled_in_one(client, programme, run, learner):
    later = ProgrammeRunFactory(programme=programme, number=2)
    enrol(learner, run)
    client.force_login(learner)

    html = body(client.get(programme.url))

    reason = in_korean(REFUSALS["already_in_programme"])
    assert f'id="run-{later.pk}-reason">{reason}<' in html


def test_past_run_reads_closed_even_while_enrolled_in_another(client, programme, run, learner):
    past = closed_run(programme, 2)
    enrol(learner, run)
    client.force_login(learner)

    html = body(client.get(programme.url))

    assert 'class="run-closed" data-state="closed"' in html
    assert f'run-{past.pk}-reason' not in html  # not "you are already in another run"


def test_active_enrolment_offers_a_drop_form_with_a_required_reason(client, programme, run,
                                                                    learner):
    enrolment = enrol(learner, run)
    client.force_login(learner)

    html = body(client.get(programme.url))

    form = re.search(r'<form method="post" action="{}".*?</form>'.format(
        re.escape(reverse("courses:drop", args=[enrolment.pk]))), html, re.S).group(0)
    assert "csrfmiddlewaretoken" in form
    assert re.search(r'<textarea id="drop-reason" name="reason"[^>]*required', form)
    assert '<label for="drop-reason">' in form


def test_applicant_sees_the_application_state(client, programme, run, learner):
    enrol(learner, run, status="applied")
    client.force_login(learner)

    html = body(client.get(programme.url))

    assert "status--applied" in html
    assert "<progress" not in html


# --- Course ----------------------------------------------------------------------------------


def test_course_page_lists_modules_with_progress(client, programme, course, modules, run,
                                                 learner):
    enrol(learner, run)
    profile_complete(learner)
    client.force_login(learner)
    client.post(reverse("courses:module_complete", args=[modules[0].pk]))

    html = body(client.get(course.url))

    assert '<progress aria-labelledby="progress-course" max="2" value="1">' in html
    assert "1 / 2" in html
    assert html.count("tag--done") == 1
    assert f'href="{programme.url}"' in html  # breadcrumb
    assert f'href="{modules[1].url}"' in html  # continue with the next module


def test_course_page_invites_visitors_to_enrol(client, programme, course, modules, run):
    html = body(client.get(course.url))

    assert f'href="{programme.url}#runs"' in html
    assert "<progress" not in html


# --- Module and its blocks -------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def _image():
    data = io.BytesIO()
    PILImage.new("RGB", (64, 48), (26, 75, 155)).save(data, "PNG")
    return get_image_model().objects.create(
        title="진동 그래프", file=ImageFile(io.BytesIO(data.getvalue()), name="vibration.png"))


@pytest.fixture
def rich_module(media, course):
    document = get_document_model().objects.create(
        title="bearing_health.csv", file=ContentFile(b"a,b\n1,2\n", name="bearing_health.csv"))
    page = ModulePage(title="블록 모음", slug="blocks", summary="모든 블록", body=[
        ("heading", "데이터 불러오기"),
        ("paragraph", "<p>판다스로 <b>CSV</b>를 읽습니다.</p>"),
        ("code", {"language": "python", "code": "import pandas as pd\n# 읽기\nx = 1"}),
        ("callout", {"kind": "warning", "text": "<p>결측치를 확인하세요.</p>"}),
        ("image", {"image": _image(), "alt_text": "시간에 따른 진동", "caption": "그림 1"}),
        ("download", {"document": document, "description": "베어링 데이터"}),
        ("notebook_assignment", {"assignment_key": "bearing-eda", "title": "탐색 과제",
                                 "instructions": "<p>분포를 그리세요.</p>"}),
    ])
    course.add_child(instance=page)
    page.save_revision().publish()
    page.refresh_from_db()
    return page


def test_module_body_renders_every_block(client, programme, run, learner, rich_module):
    enrol(learner, run)
    client.force_login(learner)

    html = body(client.get(rich_module.url))

    assert '<h2 class="block-heading">데이터 불러오기</h2>' in html
    assert "<b>CSV</b>" in html
    assert '<div class="highlight">' in html
    assert '<span class="kn">import</span>' in html  # Pygments tokens
    assert '<span class="c1"># 읽기</span>' in html
    assert 'class="callout callout--warning"' in html
    assert 'alt="시간에 따른 진동"' in html
    assert "<figcaption>그림 1</figcaption>" in html
    assert 'href="/documents/' in html
    assert "bearing_health.csv" in html
    assert 'id="assignment-bearing-eda"' in html
    assert "탐색 과제" in html
    assert "assignment__panel" in html


def test_assignment_module_has_no_mark_as_complete_button(client, programme, run, learner,
                                                          rich_module):
    enrol(learner, run)
    client.force_login(learner)

    html = body(client.get(rich_module.url))

    assert reverse("courses:module_complete", args=[rich_module.pk]) not in html


def test_module_page_has_breadcrumb_outline_and_neighbours(client, programme, course, modules,
                                                           run, learner):
    enrol(learner, run)
    client.force_login(learner)

    html = body(client.get(modules[1].url))

    crumbs = re.search(r'<nav class="breadcrumb".*?</nav>', html, re.S).group(0)
    assert f'href="{programme.url}"' in crumbs
    assert f'href="{course.url}"' in crumbs
    outline = re.search(r'<aside class="outline">.*?</aside>', html, re.S).group(0)
    assert f'href="{modules[1].url}" aria-current="page"' in outline
    pager = re.search(r'<nav class="pager".*?</nav>', html, re.S).group(0)
    assert f'href="{modules[0].url}" rel="prev"' in pager
    assert 'rel="next"' not in pager


def test_learner_sees_the_body_and_the_mark_as_complete_form(client, programme, modules, run,
                                                             learner):
    enrol(learner, run)
    client.force_login(learner)

    html = body(client.get(modules[0].url))

    assert "파이썬의 변수" in html
    action = reverse("courses:module_complete", args=[modules[0].pk])
    form = re.search(rf'<form method="post" action="{re.escape(action)}">.*?</form>', html, re.S)
    assert form
    assert "csrfmiddlewaretoken" in form.group(0)


def test_visitor_without_access_sees_the_summary_and_an_enrol_prompt(client, programme, course,
                                                                   run):
    module = module_create(parent=course, title="비공개 본문", slug="secret", text="요약")
    module.body = [("paragraph", "<p>본문 비밀 내용</p>")]
    module.save_revision().publish()

    html = body(client.get(module.url))

    assert "요약" in html
    assert "본문 비밀 내용" not in html
    assert 'class="module__body"' not in html
    assert "panel--prompt" in html
    assert f'href="{programme.url}#runs"' in html


def test_applicant_is_told_the_application_is_being_reviewed(client, programme, modules, run,
                                                             learner):
    enrol(learner, run, status="applied")
    client.force_login(learner)

    html = body(client.get(modules[0].url))

    assert 'class="module__body"' not in html
    assert f'href="{programme.url}#runs"' in html
    assert reverse("courses:module_complete", args=[modules[0].pk]) not in html


def test_staff_read_modules_without_enrolling(client, programme, modules, instructor):
    client.force_login(instructor)

    html = body(client.get(modules[0].url))

    assert "파이썬의 변수" in html
    assert "panel--prompt" not in html


def test_header_shows_my_learning_only_when_logged_in(client, catalogue, learner):
    dashboard = reverse("courses:dashboard")
    assert f'href="{dashboard}"' not in body(client.get("/ko/"))

    client.force_login(learner)

    assert f'href="{dashboard}"' in body(client.get("/ko/"))


def test_visitors_see_no_lock_or_progress_states(client, programme, run):
    from tests.courses.factories import course_create

    gated = course_create(parent=programme, title="순서대로", slug="ordered", gated=True)
    module_create(parent=gated, title="하나", slug="one")
    module_create(parent=gated, title="둘", slug="two")

    for url in (programme.url, gated.url):
        html = body(client.get(url))
        assert "tag--locked" not in html
        assert "is-locked" not in html
