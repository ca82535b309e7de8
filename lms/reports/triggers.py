"""The database triggers that tell the statistics which enrolments changed, whoever wrote them.

The per-run aggregates (``lms.reports.aggregates``) must never be stale or wrong, and rows can
change without our services: ``bulk_create``, ``COPY``, raw SQL, the admin, a data fix in
psql. So the database itself records each change that can move a figure, as a row of
:class:`~lms.reports.models.StatisticsChange` (the enrolment's id) in the same transaction as
the change:

- an enrolment inserted or deleted, or its status, run or learner changed;
- a certificate inserted or deleted, or its enrolment changed, or revoked / un-revoked;
- a learner profile inserted or deleted, or an answer the breakdowns read (participant
  status, AI major, gender, birth year, region, consent) changed: the learner (every
  enrolment of theirs is counted again);
- a run's year changed (the year a figure counts towards, and the age bands): the run;
- one of these tables emptied with TRUNCATE (PostgreSQL): a change of nothing in particular,
  which means "count everything again".

Each trigger reads only its own rows and writes only the change table: on SQLite, a trigger
that named another table would make Django's rebuild of that table (SQLite's way to alter a
column in a migration) fail.

The triggers only record; the counting is Python's (``lms.reports.aggregates``), one place.
PostgreSQL uses statement-level triggers with transition tables (a COPY of 100,000 rows
records them with one INSERT ... SELECT); SQLite, which has only row-level triggers, one row
at a time. The SQL is built from the models' metadata, and :func:`triggers_install` is
idempotent: the migration installs it, and ``post_migrate`` installs it again, because
SQLite drops a table's triggers when a later migration rebuilds the table.
"""

# ruff: noqa: S608 - SQL built from the models' table and column names only, no values

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

from courses.models import Enrolment, ProgrammeRun
from lms.accounts.models import LearnerProfile
from lms.certificates.models import Certificate
from lms.reports.models import StatisticsChange

PREFIX = "reports_stats"
# The profile's answers that the breakdowns read (a change of anything else moves no figure).
PROFILE_FIELDS = ("user", "participant_status", "ai_major", "gender", "birth_year", "region",
                  "stats_consent")


def _tables() -> dict[str, str]:
    return {"enrolment": Enrolment._meta.db_table, "certificate": Certificate._meta.db_table,
            "profile": LearnerProfile._meta.db_table, "run": ProgrammeRun._meta.db_table,
            "change": StatisticsChange._meta.db_table}


def _column(model, name: str) -> str:
    return model._meta.get_field(name).column


def _watched() -> dict[str, dict]:
    """For each table: the columns whose change matters, and what to record of a changed row
    (``record``: the change table's column, ``key``: the row's column). A trigger reads only
    its own rows: on SQLite, a trigger naming another table would make Django's rebuild of
    that table (how SQLite alters a column) fail."""
    t = _tables()
    return {
        "enrolment": {
            "table": t["enrolment"],
            "columns": [Enrolment._meta.pk.column, _column(Enrolment, "status"),
                        _column(Enrolment, "run"), _column(Enrolment, "learner")],
            "record": "enrolment_id", "key": Enrolment._meta.pk.column,
        },
        "certificate": {
            "table": t["certificate"],
            "columns": [Certificate._meta.pk.column, _column(Certificate, "enrolment")],
            # Revoked or not is what counts, not when: (column, expression of the row).
            "flags": [(_column(Certificate, "revoked_at"),
                       f"{{side}}{_column(Certificate, 'revoked_at')} IS NULL")],
            "record": "enrolment_id", "key": _column(Certificate, "enrolment"),
        },
        "profile": {  # every enrolment of the learner
            "table": t["profile"],
            "columns": [LearnerProfile._meta.pk.column,
                        *(_column(LearnerProfile, f) for f in PROFILE_FIELDS)],
            "record": "learner_id", "key": _column(LearnerProfile, "user"),
        },
        "run": {  # every enrolment of the run
            "table": t["run"],
            "columns": [ProgrammeRun._meta.pk.column, _column(ProgrammeRun, "year")],
            "record": "run_id", "key": ProgrammeRun._meta.pk.column,
            "inserts": False,  # a new run has no enrolments
        },
    }


def _record(spec: dict, rows: str) -> str:
    """INSERT of the change records of a set of rows (SQL of a table or subquery)."""
    change = _tables()["change"]
    return f"INSERT INTO {change} ({spec['record']}) SELECT x.{spec['key']} FROM {rows} x"


