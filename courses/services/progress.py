"""Writes of module progress: visits, reading modules completed, modules settled by grades.

A visit is not a write per page view. The first visit of a module creates its progress row
at once (that changes what the learner sees: the module is "started", and the place to
continue from); a later visit only moves "last seen" on, which the pages use to find the
module the learner worked in last. Those later visits are noted in the shared cache
(``CACHE_URL``), one entry each, and written in one batch by
``courses.tasks.module_visits_flush_task``, which Celery beat runs every
``COURSES_VISITS_FLUSH_SECONDS`` (60 s): "continue where you left off" follows a revisit within
that time. A note the cache loses (evicted, or written between the flush's two reads) loses
only that revisit's time, never a first visit or a completion.

Whatever completes a module (the learner marking a reading module complete, or the grading
app settling a module by its assignments' grades) ends in the completion check of the run,
``lms.certificates.services.certificates_reconsider``, after the transaction commits. It is
called on every such change, whether or not the learner had opened the module before (a
progress row created already complete counts like one completed later).
"""

from __future__ import annotations

import functools

from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.models import Page

from courses.models import ModulePage, ModuleProgress
from courses.page_cache import learner_pages_changed
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


VISITS_SEQUENCE_KEY = "courses:visits:sequence"
VISITS_FLUSHED_KEY = "courses:visits:flushed"
VISIT_NOTE_TIMEOUT = 24 * 3600
VISITS_FLUSH_BATCH = 20_000


def _visit_note_key(number: int) -> str:
    return f"courses:visits:{number}"


def module_visit(*, learner, module: ModulePage, seen_before: bool) -> None:
    """Remember that the learner opened the module (for "continue where you left off").

    ``seen_before``: the learner has a progress row for the module (the page has read it).
    A first visit creates the row now; a later one is noted in the cache for the next flush
    (see the module docstring): no write to the database."""
    now = timezone.now()
    if not seen_before:
        # One INSERT; a concurrent first visit (or a grade) may have made the row already.
        ModuleProgress.objects.bulk_create([ModuleProgress(
            learner=learner, module_key=module.translation_key, first_viewed_at=now,
            last_viewed_at=now)], ignore_conflicts=True)
        learner_pages_changed(user_ids=[learner.pk])  # bulk_create sends no signal
        return
    module_visit_note(learner_id=learner.pk, module_key=str(module.translation_key), at=now)


def module_visit_note(*, learner_id: int, module_key: str, at=None) -> None:
    """Note a later visit of a module the learner has seen before, for the next flush (a page
    served from the learner's page cache notes its visit here too)."""
    try:
        number = cache.incr(VISITS_SEQUENCE_KEY)
    except ValueError:  # the first note since the cache started
        cache.add(VISITS_SEQUENCE_KEY, 0, timeout=None)
        number = cache.incr(VISITS_SEQUENCE_KEY)
    cache.set(_visit_note_key(number), (learner_id, module_key, at or timezone.now()),
              timeout=VISIT_NOTE_TIMEOUT)


def module_visits_flush() -> int:
    """Write the noted visits' "last seen" times (only ever later ones); the rows changed.

    Safe to run twice or at the same time as itself: a time is written only when it is later
    than the one stored."""
    last = cache.get(VISITS_SEQUENCE_KEY) or 0
    flushed = cache.get(VISITS_FLUSHED_KEY) or 0
    if flushed > last:  # the sequence was lost and started again
        flushed = 0
    upto = min(last, flushed + VISITS_FLUSH_BATCH)
    keys = [_visit_note_key(n) for n in range(flushed + 1, upto + 1)]
    latest: dict[tuple[int, str], object] = {}
    for learner_id, module_key, at in cache.get_many(keys).values():
        if (learner_id, module_key) not in latest or at > latest[(learner_id, module_key)]:
            latest[(learner_id, module_key)] = at
    changed = []
    if latest:
        rows = ModuleProgress.objects.filter(
            learner_id__in={learner for learner, _key in latest},
            module_key__in={key for _learner, key in latest}).only(
                "pk", "learner_id", "module_key", "last_viewed_at")
        for row in rows:
            at = latest.get((row.learner_id, str(row.module_key)))
            if at is not None and at > row.last_viewed_at:
                # Only ever later, also against a flush running at the same time.
                row.last_viewed_at = Greatest(F("last_viewed_at"), Value(at))
                changed.append(row)
        ModuleProgress.objects.bulk_update(changed, ["last_viewed_at"], batch_size=1000)
        learner_pages_changed(user_ids={row.learner_id for row in changed})
    cache.delete_many(keys)
    cache.set(VISITS_FLUSHED_KEY, upto, timeout=None)
    return len(changed)


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
