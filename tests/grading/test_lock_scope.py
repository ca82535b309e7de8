"""Row locks on the deadline's path lock only their own rows.

In PostgreSQL, ``SELECT ... FOR UPDATE`` over a join locks the joined rows too. Grading locked
its submission together with the assignment (``select_related``), and the completion check its
enrolment together with the run, the programme's page and the learner: each grade then held
the rows every other learner's submission refers to, and their COMMITs (which check those
references) queued behind the worker's transaction. ``bench/deadline_rush.py`` showed the
submitting learners' requests waiting on it. Every lock on that path now names its own table
(``of=("self",)``), and the learner's own lock on submitting is a "no key" one, which rows that
refer to the learner do not wait for.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from grading.services.extensions import extension_grant
from grading.services.grades import submission_autograde
from grading.services.submissions import submission_create
from tests.grading.conftest import RIGHT, notebook_with

pytestmark = pytest.mark.django_db

LOCK = re.compile(r"FOR (NO KEY )?UPDATE( OF (?P<of>.+?))?( NOWAIT| SKIP LOCKED)?$")
FROM = re.compile(r'\bFROM "?(?P<table>\w+)')


def _locks(queries) -> list[tuple[str, str | None, bool]]:
    """(table selected from, the OF list or None, joins other tables) of each locking query."""
    found = []
    for query in queries:
        sql = query["sql"].strip()
        match = LOCK.search(sql)
        if not match or not sql.startswith("SELECT"):
            continue
        table = FROM.search(sql).group("table")
        found.append((table, match.group("of"), " JOIN " in sql))
    return found


def test_grading_and_the_completion_check_lock_their_own_rows_only(
        released_assignment, enrolled_learner, instructor, django_capture_on_commit_callbacks):
    if not connection.features.has_select_for_update_of:
        pytest.skip("row locks are PostgreSQL's (SQLite locks the whole database)")
    # When a learner submits, the worker grades and settles it (the completion check on
    # commit), and an instructor grants an extension that moves the grade's late penalty
    with CaptureQueriesContext(connection) as ctx, \
            django_capture_on_commit_callbacks(execute=True):
        submission = submission_create(assignment=released_assignment,
                                       learner=enrolled_learner,
                                       data=notebook_with(RIGHT)).submission
        submission_autograde(submission_id=submission.pk)
        extension_grant(assignment=released_assignment, learner=enrolled_learner,
                        due_at=timezone.now() + dt.timedelta(days=30), reason="illness",
                        actor=instructor)
    locks = _locks(ctx.captured_queries)
    # Then the submission, the grade and the enrolment were locked...
    tables = {table for table, _of, _joins in locks}
    assert {"grading_submission", "grading_grade", "courses_enrolment"} <= tables, locks
    # ...and no lock over a join reached the joined rows (the assignment, the run, the page)
    for table, of, joins in locks:
        if joins:
            assert of is not None, table
            assert of.strip('"') == table, (table, of)


def test_the_learners_own_lock_on_submitting_lets_references_to_them_through(
        released_assignment, enrolled_learner):
    if not connection.features.has_select_for_update_of:
        pytest.skip("row locks are PostgreSQL's (SQLite locks the whole database)")
    with CaptureQueriesContext(connection) as ctx:
        submission_create(assignment=released_assignment, learner=enrolled_learner,
                          data=notebook_with(RIGHT))
    user_locks = [q["sql"] for q in ctx.captured_queries
                  if 'FROM "accounts_user"' in q["sql"] and "UPDATE" in q["sql"]]
    assert user_locks
    assert all("FOR NO KEY UPDATE" in sql for sql in user_locks), user_locks
