"""What the ministry sees: counts only, never people.

The rule (documented for the ministry in docs/statistics.md and on the dashboard):

- **Definitions.** Head counts count every learner: *enrolments* are admitted enrolments
  (enrolled, completed or dropped) of the year's runs; *completed* and *certified* are the
  enrolments with a certificate that is not revoked (one figure); *dropped* the dropped ones;
  *learners* the distinct people among the enrolments (one person in two runs is one learner
  and two enrolments). Consent limits only the breakdowns by people's answers: a learner who
  did not consent is counted under "No answer", so every breakdown adds up to the head count.
- **What is exact.** The year's head counts and certified people (a public record, tracked
  against the target) are published exactly.
- **What is protected.** Everything below the year (programmes, runs, and the breakdowns by
  participant status, AI major, gender, age band and region) is one release, whatever filter
  shows it: a count from 1 to ``T - 1`` (T = ``REPORTS_SUPPRESSION_THRESHOLD``) is hidden,
  and further cells (a zero, or the smallest count) are hidden until no hidden small count
  can be narrowed, by any sum of published figures, to fewer than T - 1 values. Every hidden
  cell shows the same mark, "x": it may be any count (a mark for "small" would bound it, a
  mark for "large" would bound its neighbours). Programme
  figures are protected within the year, run figures within their programme, runs of a
  hidden programme are hidden with it (zeros too), and the pattern is then checked by
  integer programming (``lms.reports.protection``) and widened until nothing narrows. The
  breakdowns by people's answers are published for the whole year only (per run they could
  be subtracted from the year's). A rate is shown only beside the two counts it divides.

``tests/reports/test_disclosure_audit.py`` checks the rule as an attacker would: it reads every
published figure through the API over every filter and bounds each hidden count with integer
programming.

The figures are read from per-run aggregates (``lms.reports.aggregates``: kept current by
the services and by database triggers for every other writer), so a year costs a fixed handful
of small queries however many learners there are. The live query over every enrolment of the
year (``live=True``) stays as the reference they are verified against.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import (
    Case,
    CharField,
    Count,
    Expression,
    F,
    Value,
    When,
)
from django.utils.translation import gettext_lazy as _

from courses.models import Enrolment, ProgrammeRun
from courses.models.runs import EnrolmentStatus
from lms.accounts.models import Gender, LearnerProfile, ParticipantStatus, Region
from lms.certificates.models import Certificate
from lms.reports.aggregates import (
    AGE_BAND_RANGES,
    stored_certificates_by_run,
    stored_counts,
)
from lms.reports.models import YearlyTarget
from lms.reports.protection import hierarchy_verify
from lms.reports.synthetic import SYNTHETIC_COUNT_KEY, synthetic_users

ADMITTED = (EnrolmentStatus.ENROLLED, EnrolmentStatus.COMPLETED, EnrolmentStatus.DROPPED)
AGE_BAND_LABELS = {"under_20": _("Under 20"), "20s": _("20–29"), "30s": _("30–39"),
                   "40s": _("40–49"), "50_plus": _("50 and over")}
AGE_BANDS = tuple((key, AGE_BAND_LABELS[key], low, high) for key, low, high in AGE_BAND_RANGES)


SHOWN, SMALL, COMPLEMENT = "shown", "small", "complement"


@dataclass
class Cell:
    key: str
    label: str
    value: int | None  # None: hidden
    # Why it is hidden, for this module only: SMALL (a count from 1 to T-1, or a zero hidden
    # to protect one) or COMPLEMENT (a larger count hidden to protect one). Published as the
    # same "x" either way: a mark that told them apart would bound the hidden counts.
    hidden: str = SHOWN

    @property
    def display(self) -> str:
        if self.hidden != SHOWN:
            return "x"
        return f"{self.value:,}"


def _threshold() -> int:
    return settings.REPORTS_SUPPRESSION_THRESHOLD


def _narrowed(values: list[int], states: list[str], *, needed: int,
              caps: list[float]) -> bool:
    """Whether the column's total and the bounds narrow a hidden small count to fewer values
    than ``needed`` allows (a hidden cell, "x", may be any count up to its bound)."""
    threshold = _threshold()
    hidden = [i for i, state in enumerate(states) if state != SHOWN]
    rest = sum(values[i] for i in hidden)
    for i in hidden:
        if not 0 < values[i] < threshold:
            continue
        low = max(0, rest - sum(min(caps[j], rest) for j in hidden if j != i))
        high = min(caps[i], rest)
        if high - low < needed:
            return True
    return False


def column_protect(values: list[int], *, total: int | None = None,
                   caps: list[float] | None = None, forced=()) -> tuple[list[str], bool]:
    """Which cells of one column to hide, given that the column's total is known, and
    whether that protects every small count (False: only hiding the total would).

    Every count from 1 to T-1 is hidden, and the cells ``forced``. Then, while a hidden small
    count could be narrowed by the total to fewer than T-1 values (or, for a total under T-1,
    to fewer than the total itself allows), one more cell is hidden: a zero when the hidden
    sum leaves room (it costs nothing), else the smallest count of T or more. Hidden cells
    all show "x" and bound nothing.

    ``caps`` are upper bounds that other published figures put on each cell (certified
    cannot exceed enrolled in the same row): a hidden zero whose row caps it at 0 protects
    nothing, so it is not chosen, and the bounds are counted in.
    """
    threshold = _threshold()
    caps = caps or [math.inf] * len(values)
    states = [SMALL if 0 < v < threshold else SHOWN for v in values]
    for i in forced:
        if states[i] == SHOWN:
            states[i] = COMPLEMENT if values[i] >= threshold else SMALL
    total = sum(values) if total is None else total
    needed = min(threshold - 2, total)

    while _narrowed(values, states, needed=needed, caps=caps):
        rest = sum(v for v, state in zip(values, states, strict=True) if state != SHOWN)
        zeros = sorted((i for i, v in enumerate(values) if v == 0 and states[i] == SHOWN
                        and caps[i] > 0), key=lambda i: -min(caps[i], threshold))
        if zeros and rest >= needed:  # a zero helps only when the hidden sum leaves room
            states[zeros[0]] = SMALL
            continue
        shown = [i for i, state in enumerate(states)
                 if state == SHOWN and values[i] >= threshold]
        if not shown:
            return states, False  # nothing left here that could protect
        states[min(shown, key=lambda i: values[i])] = COMPLEMENT
    return states, True


def caps_from(cells: list[Cell]) -> list[float]:
    """Upper bounds that a published column puts on a column of parts of it (certified of
    enrolled, completed or dropped of enrolled): a shown count; none for "x"."""
    return [cell.value if cell.value is not None else math.inf for cell in cells]


def cells_protected(values: list[tuple[str, str, int]], *, total: int | None = None,
                    caps: list[float] | None = None, forced=(),
                    failed: list | None = None) -> list[Cell]:
    """The cells of one column, with :func:`column_protect` applied (``failed`` gets an
    item when the column could not protect its small counts by itself)."""
    states, protected = column_protect([n for _key, _label, n in values], total=total,
                                       caps=caps, forced=forced)
    if not protected and failed is not None:
        failed.append(values)
    return [Cell(key, str(label), None if state != SHOWN else n, state)
            for (key, label, n), state in zip(values, states, strict=True)]


def exact_cell(n: int, key: str = "total") -> Cell:
    return Cell(key, str(_("Total")), n)


@dataclass
class Breakdown:
    key: str
    title: str
    rows: list[tuple[Cell, Cell]]  # (enrolled, certified) per category
    total: tuple[Cell, Cell]


@dataclass
class RunFunnel:
    run: ProgrammeRun
    capacity: int
    cells: dict[str, Cell]
    completion_rate: float | None


@dataclass
class YearReport:
    year: int
    target: int | None
    certified: int | None  # exact for the year; under a filter, None when hidden
    enrolled: Cell
    completed: Cell
    dropped: Cell
    completion_rate: float | None
    learners: int | None = None  # distinct people (the whole year only)
    filtered: bool = False  # a programme's or a run's figures (protected), not the year's
    breakdowns: list[Breakdown] = field(default_factory=list)
    funnels: list[RunFunnel] = field(default_factory=list)

    @property
    def progress(self) -> float | None:
        """Certified as a share of the target (may pass 1.0)."""
        if not self.target or self.certified is None:
            return None
        return self.certified / self.target

    @property
    def progress_percent(self) -> int:
        return round(100 * min(self.progress or 0, 1))


def _runs(*, year: int, programme_key=None, run_id=None):
    runs = ProgrammeRun.objects.filter(year=year).select_related("programme")
    if programme_key:
        runs = runs.filter(programme__translation_key=programme_key)
    if run_id:
        runs = runs.filter(pk=run_id)
    return runs


def runs_of_year(*, year: int) -> list[ProgrammeRun]:
    """The runs that count towards a year, with their programmes."""
    return list(_runs(year=year))


def age_band_expression(*, year: int | F | Expression, birth_year: str) -> Case:
    """The age band (a key of ``AGE_BANDS``, or NULL when the birth year is missing or gives
    no band) of the learner whose birth year is in the field ``birth_year``, in ``year`` (a
    number, or an expression such as ``F("run__year")``). An age is the year minus the birth
    year, so a band is a range of birth years."""
    year = year if hasattr(year, "resolve_expression") else Value(year)
    return Case(*[When(**{f"{birth_year}__gte": year - high, f"{birth_year}__lte": year - low},
                       then=Value(key)) for key, _label, low, high in AGE_BANDS],
                default=Value(None), output_field=CharField())


# The learner's answers that the breakdowns group by (the run is grouped by too).
PROFILE = "learner__profile__"
DIMENSIONS = ("participant_status", "ai_major", "gender", "age_band", "region")


SYNTHETIC_COUNT_SECONDS = 60

# The memory the year's GROUP BY may use (a few thousand groups need a few MB; PostgreSQL
# takes only what it needs).
REPORT_WORK_MEM = "64MB"


@dataclass
class YearCounts:
    """What the year's report is made of: each run's head counts (``MEASURES``; runs with no
    enrolment left out), the admitted enrolments and those certified by each answer of each
    dimension (categories as the breakdowns key them: None for "No answer", True/False for
    the AI major), and the distinct learners."""

    by_run: dict[int, dict[str, int]]
    answers: dict[str, tuple[Counter, Counter]]
    learners: int


# How a row of the live query is filed under each breakdown ("" and NULL are "No answer").
CATEGORY_OF = {
    "participant_status": lambda row: row["participant_status"] or None,
    "ai_major": lambda row: row["ai_major"],
    "gender": lambda row: row["gender"] or None,
    "age_band": lambda row: row["age_band"],
    "region": lambda row: row["region"] or None,
}


def year_counts_live(*, runs: list[ProgrammeRun], year: int) -> YearCounts:
    """The year's counts from the live tables: the reference the aggregates are verified
    against (every enrolment of the year is read)."""
    counts, by_run = _year_counts(runs=runs, year=year)
    answers = {d: (Counter(), Counter()) for d in DIMENSIONS}
    for row in counts:
        for dimension, of in CATEGORY_OF.items():
            answers[dimension][0][of(row)] += row["enrolled"]
            answers[dimension][1][of(row)] += row["certified"]
    learners = Enrolment.objects.filter(run__in=runs, status__in=ADMITTED).values(
        "learner").distinct().count() if runs else 0
    return YearCounts(by_run=by_run, answers=answers, learners=learners)


def _category(dimension: str, stored: str):
    if not stored:
        return None
    if dimension == "ai_major":
        return stored == "true"
    return stored


def year_counts_stored(*, runs: list[ProgrammeRun], year: int) -> YearCounts:
    """The year's counts from the per-run aggregates (what every page, download and the API
    read): the same figures as :func:`year_counts_live`, from a few rows per run."""
    stored = stored_counts(run_ids=[r.pk for r in runs], year=year)
    by_run = {run_id: {m: totals[m] for m in MEASURES}
              for run_id, totals in stored.runs.items() if totals["applicants"]}
    answers = {}
    for dimension, (enrolled, certified) in stored.answers.items():
        answers[dimension] = (
            Counter({_category(dimension, k): n for k, n in enrolled.items()}),
            Counter({_category(dimension, k): n for k, n in certified.items()}))
    return YearCounts(by_run=by_run, answers=answers, learners=stored.learners)


def _year_counts(*, runs: list[ProgrammeRun], year: int) -> tuple[list[dict], dict[int, dict]]:
    """One scan of the runs' enrolments, counted in one GROUP BY: for the breakdowns, a row
    per combination of run and answers of admitted learners (enrolled, dropped, certified),
    the answers read only for those who consented (NULL otherwise: "No answer"); for the
    funnels, each run's totals of every learner (applicants, enrolled, completed, dropped).

    Written in SQL (tables and columns from the models' metadata): the profile is joined on
    the enrolment's learner id directly (the ORM would join the users table too), and
    certificates only when not revoked. A year is at most a few thousand groups however many
    learners there are; the breakdowns then add rows up in Python.
    """
    if not runs:
        return [], {}
    enrolment, profile = Enrolment._meta, LearnerProfile._meta
    certificate = Certificate._meta

    def column(meta, name: str) -> str:
        return meta.get_field(name).column

    dims = [d for d in DIMENSIONS if d != "age_band"]
    placeholders = ", ".join(["%s"] * len(ADMITTED))
    counted = f"(e.{column(enrolment, 'status')} IN ({placeholders}))"
    answered = f"(p.{column(profile, 'stats_consent')} AND {counted})"
    birth = f"p.{column(profile, 'birth_year')}"
    bands = " ".join(f"WHEN %s - {birth} BETWEEN %s AND %s THEN %s" for _band in AGE_BANDS)
    status = f"x.{column(enrolment, 'status')}"
    sql = f"""
        SELECT x.run_id, x.counted, {", ".join(f"x.{d}" for d in dims)}, x.age_band,
               COUNT(*) AS applicants,
               COUNT(*) FILTER (WHERE {status} IN ({placeholders})) AS enrolled,
               COUNT(*) FILTER (WHERE {status} = %s) AS dropped,
               COUNT(x.certificate_id) AS certified
        FROM (
            SELECT e.{column(enrolment, 'run')} AS run_id, e.{column(enrolment, 'status')},
                   {counted} AS counted,
                   {", ".join(f"CASE WHEN {answered} THEN p.{column(profile, d)} END AS {d}"
                              for d in dims)},
                   CASE WHEN {answered} THEN (CASE {bands} END) END AS age_band,
                   c.{certificate.pk.column} AS certificate_id
            FROM {enrolment.db_table} e
            LEFT JOIN {profile.db_table} p
                   ON p.{column(profile, 'user')} = e.{column(enrolment, 'learner')}
            LEFT JOIN {certificate.db_table} c
                   ON c.{column(certificate, 'enrolment')} = e.{enrolment.pk.column}
                  AND c.{column(certificate, 'revoked_at')} IS NULL
            WHERE e.{column(enrolment, 'run')} IN ({", ".join(["%s"] * len(runs))})
        ) x
        GROUP BY x.run_id, x.counted, {", ".join(f"x.{d}" for d in dims)}, x.age_band
    """  # noqa: S608 - identifiers from the models' metadata, values as parameters
    # The placeholders in the order they appear: the outer SELECT's, then the inner SELECT's
    # ("counted", each answer's condition, the age band's condition and bands), the WHERE.
    outer = [*ADMITTED, EnrolmentStatus.DROPPED]
    inner = list(ADMITTED) + list(ADMITTED) * (len(dims) + 1) + [
        value for key, _label, low, high in AGE_BANDS for value in (year, low, high, key)]
    all_params = outer + inner + [run.pk for run in runs]
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Room to count the groups in a hash table, for this transaction only: with the
            # default work_mem PostgreSQL sorts the year's enrolments to group them, which
            # takes about twice as long (measured with 30,000 enrolments in a year).
            cursor.execute("SELECT set_config('work_mem', %s, true)", [REPORT_WORK_MEM])
        cursor.execute(sql, all_params)
        names = [c[0] for c in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    by_run: dict[int, dict] = {}
    for row in rows:
        total = by_run.setdefault(row["run_id"], dict.fromkeys(MEASURES, 0))
        for key in ("applicants", "enrolled", "dropped"):
            total[key] += row[key]
        total["completed"] += row["certified"] if row["counted"] else 0
    counts = [row for row in rows if row["counted"]]
    for row in counts:
        if row["ai_major"] is not None:
            row["ai_major"] = bool(row["ai_major"])  # SQLite gives 0/1
    return counts, by_run


MEASURES = ("applicants", "enrolled", "completed", "dropped")


@dataclass
class Hierarchy:
    """The year's runs and programmes, each measure's cells protected within its parent."""

    programmes: dict[str, dict[str, Cell]]  # programme key -> measure -> cell
    runs: dict[int, dict[str, Cell]]  # run id -> measure -> cell


def _hierarchy(runs: list[ProgrammeRun], by_run: dict[int, dict]) -> Hierarchy:
    """Programme figures protected within the year's (exact) totals, run figures within their
    programme's; the runs of a hidden programme are hidden with it, zeros too."""
    empty = dict.fromkeys(MEASURES, 0)
    keys = sorted({str(r.programme.translation_key) for r in runs})
    runs_of = {key: [r for r in runs if str(r.programme.translation_key) == key]
               for key in keys}
    programmes: dict[str, dict[str, Cell]] = {key: {} for key in keys}
    run_cells: dict[int, dict[str, Cell]] = {r.pk: {} for r in runs}
    # Each measure is bounded by published others: enrolled by applicants; completed and
    # dropped by what enrolled leaves once the other is taken away (completed + dropped <=
    # enrolled). Dropped is protected again once completed is known.
    def caps_of(cells_of, measure) -> list[float] | None:
        if measure == "applicants":
            return None
        if measure == "enrolled":
            return caps_from([c["applicants"] for c in cells_of])
        other = "dropped" if measure == "completed" else "completed"
        return [cap - (c[other].value if other in c and c[other].value is not None else 0)
                for cap, c in zip(caps_from([c["enrolled"] for c in cells_of]), cells_of,
                                  strict=True)]

    # A programme whose runs cannot protect a small count among themselves (two runs, one
    # small, say) is hidden too: then its total is not known and its runs are safe.
    forced: dict[str, set[int]] = {m: set() for m in MEASURES}
    for _round in range(len(keys) * len(MEASURES) + 1):
        escalated = False
        for measure in ("applicants", "enrolled", "dropped", "completed", "dropped"):
            values = [sum(by_run.get(r.pk, empty)[measure] for r in runs_of[k]) for k in keys]
            for key, cell in zip(keys, cells_protected(
                    [(str(k), "", v) for k, v in zip(keys, values, strict=True)],
                    caps=caps_of([programmes[k] for k in keys], measure),
                    forced=forced[measure]), strict=True):
                programmes[key][measure] = cell
            for index, key in enumerate(keys):
                members = runs_of[key]
                run_values = [by_run.get(r.pk, empty)[measure] for r in members]
                if programmes[key][measure].hidden == SHOWN:
                    failed: list = []
                    cells = cells_protected(
                        [(str(r.pk), "", v) for r, v in zip(members, run_values, strict=True)],
                        caps=caps_of([run_cells[r.pk] for r in members], measure),
                        failed=failed)
                    if failed:
                        forced[measure].add(index)
                        escalated = True
                else:  # hidden with their programme, zeros too (they would give it back)
                    threshold = _threshold()
                    cells = [Cell(str(r.pk), "", None, SMALL if v < threshold else COMPLEMENT)
                             for r, v in zip(members, run_values, strict=True)]
                for run, cell in zip(members, cells, strict=True):
                    run_cells[run.pk][measure] = cell
        if not escalated:
            break
    # Then as an attacker would: integer programming over every programme and run figure,
    # hiding more until no hidden small figure can be narrowed (cached: a pure function of
    # the counts).
    threshold = _threshold()
    states = {("programme", k, m): programmes[k][m].hidden for k in keys for m in MEASURES}
    states.update({("run", r.pk, m): run_cells[r.pk][m].hidden for r in runs
                   for m in MEASURES})
    values = {("run", r.pk, m): by_run.get(r.pk, empty)[m] for r in runs for m in MEASURES}
    values.update({("programme", k, m): sum(values[("run", r.pk, m)] for r in runs_of[k])
                   for k in keys for m in MEASURES})
    members = {k: [r.pk for r in runs_of[k]] for k in keys}
    key = "reports:hierarchy:" + hashlib.sha256(repr(
        (threshold, sorted(members.items()), sorted(values.items()),
         sorted(states.items()))).encode()).hexdigest()
    verified = cache.get(key)
    if verified is None:
        verified = hierarchy_verify(runs_of=members, states=dict(states), values=values,
                                    threshold=threshold)
        cache.set(key, verified, timeout=24 * 3600)
    for (level, owner, measure), state in verified.items():
        cell = (programmes[owner] if level == "programme" else run_cells[owner])[measure]
        if state != cell.hidden:
            cell.hidden, cell.value = state, (None if state != SHOWN else cell.value)
    return Hierarchy(programmes=programmes, runs=run_cells)


def year_hierarchy_published(*, year: int) -> tuple[dict[str, list[int]], dict, dict]:
    """The year's programme and run figures as every page publishes them, for the protection
    of a table published beside them (the employment rate): each programme's runs, each
    figure's state ("shown", "small" or "complement") and true count, keyed as
    ``protection.hierarchy_attacker`` reads them."""
    runs = runs_of_year(year=year)
    by_run = year_counts_stored(runs=runs, year=year).by_run
    hierarchy = _hierarchy(runs, by_run)
    empty = dict.fromkeys(MEASURES, 0)
    runs_of: dict[str, list[int]] = {}
    states, values = {}, {}
    for run in runs:
        runs_of.setdefault(str(run.programme.translation_key), []).append(run.pk)
        for measure in MEASURES:
            states[("run", run.pk, measure)] = hierarchy.runs[run.pk][measure].hidden
            values[("run", run.pk, measure)] = by_run.get(run.pk, empty)[measure]
    for key, members in runs_of.items():
        for measure in MEASURES:
            states[("programme", key, measure)] = hierarchy.programmes[key][measure].hidden
            values[("programme", key, measure)] = sum(values[("run", r, measure)]
                                                      for r in members)
    return runs_of, states, values


def _rate(completed: Cell, enrolled: Cell) -> float | None:
    """A rate only beside the two counts it divides (never beside a hidden one)."""
    if completed.value is None or not enrolled.value:
        return None
    return completed.value / enrolled.value


def year_report(*, year: int, programme_key=None, run_id=None, live: bool = False) -> YearReport:
    """The year's figures, for all runs of the year or one programme's or one run.

    Whatever the filter, the figures are computed and protected over the whole year, so each
    figure is published with the same value (or the same mark) everywhere. They are read from
    the per-run aggregates; ``live`` counts every enrolment of the year instead (the
    reference, for checks and tests).
    """
    all_runs = list(_runs(year=year))
    target = YearlyTarget.objects.filter(year=year).values_list("target", flat=True).first()
    counts = (year_counts_live if live else year_counts_stored)(runs=all_runs, year=year)
    by_run = counts.by_run
    hierarchy = _hierarchy(all_runs, by_run)
    totals = {m: sum(row[m] for row in by_run.values()) for m in MEASURES}
    runs = list(_runs(year=year, programme_key=programme_key, run_id=run_id))
    if run_id:
        head = hierarchy.runs.get(run_id, {}) if runs else {}
    elif programme_key:
        head = hierarchy.programmes.get(str(programme_key), {})
    else:
        head = {m: exact_cell(totals[m], m) for m in MEASURES}
    head = {m: head.get(m) or exact_cell(0, m) for m in MEASURES}
    filtered = bool(run_id or programme_key)
    report = YearReport(
        year=year, target=target,
        certified=totals["completed"] if not filtered else head["completed"].value,
        enrolled=head["enrolled"], completed=head["completed"], dropped=head["dropped"],
        completion_rate=_rate(head["completed"], head["enrolled"]),
        learners=None if filtered else counts.learners,
        filtered=filtered)

    def breakdown(key, title, categories) -> Breakdown:
        enrolled_by, certified_by = counts.answers[key]
        values = [(k, label) for k, label in categories]
        if enrolled_by.get(None):
            values.append((None, _("No answer (not given, or no consent)")))
        enrolled_cells = cells_protected([(str(k), label, enrolled_by[k]) for k, label in values],
                                         total=totals["enrolled"])
        certified_cells = cells_protected(
            [(str(k), label, certified_by[k]) for k, label in values],
            total=totals["completed"], caps=caps_from(enrolled_cells))
        return Breakdown(key=key, title=str(title),
                         rows=list(zip(enrolled_cells, certified_cells, strict=True)),
                         total=(exact_cell(totals["enrolled"]),
                                exact_cell(totals["completed"])))

    if not filtered:  # the answers' breakdowns: for the whole year only
        report.breakdowns = [
            breakdown("participant_status", _("Participant status"),
                      ParticipantStatus.choices),
            breakdown("ai_major", _("AI major"), [(True, _("AI-related major")),
                                                 (False, _("Other major"))]),
            breakdown("gender", _("Gender"), Gender.choices),
            breakdown("age_band", _("Age band"), [(k, label) for k, label, *_ in AGE_BANDS]),
            breakdown("region", _("Region"), Region.choices),
        ]
        titles = {str(r.programme.translation_key): r.programme.title for r in all_runs}
        report.breakdowns.append(Breakdown(
            key="programme", title=str(_("Programme")),
            rows=[(_labelled(hierarchy.programmes[k]["enrolled"], titles[k]),
                   _labelled(hierarchy.programmes[k]["completed"], titles[k]))
                  for k in sorted(hierarchy.programmes, key=lambda k: titles[k])],
            total=(exact_cell(totals["enrolled"]), exact_cell(totals["completed"]))))
    if not run_id:
        report.breakdowns.append(Breakdown(
            key="run", title=str(_("Run")),
            rows=[(_labelled(hierarchy.runs[r.pk]["enrolled"], str(r)),
                   _labelled(hierarchy.runs[r.pk]["completed"], str(r))) for r in runs],
            total=(head["enrolled"], head["completed"])))
    report.funnels = [RunFunnel(run=run, capacity=run.capacity,
                                cells={m: hierarchy.runs[run.pk][m] for m in
                                       ("applicants", "enrolled", "completed")},
                                completion_rate=_rate(hierarchy.runs[run.pk]["completed"],
                                                      hierarchy.runs[run.pk]["enrolled"]))
                      for run in runs]
    return report


def _labelled(cell: Cell, label: str) -> Cell:
    return Cell(cell.key, label, cell.value, cell.hidden)


@dataclass
class YearBar:
    year: int
    target: int | None
    certified: int


def synthetic_learner_count() -> int:
    """How many of the learners are made up (``lms.reports.synthetic``: the demo's history,
    benchmarks): the dashboard says its figures include them.

    Counting them reads every user's email address (the domain is at the end), 30 ms at
    280,000 users and growing with them, so the number is kept for a minute; the generator
    forgets it when it adds or removes learners. A note beside the figures, not a figure."""
    count = cache.get(SYNTHETIC_COUNT_KEY)
    if count is None:
        count = synthetic_users().count()
        cache.set(SYNTHETIC_COUNT_KEY, count, timeout=SYNTHETIC_COUNT_SECONDS)
    return count


def years_overview(*, live: bool = False) -> list[YearBar]:
    """Certified against target for every year with a target or a run: certificates not
    revoked, from the per-run aggregates (``live``: counted over every certificate, the
    reference)."""
    targets = dict(YearlyTarget.objects.values_list("year", "target"))
    # Grouped by run (one join fewer than by the run's year); runs are few.
    year_of = dict(ProgrammeRun.objects.values_list("pk", "year"))
    years = sorted(set(targets) | set(year_of.values()))
    certified = Counter()
    by_run = stored_certificates_by_run() if not live else (
        Certificate.objects.filter(revoked_at__isnull=True).values("enrolment__run")
        .annotate(n=Count("pk")).values_list("enrolment__run", "n"))
    for run_id, n in dict(by_run).items():
        if run_id in year_of:  # a run deleted since (the aggregates keep its zero row)
            certified[year_of[run_id]] += n
    return [YearBar(year=y, target=targets.get(y), certified=certified.get(y, 0))
            for y in years]
