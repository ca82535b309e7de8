"""The statistics' per-run aggregates: counted as enrolments, certificates and profiles change,
so that the dashboard, its downloads and the API sum a few rows per run instead of counting
every enrolment of the year (at 280,000 enrolments, milliseconds instead of a second).

How the figures stay exact, whoever writes the data:

- **Contributions.** What one enrolment adds to the figures (run, year, learner; admitted,
  dropped, certified; the answers the breakdowns read) is computed from the live tables by
  one query, :func:`_contributions`, which follows the definitions of
  ``lms.reports.selectors`` (the live query there stays the reference). The last counted
  contribution of each enrolment is kept (:class:`EnrolmentContribution`); the aggregates
  (:class:`RunTotals`, :class:`RunAnswerCount`, :class:`YearLearner`, :class:`YearTotals`)
  are always the sum of those rows.
- **Changes.** Database triggers (``lms.reports.triggers``) record every enrolment whose
  figures may have moved (:class:`StatisticsChange`), in the transaction that moves them,
  whatever wrote it: services, ``bulk_create``, ``COPY``, raw SQL, the admin.
- **Counting a change** (:func:`statistics_refresh`) locks the enrolments' contribution rows,
  removes their recorded changes, reads them as they are now and adds the difference to the
  aggregates, in one transaction. The changes are removed *before* the enrolments are read
  (so a change committed in between is read, and one committed later keeps its record), and
  the contribution rows are locked, so two transactions counting the same enrolment count it
  once. So in every committed state, each enrolment's contribution row equals the enrolment
  as it is, or a change is recorded for it.
- **Writers** (the services that enrol, drop, complete, issue or revoke a certificate, or
  save a profile) call :func:`statistics_refresh_on_commit` with what they changed: the
  counting runs right after their commit, in its own short transaction, so the aggregates'
  row locks never lengthen theirs and a failure here never undoes their work (the recorded
  change stays, and is counted later).
- **Readers** (:func:`statistics_catch_up`, called by the selectors before every read) first
  count whatever changes are still recorded: usually none (one small query), after a bulk
  load many (then everything is counted again from the live tables, :func:`statistics_rebuild`,
  which is quicker than one enrolment at a time).
- **Checks.** :func:`statistics_verify` compares the aggregates with the live query for every
  year (``manage.py reports_verify``; a Celery beat task daily, which logs any drift and
  rebuilds); ``manage.py reports_rebuild`` counts everything again.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction

from courses.models import Enrolment, ProgrammeRun
from courses.models.runs import EnrolmentStatus
from lms.accounts.models import LearnerProfile
from lms.certificates.models import Certificate
from lms.reports.models import (
    EnrolmentContribution,
    RunAnswerCount,
    RunTotals,
    StatisticsChange,
    YearLearner,
    YearTotals,
)

logger = logging.getLogger(__name__)

ADMITTED = (EnrolmentStatus.ENROLLED, EnrolmentStatus.COMPLETED, EnrolmentStatus.DROPPED)
# The same bands as lms.reports.selectors.AGE_BANDS (key, youngest, oldest age); the
# selectors import them from here so that there is one list.
AGE_BAND_RANGES = (("under_20", 0, 19), ("20s", 20, 29), ("30s", 30, 39), ("40s", 40, 49),
                   ("50_plus", 50, 200))
DIMENSIONS = ("participant_status", "ai_major", "gender", "age_band", "region")
RUN_MEASURES = ("applicants", "enrolled", "completed", "dropped", "certificates")
# Beyond this many recorded changes (or enrolments to count), everything is counted again at
# once instead of one enrolment at a time (quicker, and one transaction stays small).
REBUILD_ABOVE = 20_000


@dataclass(frozen=True)
class Contribution:
    """What one enrolment adds to the figures (the fields of EnrolmentContribution)."""

    enrolment_id: int
    run_id: int | None
    year: int | None
    learner_id: int | None
    admitted: bool
    dropped: bool
    certificate: bool
    participant_status: str
    ai_major: str
    gender: str
    age_band: str
    region: str

    def counts(self) -> Counter:
        """This enrolment's part of every aggregate, by key: ("run", run, measure),
        ("answer", run, dimension, category, "enrolled"|"certified"), ("learner", year,
        learner)."""
        counts: Counter = Counter()
        if self.run_id is None:
            return counts
        run = self.run_id
        counts[("run", run, "applicants")] += 1
        counts[("run", run, "certificates")] += self.certificate
        if self.admitted:
            counts[("run", run, "enrolled")] += 1
            counts[("run", run, "completed")] += self.certificate
            counts[("run", run, "dropped")] += self.dropped
            for dimension in DIMENSIONS:
                category = getattr(self, dimension)
                counts[("answer", run, dimension, category, "enrolled")] += 1
                counts[("answer", run, dimension, category, "certified")] += self.certificate
            counts[("learner", self.year, self.learner_id)] += 1
        return counts


NOTHING = {"run_id": None, "year": None, "learner_id": None, "admitted": False,
           "dropped": False, "certificate": False,
           **dict.fromkeys(DIMENSIONS, "")}


def _column(model, name: str) -> str:
    return model._meta.get_field(name).column


def _contributions_sql(where: str) -> tuple[str, list]:
    """The SELECT of each enrolment's contribution (columns in EnrolmentContribution's order),
    with its parameters, for enrolments matching ``where`` (SQL on the alias ``e``)."""
    enrolment, run, profile = Enrolment._meta, ProgrammeRun._meta, LearnerProfile._meta
    certificate = Certificate._meta
    status = f"e.{_column(Enrolment, 'status')}"
    placeholders = ", ".join(["%s"] * len(ADMITTED))
    admitted = f"({status} IN ({placeholders}))"
    answered = f"(p.{_column(LearnerProfile, 'stats_consent')} AND {admitted})"
    birth, year = f"p.{_column(LearnerProfile, 'birth_year')}", f"r.{_column(ProgrammeRun, 'year')}"
    bands = " ".join(f"WHEN {year} - {birth} BETWEEN %s AND %s THEN %s"
                     for _band in AGE_BAND_RANGES)
    ai_major = f"p.{_column(LearnerProfile, 'ai_major')}"

    def answer(name: str) -> str:
        return (f"COALESCE(CASE WHEN {answered} THEN p.{_column(LearnerProfile, name)} END, '')"
                f" AS {name}")

    sql = f"""
        SELECT e.{enrolment.pk.column} AS enrolment_id, e.{_column(Enrolment, 'run')} AS run_id,
               {year} AS year, e.{_column(Enrolment, 'learner')} AS learner_id,
               {admitted} AS admitted, ({status} = %s) AS dropped,
               (c.{certificate.pk.column} IS NOT NULL) AS certificate,
               {answer('participant_status')},
               (CASE WHEN {answered} AND {ai_major} IS NOT NULL
                     THEN (CASE WHEN {ai_major} THEN 'true' ELSE 'false' END)
                     ELSE '' END) AS ai_major,
               {answer('gender')},
               COALESCE(CASE WHEN {answered} THEN (CASE {bands} END) END, '') AS age_band,
               {answer('region')}
        FROM {enrolment.db_table} e
        JOIN {run.db_table} r ON r.{run.pk.column} = e.{_column(Enrolment, 'run')}
        LEFT JOIN {profile.db_table} p
               ON p.{_column(LearnerProfile, 'user')} = e.{_column(Enrolment, 'learner')}
        LEFT JOIN {certificate.db_table} c
               ON c.{_column(Certificate, 'enrolment')} = e.{enrolment.pk.column}
              AND c.{_column(Certificate, 'revoked_at')} IS NULL
        WHERE {where}
    """  # noqa: S608 - identifiers from the models' metadata, values as parameters
    # Placeholders in order: admitted, dropped, participant_status's answered, ai_major's
    # answered, gender's answered, the age band's answered and bands, region's answered.
    params = [*ADMITTED, EnrolmentStatus.DROPPED, *ADMITTED, *ADMITTED, *ADMITTED,
              *ADMITTED, *[v for key, low, high in AGE_BAND_RANGES for v in (low, high, key)],
              *ADMITTED]
    return sql, params


FIELDS = ("enrolment_id", "run_id", "year", "learner_id", "admitted", "dropped", "certificate",
          *DIMENSIONS)


def _contribution(row) -> Contribution:
    values = dict(zip(FIELDS, row, strict=True))
    for flag in ("admitted", "dropped", "certificate"):
        values[flag] = bool(values[flag])  # SQLite gives 0/1
    return Contribution(**values)


def _contributions(enrolment_ids: list[int]) -> dict[int, Contribution]:
    """The enrolments' contributions as the live tables say now (absent: deleted)."""
    found: dict[int, Contribution] = {}
    if not enrolment_ids:
        return found
    sql, params = _contributions_sql(
        f"e.{Enrolment._meta.pk.column} IN ({', '.join(['%s'] * len(enrolment_ids))})")
    with connection.cursor() as cursor:
        cursor.execute(sql, params + list(enrolment_ids))
        for row in cursor.fetchall():
            contribution = _contribution(row)
            found[contribution.enrolment_id] = contribution
    return found


