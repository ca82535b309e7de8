"""Publishing goes through the workflow: instructors submit, programme staff approve."""

import pytest
from django.urls import reverse
from wagtail.models import GroupApprovalTask, TaskState, Workflow, WorkflowPage, WorkflowState
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from courses.models import CataloguePage
from courses.permissions import APPROVAL_TASK_NAME, WORKFLOW_NAME, workflow_ensure
from lms.accounts.models import Role

pytestmark = pytest.mark.django_db


def _module_form(module, *, title, text="<p>고친 본문</p>", action="action-submit"):
    """The module edit form as the admin posts it (body and comments are built by JavaScript)."""
    return nested_form_data({
        "title": title, "slug": module.slug, "summary": module.summary,
        "estimated_minutes": module.estimated_minutes,
        "body": streamfield([("paragraph", rich_text(text))]),
        "comments": inline_formset([]),
        action: "1",
    })


def _submit(client, module, title):
    return client.post(reverse("wagtailadmin_pages:edit", args=[module.pk]),
                       _module_form(module, title=title))


def test_workflow_ensure_is_idempotent(catalogue, tree_en):
    workflow_ensure()
    workflow_ensure()

    assert Workflow.objects.filter(name=WORKFLOW_NAME).count() == 1
    task = GroupApprovalTask.objects.get(name=APPROVAL_TASK_NAME)
    assert list(Workflow.objects.get(name=WORKFLOW_NAME).tasks) == [task.task_ptr]
    assert list(task.groups.values_list("name", flat=True)) == [Role.PROGRAMME_STAFF.value]
    assert (set(WorkflowPage.objects.filter(workflow__name=WORKFLOW_NAME)
                .values_list("page_id", flat=True))
            == set(CataloguePage.objects.values_list("pk", flat=True)))


def test_workflow_ensure_keeps_a_workflow_chosen_in_the_admin(catalogue):
    other = Workflow.objects.create(name="Legal review")
    WorkflowPage.objects.filter(page=catalogue).update(workflow=other)

    workflow_ensure()

    assert WorkflowPage.objects.get(page=catalogue).workflow == other


def test_every_course_page_is_under_the_publishing_workflow(course, modules, tree_en):
    for page in (course, *modules, tree_en.course, *tree_en.modules):
        assert page.get_workflow().name == WORKFLOW_NAME


def test_instructor_cannot_publish_their_course(course, modules, instructor):
    assert not course.permissions_for_user(instructor).can_publish()
    assert not modules[0].permissions_for_user(instructor).can_publish()


def test_instructor_publish_request_only_saves_a_draft(client, modules, instructor):
    module = modules[0]
    client.force_login(instructor)

    client.post(reverse("wagtailadmin_pages:edit", args=[module.pk]),
                _module_form(module, title="바로 게시 시도", action="action-publish"))

    module.refresh_from_db()
    assert module.title == "변수와 자료형"  # the live page is unchanged
    assert module.get_latest_revision_as_object().title == "바로 게시 시도"
    assert module.live_revision_id != module.latest_revision_id


def test_instructor_submits_a_module_for_moderation(client, modules, instructor):
    module = modules[0]
    client.force_login(instructor)

    response = _submit(client, module, "변수와 자료형 (개정)")

    assert response.status_code == 302
    module.refresh_from_db()
    assert module.workflow_in_progress
    task_state = module.current_workflow_task_state
    assert task_state.status == TaskState.STATUS_IN_PROGRESS
    assert task_state.task.name == APPROVAL_TASK_NAME
    assert module.title == "변수와 자료형"  # not live before approval


def test_programme_staff_approval_publishes_the_submitted_revision(
        client, modules, instructor, programme_staff):
    module = modules[0]
    client.force_login(instructor)
    _submit(client, module, "변수와 자료형 (개정)")
    module.refresh_from_db()
    task_state = module.current_workflow_task_state
    submitted_revision = task_state.revision

    client.force_login(programme_staff)
    response = client.post(reverse("wagtailadmin_pages:workflow_action",
                                   args=[module.pk, "approve", task_state.pk]))

    assert response.status_code in (200, 302)
    module.refresh_from_db()
    assert module.live
    assert module.title == "변수와 자료형 (개정)"
    assert module.live_revision_id == submitted_revision.pk
    assert (WorkflowState.objects.get(pk=task_state.workflow_state_id).status
            == WorkflowState.STATUS_APPROVED)


def test_instructor_cannot_approve_their_own_submission(client, modules, instructor):
    module = modules[0]
    client.force_login(instructor)
    _submit(client, module, "셀프 승인")
    module.refresh_from_db()
    task_state = module.current_workflow_task_state

    client.post(reverse("wagtailadmin_pages:workflow_action",
                        args=[module.pk, "approve", task_state.pk]))

    module.refresh_from_db()
    assert module.title == "변수와 자료형"
    assert module.current_workflow_task_state.status == TaskState.STATUS_IN_PROGRESS


def test_programme_staff_can_request_changes(client, modules, instructor, programme_staff):
    module = modules[0]
    client.force_login(instructor)
    _submit(client, module, "초안")
    module.refresh_from_db()
    task_state = module.current_workflow_task_state

    client.force_login(programme_staff)
    client.post(reverse("wagtailadmin_pages:workflow_action",
                        args=[module.pk, "reject", task_state.pk]), {"comment": "예시 추가"})

    module.refresh_from_db()
    assert module.title == "변수와 자료형"
    assert (WorkflowState.objects.get(pk=task_state.workflow_state_id).status
            == WorkflowState.STATUS_NEEDS_CHANGES)


def test_instructor_previews_their_own_module(client, modules, instructor):
    module = modules[0]
    client.force_login(instructor)
    url = reverse("wagtailadmin_pages:preview_on_edit", args=[module.pk])

    posted = client.post(url, _module_form(module, title="미리보기 제목",
                                           text="<p>미리보기 본문</p>"))
    response = client.get(url)

    assert posted.json()["is_valid"]
    assert response.status_code == 200
    assert "미리보기 제목" in response.content.decode()
    assert "미리보기 본문" in response.content.decode()


def test_instructor_cannot_preview_another_instructors_module(
        client, other_course, other_instructor, instructor):
    from tests.courses.factories import module_create

    module = module_create(parent=other_course, slug="other-module")
    client.force_login(instructor)

    response = client.post(reverse("wagtailadmin_pages:preview_on_edit", args=[module.pk]),
                           _module_form(module, title="x"))

    assert response.status_code in (302, 403)
