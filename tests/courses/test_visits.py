"""A learner's visits to modules: the first creates the progress row at once, later ones are
noted in the cache and written by the beat task, and "continue where you left off" follows."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from courses.models import ModuleProgress
from courses.selectors import programme_overview
from courses.tasks import module_visits_flush_task

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("korean")]




def _row(learner, module) -> ModuleProgress:
    return ModuleProgress.objects.get(learner=learner, module_key=module.translation_key)


def _sql_of_get(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return [q["sql"].split(None, 1)[0].upper() for q in ctx.captured_queries]


def test_first_visit_creates_the_progress_row_at_once(client, enrolled, modules):
    verbs = _sql_of_get(client, modules[0].url)

    assert verbs.count("INSERT") == 1
    row = _row(enrolled, modules[0])
    assert row.first_viewed_at == row.last_viewed_at
    assert row.completed_at is None


def test_a_revisit_writes_nothing_until_the_flush_moves_last_seen_on(client, enrolled,
                                                                      modules):
    client.get(modules[0].url)
    earlier = timezone.now() - dt.timedelta(hours=2)
    ModuleProgress.objects.filter(learner=enrolled).update(last_viewed_at=earlier)

    verbs = _sql_of_get(client, modules[0].url)

    assert not {"INSERT", "UPDATE", "DELETE"} & set(verbs)
    assert _row(enrolled, modules[0]).last_viewed_at == earlier

    assert module_visits_flush_task() == 1

    assert _row(enrolled, modules[0]).last_viewed_at > earlier
    assert module_visits_flush_task() == 0  # each note is written once


def test_the_flush_never_moves_last_seen_back(client, enrolled, modules):
    client.get(modules[0].url)
    client.get(modules[0].url)  # noted now
    later = timezone.now() + dt.timedelta(hours=1)
    ModuleProgress.objects.filter(learner=enrolled).update(last_viewed_at=later)

    module_visits_flush_task()

    assert _row(enrolled, modules[0]).last_viewed_at == later


def test_continue_follows_a_revisit_once_flushed(client, enrolled, programme, modules):
    client.get(modules[0].url)
    client.get(modules[1].url)
    hour_ago = timezone.now() - dt.timedelta(hours=1)
    ModuleProgress.objects.filter(learner=enrolled, module_key=modules[0].translation_key) \
        .update(last_viewed_at=hour_ago, first_viewed_at=hour_ago)
    ModuleProgress.objects.filter(learner=enrolled, module_key=modules[1].translation_key) \
        .update(last_viewed_at=hour_ago + dt.timedelta(minutes=1))
    assert programme_overview(programme=programme, user=enrolled).continue_module.page.pk \
        == modules[1].pk

    client.get(modules[0].url)  # back to the first module
    module_visits_flush_task()

    assert programme_overview(programme=programme, user=enrolled).continue_module.page.pk \
        == modules[0].pk


def test_a_visitor_leaves_no_trace(client, modules):
    verbs = _sql_of_get(client, modules[0].url)

    assert not {"INSERT", "UPDATE", "DELETE"} & set(verbs)
    assert module_visits_flush_task() == 0