def _counted(enrolment_ids: list[int]) -> dict[int, Contribution]:
    """The enrolments' contributions as last counted, their rows locked (made, counting
    nothing, where missing) so that one transaction at a time counts each enrolment."""
    table = EnrolmentContribution._meta.db_table
    quoted = ", ".join(["%s"] * len(enrolment_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (enrolment_id, admitted, dropped, certificate, "  # noqa: S608 - our table's name
            f"{', '.join(DIMENSIONS)}) VALUES "
            + ", ".join(["(%s, FALSE, FALSE, FALSE, '', '', '', '', '')"] * len(enrolment_ids))
            + " ON CONFLICT (enrolment_id) DO NOTHING", list(enrolment_ids))
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        cursor.execute(f"SELECT {', '.join(FIELDS)} FROM {table} "  # noqa: S608 - our table's name
                       f"WHERE enrolment_id IN ({quoted}) ORDER BY enrolment_id{lock}",
                       list(enrolment_ids))
        return {row[0]: _contribution(row) for row in cursor.fetchall()}


def _upsert(table: str, keys: tuple[str, ...], columns: tuple[str, ...],
            rows: list[tuple], *, returning: str | None = None) -> list[tuple]:
    """Add ``rows`` (key values, then increments of ``columns``) to ``table``, inserting the
    rows that are not there: one statement per batch, in key order (so that two transactions
    take the rows' locks in the same order)."""
    returned: list[tuple] = []
    rows = sorted(rows)
    width = len(keys) + len(columns)
    batch = max(1, 900 // width)  # SQLite's older limit of 999 parameters a statement
    updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in columns)
    with connection.cursor() as cursor:
        for first in range(0, len(rows), batch):
            part = rows[first:first + batch]
            values = ", ".join(["(" + ", ".join(["%s"] * width) + ")"] * len(part))
            sql = (f"INSERT INTO {table} ({', '.join(keys + columns)}) VALUES {values} "  # noqa: S608 - our tables' names
                   f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}")
            if returning:
                sql += f" RETURNING {returning}"
            cursor.execute(sql, [v for row in part for v in row])
            if returning:
                returned.extend(cursor.fetchall())
    return returned


def _apply(delta: Counter) -> None:
    """Add a difference of contributions (keys as in :meth:`Contribution.counts`) to the
    aggregates; a learner's count of admitted enrolments in a year going from zero or to
    zero moves the year's learners."""
    runs: dict[int, list[int]] = {}
    answers: dict[tuple, list[int]] = {}
    learners: list[tuple] = []
    for key, n in delta.items():
        if not n:
            continue
        if key[0] == "run":
            runs.setdefault(key[1], [0] * len(RUN_MEASURES))[RUN_MEASURES.index(key[2])] += n
        elif key[0] == "answer":
            answers.setdefault(key[1:4], [0, 0])[0 if key[4] == "enrolled" else 1] += n
        else:
            learners.append((key[1], key[2], n))
    _upsert(RunTotals._meta.db_table, ("run_id",), RUN_MEASURES,
            [(run, *values) for run, values in runs.items()])
    _upsert(RunAnswerCount._meta.db_table, ("run_id", "dimension", "category"),
            ("enrolled", "certified"),
            [(*key, *values) for key, values in answers.items()])
    if not learners:
        return
    table = YearLearner._meta.db_table
    now = _upsert(table, ("year", "learner_id"), ("enrolments",), learners,
                  returning="year, learner_id, enrolments")
    change = {(year, learner): n for year, learner, n in learners}
    years: Counter = Counter()
    for year, learner, after in now:
        before = after - change[(year, learner)]
        years[year] += (after > 0) - (before > 0)
    gone = [(year, learner) for year, learner, after in now if after == 0]
    with connection.cursor() as cursor:
        for first in range(0, len(gone), 400):
            part = gone[first:first + 400]
            cursor.execute(f"DELETE FROM {table} WHERE enrolments = 0 AND ("  # noqa: S608 - our table's name
                           + " OR ".join(["(year = %s AND learner_id = %s)"] * len(part)) + ")",
                           [v for pair in part for v in pair])
    _upsert(YearTotals._meta.db_table, ("year",), ("learners",),
            [(year, n) for year, n in years.items() if n])


def _count_chunk(enrolment_ids: list[int]) -> int:
    """Count the changes of these enrolments (in the caller's transaction, their recorded
    changes already removed); how many contributions changed."""
    counted = _counted(enrolment_ids)
    live = _contributions(enrolment_ids)
    delta: Counter = Counter()
    changed_rows = []
    gone = []  # rows that count nothing, for enrolments that no longer exist
    for enrolment_id in enrolment_ids:
        old = counted.get(enrolment_id)
        new = live.get(enrolment_id)
        if new is None and (old is None or old.run_id is None):
            gone.append(enrolment_id)
            continue
        if old == new:
            continue
        if old is not None:
            delta.subtract(old.counts())
        if new is not None:
            delta.update(new.counts())
        changed_rows.append((enrolment_id, new))
    _apply(delta)
    table = EnrolmentContribution._meta.db_table
    keep = [new for _id, new in changed_rows if new is not None]
    gone += [enrolment_id for enrolment_id, new in changed_rows if new is None]
    with connection.cursor() as cursor:
        if gone:
            cursor.execute(f"DELETE FROM {table} WHERE enrolment_id IN "  # noqa: S608 - our table's name
                           f"({', '.join(['%s'] * len(gone))})", gone)
        for first in range(0, len(keep), 50):
            part = keep[first:first + 50]
            values = ", ".join(["(" + ", ".join(["%s"] * len(FIELDS)) + ")"] * len(part))
            updates = ", ".join(f"{f} = excluded.{f}" for f in FIELDS[1:])
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(FIELDS)}) VALUES {values} "  # noqa: S608 - our table's name
                f"ON CONFLICT (enrolment_id) DO UPDATE SET {updates}",
                [getattr(c, f) for c in part for f in FIELDS])
    return len(changed_rows)


