"""Keep page permissions in step with the page tree, whatever made a page live or a
translation of it: the admin's publish button, a workflow approval, scheduled publishing or the
demo seeder. Each receiver only calls a service of ``courses.permissions``.

(Wagtail's ``after_publish_page`` hook runs only for the admin's publish button; a page that
goes live through an approved workflow would be missed. The admin-only events, creating,
copying and deleting a page, are handled by hooks in ``courses.wagtail_hooks``.)
"""

from wagtail.signals import copy_for_translation_done, page_published

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


def connect() -> None:
    for model in (CoursePage, CataloguePage):
        page_published.connect(_on_page_published, sender=model,
                               dispatch_uid=f"courses-permissions-published-{model.__name__}")
    copy_for_translation_done.connect(_on_copy_for_translation_done,
                                      dispatch_uid="courses-permissions-translated")
