"""Who may edit and publish which pages in the Wagtail admin, and the publishing workflow.

- Each course has one group of editors (its instructors) holding Wagtail's "add" and "change"
  page permissions, never "publish", on the course page and on each of its translations. So an
  instructor edits only the courses they teach (and the modules below them) and submits their
  changes for moderation instead of publishing.
- Programme staff may add, change and publish anything under the catalogue pages (every
  locale), and approve the moderation task of the publishing workflow.

Every function here is idempotent: the demo seeder, the admin hooks and the tests may call them
any number of times.
"""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from wagtail.models import (
    GroupApprovalTask,
    GroupPagePermission,
    Page,
    Workflow,
    WorkflowPage,
    WorkflowTask,
)
from wagtail.models.pages import get_default_page_content_type

from courses.models import CataloguePage, CourseInstructor, CoursePage
from lms.accounts.models import Role
from lms.accounts.services import role_group

logger = logging.getLogger(__name__)

# Page permissions (Wagtail stores them as wagtailcore.<action>_page Permission rows).
COURSE_EDITOR_ACTIONS = ("add", "change")
CATALOGUE_STAFF_ACTIONS = ("add", "change", "publish")

# Names stored in the database and shown in the admin in both languages; they also identify
# the workflow and its task, so they must not change.
WORKFLOW_NAME = "과정 게시 · Course publishing"
APPROVAL_TASK_NAME = "운영 담당자 승인 · Programme staff approval"


def _page_permissions(actions) -> list[Permission]:
    return list(Permission.objects.filter(
        content_type=get_default_page_content_type(),
        codename__in=[f"{action}_page" for action in actions],
    ))


def course_editors_group_name(*, translation_key) -> str:
    """The name of the group of a course's editors (one group for all its translations)."""
    return f"course-{translation_key}-editors"


@transaction.atomic
def course_permissions_sync(*, course: Page) -> Group | None:
    """Make the course's editors group match who teaches the course, in every language.

    The group holds "add" and "change" (not "publish") on each translation of the course and
    its members are the instructors assigned to any translation of it who still hold the
    instructor role; anyone else is removed. When no translation of the course is left (it was
    deleted) the group is deleted and None is returned.
    """
    key = course.translation_key
    name = course_editors_group_name(translation_key=key)
    translations = list(CoursePage.objects.filter(translation_key=key).values_list("pk",
                                                                                   flat=True))
    if not translations:
        Group.objects.filter(name=name).delete()
        logger.info("course %s is gone; removed its editors group", key)
        return None

    group, _created = Group.objects.get_or_create(name=name)

    permissions = _page_permissions(COURSE_EDITOR_ACTIONS)
    wanted = {(page_id, perm.pk) for page_id in translations for perm in permissions}
    existing = {(gpp.page_id, gpp.permission_id): gpp.pk
                for gpp in GroupPagePermission.objects.filter(group=group)}
    GroupPagePermission.objects.filter(
        pk__in=[pk for pair, pk in existing.items() if pair not in wanted]).delete()
    GroupPagePermission.objects.bulk_create([
        GroupPagePermission(group=group, page_id=page_id, permission_id=perm_id)
        for page_id, perm_id in wanted - existing.keys()
    ])

    instructors = set(CourseInstructor.objects.filter(
        course__translation_key=key, user__groups__name=Role.INSTRUCTOR.value,
        user__is_active=True,
    ).values_list("user_id", flat=True))
    members = set(group.user_set.values_list("pk", flat=True))
    if members - instructors:
        group.user_set.remove(*(members - instructors))
    if instructors - members:
        group.user_set.add(*get_user_model().objects.filter(pk__in=instructors - members))
    logger.info("course %s editors: %d (+%d, -%d)", key, len(instructors),
                len(instructors - members), len(members - instructors))
    return group


def course_permissions_prune() -> int:
    """Delete the editors groups of courses that no longer exist (in any language).

    Deleting a programme deletes its courses without a hook per course; this tidies up after
    any deletion. Returns how many groups were deleted.
    """
    keys = {str(key) for key in CoursePage.objects.values_list("translation_key", flat=True)}
    stale = [group.pk for group in Group.objects.filter(name__regex=r"^course-.+-editors$")
             if group.name[len("course-"):-len("-editors")] not in keys]
    deleted, _detail = Group.objects.filter(pk__in=stale).delete()
    return len(stale) if deleted else 0


@transaction.atomic
def catalogue_permissions_sync() -> list[CataloguePage]:
    """Give programme staff add, change and publish on every catalogue page (all locales).

    Page permissions apply to the whole subtree, so staff manage every programme, course and
    module, and can publish them directly or approve an instructor's submission.
    Returns the catalogue pages.
    """
    group = role_group(role=Role.PROGRAMME_STAFF)
    catalogues = list(CataloguePage.objects.all())
    for page in catalogues:
        for permission in _page_permissions(CATALOGUE_STAFF_ACTIONS):
            GroupPagePermission.objects.get_or_create(group=group, page=page,
                                                      permission=permission)
    return catalogues


@transaction.atomic
def workflow_ensure() -> Workflow:
    """The publishing workflow, created or repaired, and assigned to every catalogue page.

    One task: programme staff approve (Wagtail's group approval task). Assigned to each
    catalogue page it covers the whole tree below, so an instructor's edit goes live only when
    a member of programme staff approves it. A catalogue given another workflow in the admin
    keeps it.
    """
    staff = role_group(role=Role.PROGRAMME_STAFF)
    task = GroupApprovalTask.objects.filter(name=APPROVAL_TASK_NAME).first()
    if task is None:
        task = GroupApprovalTask.objects.create(name=APPROVAL_TASK_NAME)
    if not task.active:
        task.active = True
        task.save(update_fields=["active"])
    task.groups.add(staff)

    workflow, _created = Workflow.objects.get_or_create(name=WORKFLOW_NAME)
    if not workflow.active:
        workflow.active = True
        workflow.save(update_fields=["active"])
    if not WorkflowTask.objects.filter(workflow=workflow, task=task).exists():
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)

    for page in CataloguePage.objects.filter(workflowpage__isnull=True):
        WorkflowPage.objects.create(page=page, workflow=workflow)
    return workflow