def _enrolments_of(*, enrolment_ids: Iterable[int], learner_ids: Iterable[int],
                   run_ids: Iterable[int]) -> list[int]:
    """The enrolments to count for changes of these enrolments, learners (their profile) and
    runs (their year): as the live tables say now, and as last counted (an enrolment moved
    to another learner or run, or deleted, is counted out of its old place)."""
    ids = {int(i) for i in enrolment_ids}
    learner_ids, run_ids = {int(i) for i in learner_ids}, {int(i) for i in run_ids}
    for field, values in (("learner_id", learner_ids), ("run_id", run_ids)):
        if values:
            ids.update(Enrolment.objects.filter(**{f"{field}__in": values})
                       .values_list("pk", flat=True))
            ids.update(EnrolmentContribution.objects.filter(**{f"{field}__in": values})
                       .values_list("enrolment_id", flat=True))
    return sorted(ids)


def _count(enrolment_ids: list[int]) -> int:
    """Count these enrolments in the caller's transaction (a full rebuild when there are so
    many that it is quicker); how many contributions changed (-1: rebuilt). One chunk, so
    that every contribution row is locked before any aggregate row (a second chunk would
    lock contribution rows while holding aggregate rows: a deadlock with another counter)."""
    if len(enrolment_ids) > REBUILD_ABOVE:
        statistics_rebuild()
        return -1
    return _count_chunk(enrolment_ids) if enrolment_ids else 0


