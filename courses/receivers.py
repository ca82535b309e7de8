"""Keep page permissions in step with the page tree, whatever made a page live or a
translation of it: the admin's publish button, a workflow approval, scheduled publishing or the
demo seeder. Each receiver only calls a service of ``courses.permissions``.

(Wagtail's ``after_publish_page`` hook runs only for the admin's publish button; a page that
goes live through an approved workflow would be missed. The admin-only events, creating,
copying and deleting a page, are handled by hooks in ``courses.wagtail_hooks``.)

The tree cache (``courses.caching``) is a cache, not a step of the business flow: every save
or delete of any page, site, locale or view restriction, and every move, moves its version
on, whoever made the change (the admin, a workflow, a script), so that no page is ever shown
from an older tree.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from wagtail.models import Locale, Page, PageViewRestriction, Site, get_page_models
from wagtail.signals import copy_for_translation_done, page_published, post_page_move

from courses.caching import tree_changed
from courses.models import CataloguePage, CoursePage, Enrolment, ModuleProgress, ProgrammeRun
from courses.page_cache import learner_pages_changed, shared_pages_changed
from courses.permissions import (
    catalogue_permissions_sync,
    course_permissions_sync,
    workflow_ensure,
)
from lms.accounts.models import LearnerProfile


def page_permissions_refresh(page) -> None:
    """Re-sync the permissions that depend on this page, if any."""
    page = getattr(page, "specific", page)
    if isinstance(page, CoursePage):
        course_permissions_sync(course=page)
    elif isinstance(page, CataloguePage):
        catalogue_permissions_sync()
        workflow_ensure()


def _on_page_published(sender, instance, **kwargs):
    page_permissions_refresh(instance)


def _on_copy_for_translation_done(sender, source_obj, target_obj, **kwargs):
    page_permissions_refresh(target_obj)


def _on_tree_changed(sender, **kwargs):
    # Now, and again once the transaction commits: a request that read the tree between the
    # two (the change not yet visible to it) cached it under a version that is then left.
    tree_changed()
    transaction.on_commit(tree_changed)


# The learners' page cache (``courses.page_cache``), also a cache: every save or delete of what
# a learner's pages show of them moves their version on; a run's or anyone's enrolment (seats
# left) moves everyone's.
def _on_learner_row_changed(sender, instance, **kwargs):
    learner_pages_changed(user_ids=[getattr(instance, "learner_id", None)
                                    or getattr(instance, "user_id", None)])


def _on_enrolment_changed(sender, instance, **kwargs):
    learner_pages_changed(user_ids=[instance.learner_id])
    shared_pages_changed()


def _on_shared_row_changed(sender, **kwargs):
    shared_pages_changed()


def _on_user_changed(sender, instance, **kwargs):
    learner_pages_changed(user_ids=[instance.pk])


def _on_groups_changed(sender, instance, action, reverse, pk_set, **kwargs):
    # (also a user's own permissions, which the header's admin link reads)
    if action.startswith("post_"):
        # user.groups.add(...) names the user; group.user_set.add(...) the users (or, for a
        # clear, none: then every page).
        if not reverse:
            learner_pages_changed(user_ids=[instance.pk])
        elif pk_set:
            learner_pages_changed(user_ids=pk_set)
        else:
            shared_pages_changed()


def _on_group_permissions_changed(sender, action, **kwargs):
    # A group given or denied the admin: its members' header (the admin link). Rare, an
    # administrator's change: every page.
    if action.startswith("post_"):
        shared_pages_changed()


def page_cache_connect(*, learner_models=(), shared_models=()) -> None:
    """Connect the page cache's receivers for models of other apps (which ``courses`` may not
    import): a row of ``learner_models`` names its learner (``learner_id``, ``user_id``), a row
    of ``shared_models`` may show on anyone's page."""
    for model in learner_models:
        for signal in (post_save, post_delete):
            signal.connect(_on_learner_row_changed, sender=model,
                           dispatch_uid=f"courses-pages-{signal is post_save}-{model.__name__}")
    for model in shared_models:
        for signal in (post_save, post_delete):
            signal.connect(_on_shared_row_changed, sender=model,
                           dispatch_uid=f"courses-pages-{signal is post_save}-{model.__name__}")


def connect() -> None:
    user_model = get_user_model()
    page_cache_connect(learner_models=(ModuleProgress, LearnerProfile),
                       shared_models=(ProgrammeRun,))
    for signal in (post_save, post_delete):
        signal.connect(_on_enrolment_changed, sender=Enrolment,
                       dispatch_uid=f"courses-pages-{signal is post_save}-enrolment")
        signal.connect(_on_user_changed, sender=user_model,
                       dispatch_uid=f"courses-pages-{signal is post_save}-user")
    m2m_changed.connect(_on_groups_changed, sender=user_model.groups.through,
                        dispatch_uid="courses-pages-groups")
    m2m_changed.connect(_on_groups_changed, sender=user_model.user_permissions.through,
                        dispatch_uid="courses-pages-user-permissions")
    m2m_changed.connect(_on_group_permissions_changed, sender=Group.permissions.through,
                        dispatch_uid="courses-pages-group-permissions")
    # A group deleted takes its memberships with it, without an m2m signal (its members' roles
    # and admin link): every page.
    post_delete.connect(_on_shared_row_changed, sender=Group,
                        dispatch_uid="courses-pages-group-deleted")
    for model in {Page, *get_page_models(), Site, Locale, PageViewRestriction}:
        for signal in (post_save, post_delete):
            signal.connect(_on_tree_changed, sender=model,
                           dispatch_uid=f"courses-tree-{signal is post_save}-{model.__name__}")
    post_page_move.connect(_on_tree_changed, dispatch_uid="courses-tree-moved")
    for model in (CoursePage, CataloguePage):
        page_published.connect(_on_page_published, sender=model,
                               dispatch_uid=f"courses-permissions-published-{model.__name__}")
    copy_for_translation_done.connect(_on_copy_for_translation_done,
                                      dispatch_uid="courses-permissions-translated")
