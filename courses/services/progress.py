"""Writes of module progress: visits, reading modules completed, modules settled by grades.

Whatever completes a module (the learner marking a reading module complete, or the grading
app settling a module by its assignments' grades) ends in the completion check of the run,
``lms.certificates.services.certificates_reconsider``, after the transaction commits. It is
called on every such change, whether or not the learner had opened the module before (a
progress row created already complete counts like one completed later).
"""

from __future__ import annotations

import functools

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.models import Page

from courses.models import ModulePage, ModuleProgress
from courses.selectors import module_view
from lms.certificates.services import certificates_reconsider


class ProgressRefused(Exception):
    """A module cannot be marked complete (not enrolled, locked, or an assignment module)."""


def _programme_key(module: ModulePage) -> str:
    """The translation key of the programme the module belongs to (module → course →
    programme in the page tree)."""
    programme_path = module.path[: len(module.path) - 2 * Page.steplen]
    return Page.objects.filter(path=programme_path).values_list(
        "translation_key", flat=True).get()


def _reconsider_on_commit(*, learner, module: ModulePage) -> None:
    transaction.on_commit(functools.partial(
        certificates_reconsider, learner=learner, programme_key=_programme_key(module)))


def module_visit(*, learner, module: ModulePage) -> None:
    """Remember that the learner opened the module (for "continue where you left off")."""
    now = timezone.now()
    updated = ModuleProgress.objects.filter(
        learner=learner, module_key=module.translation_key).update(last_viewed_at=now)
    if not updated:
        try:
            with transaction.atomic():
                ModuleProgress.objects.create(learner=learner, module_key=module.translation_key,
                                              first_viewed_at=now, last_viewed_at=now)
        except IntegrityError:
            pass  # a concurrent first visit created it


def module_complete(*, learner, module: ModulePage) -> ModuleProgress:
    """Mark a reading module complete for a learner who may learn it and has it unlocked."""
    if not module.is_reading:
        raise ProgressRefused(_("This module is completed by submitting its assignment."))
    view = module_view(module=module, user=learner)
    if view.enrolment is None:
        raise ProgressRefused(_("Enrol in a run of this programme to record your progress."))
    if view.locked:
        raise ProgressRefused(_("Complete the previous module first."))
    now = timezone.now()
    with transaction.atomic():
        progress, created = ModuleProgress.objects.get_or_create(
            learner=learner, module_key=module.translation_key,
            defaults={"first_viewed_at": now, "last_viewed_at": now, "completed_at": now})
        if progress.completed_at is None:
            progress.completed_at = now
            progress.save(update_fields=["completed_at"])
            completed = True
        else:
            completed = created  # a first visit that completes it at once
        if completed:
            _reconsider_on_commit(learner=learner, module=module)
    return progress


def module_assignments_settle(*, learner, module: ModulePage, passed: bool, at=None) -> None:
    """Record the outcome of a module's assignments: complete when passed, else not; then
    the completion check of the run.

    Called by the grading app whenever a grade changes (the module is completed by its
    assignments, not by the learner); a regrade or override below the pass mark reopens it.
    """
    at = at or timezone.now()
    progress, _created = ModuleProgress.objects.get_or_create(
        learner=learner, module_key=module.translation_key,
        defaults={"first_viewed_at": at, "last_viewed_at": at})
    completed_at = (progress.completed_at or at) if passed else None
    if progress.completed_at != completed_at:
        progress.completed_at = completed_at
        progress.save(update_fields=["completed_at"])
    _reconsider_on_commit(learner=learner, module=module)