def _take_changes(where: str = "", params: list | None = None) -> list[tuple]:
    """Remove recorded changes (all, or those matching ``where``) and return them as
    (enrolment, learner, run). Taken in id order, locked, so two transactions taking
    overlapping changes wait for each other instead of deadlocking; taken first, before the
    live tables are read, so what is read next includes them."""
    table = StatisticsChange._meta.db_table
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} "  # noqa: S608 - our table's name
                       f"{'WHERE ' + where if where else ''} ORDER BY id{lock}) "
                       f"RETURNING enrolment_id, learner_id, run_id", params or [])
        return cursor.fetchall()


def statistics_refresh(*, enrolment_ids: Iterable[int] = (),
                       learner_ids: Iterable[int] = ()) -> int:
    """Count the changes of these enrolments and of every enrolment of these learners now, in
    one transaction; how many enrolments' contributions changed. Safe to call for any id,
    any number of times, concurrently."""
    enrolment_ids = [int(i) for i in enrolment_ids if i is not None]
    learner_ids = [int(i) for i in learner_ids if i is not None]
    if not enrolment_ids and not learner_ids:
        return 0
    with transaction.atomic():
        # Their recorded changes go first: what is read next includes them, and a change
        # committed after this statement keeps its record.
        conditions, params = [], []
        for column, values in (("enrolment_id", enrolment_ids), ("learner_id", learner_ids)):
            if values:
                conditions.append(f"{column} IN ({', '.join(['%s'] * len(values))})")
                params += values
        _take_changes(" OR ".join(conditions), params)
        return _count(_enrolments_of(enrolment_ids=enrolment_ids, learner_ids=learner_ids,
                                     run_ids=()))


