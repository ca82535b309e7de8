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

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from wagtail.models import Locale, Page, PageViewRestriction, Site, get_page_models
from wagtail.signals import copy_for_translation_done, page_published, post_page_move

from courses.caching import tree_changed
from courses.models import CataloguePage, CoursePage
from courses.permissions import (
    catalogue_permissions_sync,
    course_permissions_sync,
    workflow_ensure,
)


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


def connect() -> None:
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