def _postgresql() -> tuple[list[str], list[str]]:
    """(install statements, uninstall statements) for PostgreSQL."""
    change = _tables()["change"]
    install, uninstall = [], []
    for name, spec in _watched().items():
        function = f"{PREFIX}_{name}"
        flags = [expression.format(side="") for _name, expression in spec.get("flags", [])]
        values = ", ".join(spec["columns"] + flags)
        # An update records the rows whose watched values differ: the symmetric difference of
        # the old and new rows' values (both sides, for a row whose key changed).
        changed = (f"((SELECT {values} FROM new_rows EXCEPT SELECT {values} FROM old_rows) "
                   f"UNION ALL "
                   f"(SELECT {values} FROM old_rows EXCEPT SELECT {values} FROM new_rows))")
        install.append(f"""
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_record(spec, "new_rows")};
    ELSIF TG_OP = 'DELETE' THEN
        {_record(spec, "old_rows")};
    ELSIF TG_OP = 'UPDATE' THEN
        {_record(spec, changed)};
    ELSE  -- TRUNCATE: every figure may have changed
        INSERT INTO {change} (enrolment_id) VALUES (NULL);
    END IF;
    RETURN NULL;
END
$body$""")
        events = [("update", "UPDATE", "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"),
                  ("delete", "DELETE", "REFERENCING OLD TABLE AS old_rows"),
                  ("truncate", "TRUNCATE", "")]
        if spec.get("inserts", True):
            events.insert(0, ("insert", "INSERT", "REFERENCING NEW TABLE AS new_rows"))
        for suffix, event, referencing in events:
            trigger = f"{function}_{suffix}"
            install.append(f"DROP TRIGGER IF EXISTS {trigger} ON {spec['table']}")
            install.append(f"CREATE TRIGGER {trigger} AFTER {event} ON {spec['table']} "
                           f"{referencing} FOR EACH STATEMENT EXECUTE FUNCTION {function}()")
            uninstall.append(f"DROP TRIGGER IF EXISTS {trigger} ON {spec['table']}")
        uninstall.append(f"DROP FUNCTION IF EXISTS {function}()")
    return install, uninstall


def _sqlite() -> tuple[list[str], list[str]]:
    """(install statements, uninstall statements) for SQLite: row-level triggers."""
    install, uninstall = [], []
    for name, spec in _watched().items():
        columns = spec["columns"]
        flags = spec.get("flags", [])

        # One row as a one-row "table" x, for the same SQL as PostgreSQL's.
        def row(side: str, spec=spec, columns=columns) -> str:
            return _record(spec, "(SELECT " + ", ".join(f"{side}.{c} AS {c}" for c in columns)
                           + ")")

        differs = " OR ".join(
            [f"OLD.{c} IS NOT NEW.{c}" for c in columns]
            + [f"({expression.format(side='OLD.')}) IS NOT ({expression.format(side='NEW.')})"
               for _column_name, expression in flags])
        events = [("update", f"UPDATE OF {', '.join(columns + [c for c, _expression in flags])}",
                   f"WHEN {differs}",
                   [row("OLD"), row("NEW") + f" WHERE OLD.{spec['key']} IS NOT NEW.{spec['key']}"]),
                  ("delete", "DELETE", "", [row("OLD")])]
        if spec.get("inserts", True):
            events.insert(0, ("insert", "INSERT", "", [row("NEW")]))
        for suffix, event, when, selects in events:
            trigger = f"{PREFIX}_{name}_{suffix}"
            body = " ".join(f"{select};" for select in selects)
            install.append(f"DROP TRIGGER IF EXISTS {trigger}")
            install.append(f"CREATE TRIGGER {trigger} AFTER {event} ON {spec['table']} "
                           f"FOR EACH ROW {when} BEGIN {body} END")
            uninstall.append(f"DROP TRIGGER IF EXISTS {trigger}")
    return install, uninstall


def trigger_statements(vendor: str) -> tuple[list[str], list[str]]:
    """(install, uninstall) SQL statements for a database vendor ("postgresql", "sqlite")."""
    if vendor == "postgresql":
        return _postgresql()
    if vendor == "sqlite":
        return _sqlite()
    raise NotImplementedError(f"no statistics triggers for {vendor}: use PostgreSQL or SQLite")


def trigger_names(vendor: str) -> list[str]:
    """The names of the triggers :func:`triggers_install` makes."""
    install, _uninstall = trigger_statements(vendor)
    return [s.split()[2] for s in install if s.startswith("CREATE TRIGGER")]


def triggers_install(connection: BaseDatabaseWrapper) -> None:
    """Install (or reinstall) the triggers on this database; idempotent."""
    install, _uninstall = trigger_statements(connection.vendor)
    with connection.cursor() as cursor:
        for statement in install:
            cursor.execute(statement)


def triggers_uninstall(connection: BaseDatabaseWrapper) -> None:
    _install, uninstall = trigger_statements(connection.vendor)
    with connection.cursor() as cursor:
        for statement in uninstall:
            cursor.execute(statement)


def triggers_missing(connection: BaseDatabaseWrapper) -> list[str]:
    """The triggers that should be there and are not (a table rebuilt after they were made)."""
    names = trigger_names(connection.vendor)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal "
                           "AND tgname LIKE %s", [f"{PREFIX}_%"])
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                           "AND name LIKE %s", [f"{PREFIX}_%"])
        present = {row[0] for row in cursor.fetchall()}
    return [name for name in names if name not in present]