def statistics_refresh_on_commit(*, enrolment_ids: Iterable[int] = (),
                                 learner_ids: Iterable[int] = ()) -> None:
    """For services that change enrolments, certificates or profiles: count the changes of
    these enrolments (and of every enrolment of these learners) once the caller's
    transaction commits. A failure is logged, never raised into the caller (its work is
    committed; the recorded change is counted by the next reader or the beat task)."""
    enrolment_ids, learner_ids = list(enrolment_ids), list(learner_ids)

    def refresh() -> None:
        try:
            statistics_refresh(enrolment_ids=enrolment_ids, learner_ids=learner_ids)
        except Exception:  # noqa: BLE001 - never undo or fail the caller's committed work
            logger.exception("statistics: counting enrolments %s (learners %s) failed; "
                             "left for the next catch-up", enrolment_ids, learner_ids)

    transaction.on_commit(refresh)


def statistics_catch_up() -> int:
    """Count every change still recorded (by the triggers, for writes that did not go through
    the services, or whose counting has not run yet). Called before every read of the
    aggregates; with nothing recorded, one small query. Returns the number of contributions
    that changed (-1: everything was counted again)."""
    changes = StatisticsChange._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM (SELECT 1 FROM {changes} LIMIT %s) x",  # noqa: S608 - our table's name
                       [REBUILD_ABOVE + 1])
        pending = cursor.fetchone()[0]
    if not pending:
        return 0
    if pending > REBUILD_ABOVE:  # a bulk load: at once is quicker than one by one
        statistics_rebuild()
        return -1
    with transaction.atomic():
        rows = _take_changes()
        if any(row == (None, None, None) for row in rows):  # a TRUNCATE, a new install
            statistics_rebuild()
            return -1
        return _count(_enrolments_of(enrolment_ids={r[0] for r in rows if r[0] is not None},
                                     learner_ids={r[1] for r in rows if r[1] is not None},
                                     run_ids={r[2] for r in rows if r[2] is not None}))


def statistics_rebuild() -> None:
    """Count everything again from the live tables, in one transaction (a bulk load, a
    TRUNCATE, ``manage.py reports_rebuild``, a drift found by the check)."""
    aggregates = [EnrolmentContribution, RunTotals, RunAnswerCount, YearLearner, YearTotals]
    tables = [m._meta.db_table for m in aggregates]
    contributions, run_totals = tables[0], tables[1]
    with transaction.atomic(), connection.cursor() as cursor:
        # The changes recorded so far are counted by this rebuild (it reads the live tables
        # after this statement); those committed later stay recorded. Taken before the lock
        # below, as every counter takes its changes before the contribution rows.
        _take_changes()
        if connection.vendor == "postgresql":
            # One rebuild or count at a time (readers go on); writers of enrolments only
            # record changes, which are not locked.
            cursor.execute(f"LOCK TABLE {', '.join(tables)} IN EXCLUSIVE MODE")
        for table in tables:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - our tables' names
        sql, params = _contributions_sql("1 = 1")
        cursor.execute(f"INSERT INTO {contributions} ({', '.join(FIELDS)}) {sql}", params)  # noqa: S608 - our table's name
        certified = "CASE WHEN certificate THEN 1 ELSE 0 END"
        cursor.execute(
            f"INSERT INTO {run_totals} (run_id, {', '.join(RUN_MEASURES)}) "  # noqa: S608 - our tables' names
            f"SELECT run_id, COUNT(*), SUM(CASE WHEN admitted THEN 1 ELSE 0 END), "
            f"SUM(CASE WHEN admitted AND certificate THEN 1 ELSE 0 END), "
            f"SUM(CASE WHEN admitted AND dropped THEN 1 ELSE 0 END), SUM({certified}) "
            f"FROM {contributions} WHERE run_id IS NOT NULL GROUP BY run_id")
        for dimension in DIMENSIONS:
            cursor.execute(
                f"INSERT INTO {tables[2]} (run_id, dimension, category, enrolled, certified) "  # noqa: S608 - our tables' names
                f"SELECT run_id, %s, {dimension}, COUNT(*), SUM({certified}) "
                f"FROM {contributions} WHERE admitted GROUP BY run_id, {dimension}",
                [dimension])
        cursor.execute(
            f"INSERT INTO {tables[3]} (year, learner_id, enrolments) "  # noqa: S608 - our tables' names
            f"SELECT year, learner_id, COUNT(*) FROM {contributions} WHERE admitted "
            f"GROUP BY year, learner_id")
        cursor.execute(
            f"INSERT INTO {tables[4]} (year, learners) "  # noqa: S608 - our tables' names
            f"SELECT year, COUNT(*) FROM {tables[3]} GROUP BY year")
    logger.info("statistics: every aggregate counted again from the live tables")


# --- Reading ---------------------------------------------------------------------------------
@dataclass
class StoredCounts:
    """The aggregates of some runs: head counts per run, answers summed over the runs by
    dimension and category ("" for "No answer"), and the year's learners."""

    runs: dict[int, dict[str, int]]
    answers: dict[str, tuple[Counter, Counter]]  # dimension -> (enrolled, certified)
    learners: int


def stored_counts(*, run_ids: list[int], year: int) -> StoredCounts:
    """The aggregates of these runs and the year's learners, as of one moment (one
    statement), after counting whatever changes are still recorded."""
    statistics_catch_up()
    runs: dict[int, dict[str, int]] = {}
    answers = {d: (Counter(), Counter()) for d in DIMENSIONS}
    learners = 0
    ids = list(run_ids)
    placeholders = ", ".join(["%s"] * len(ids)) or "NULL"
    totals, counts, years = (RunTotals._meta.db_table, RunAnswerCount._meta.db_table,
                             YearTotals._meta.db_table)
    sql = f"""
        SELECT 'run', run_id, '', '', applicants, enrolled, completed, dropped, certificates
          FROM {totals} WHERE run_id IN ({placeholders})
        UNION ALL
        SELECT 'answer', run_id, dimension, category, 0, enrolled, certified, 0, 0
          FROM {counts} WHERE run_id IN ({placeholders})
        UNION ALL
        SELECT 'year', year, '', '', learners, 0, 0, 0, 0 FROM {years} WHERE year = %s
    """  # noqa: S608 - our tables' names
    with connection.cursor() as cursor:
        cursor.execute(sql, ids + ids + [year])
        for kind, key, dimension, category, a, b, c, d, e in cursor.fetchall():
            if kind == "run":
                runs[key] = dict(zip(RUN_MEASURES, (a, b, c, d, e), strict=True))
            elif kind == "answer":
                answers[dimension][0][category] += b
                answers[dimension][1][category] += c
            else:
                learners = a
    return StoredCounts(runs=runs, answers=answers, learners=learners)


def stored_certificates_by_run() -> dict[int, int]:
    """Certificates not revoked, by run (whatever the enrolment's status): the yearly
    certified figure, after counting whatever changes are still recorded."""
    statistics_catch_up()
    return dict(RunTotals.objects.filter(certificates__gt=0)
                .values_list("run_id", "certificates"))
