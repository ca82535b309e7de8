"""What the ministry sees: counts only, never people.

- Certified people per year (by the year the run counts towards) against the yearly target:
  exact, every learner counted (a certificate is a public record).
- Enrolment figures and the breakdowns by participant status, AI major, gender, age band,
  region, programme and run count only learners who consented to statistical use.
- Every count from 1 to ``REPORTS_SUPPRESSION_THRESHOLD - 1`` is shown as "<5"; when one
  cell of a table is hidden, the next smallest is hidden too, so that the table's total
  cannot give it back (the differencing attack).

The database does the counting, so a year costs a fixed handful of queries however many
learners there are: one GROUP BY over the year's enrolments gives the consenting learners'
answers (each breakdown adds up its rows), the funnels and the certified total; one more
counts certificates for the years.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
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
from lms.reports.models import YearlyTarget

ADMITTED = (EnrolmentStatus.ENROLLED, EnrolmentStatus.COMPLETED, EnrolmentStatus.DROPPED)
AGE_BANDS = (("under_20", _("Under 20"), 0, 19), ("20s", _("20–29"), 20, 29),
             ("30s", _("30–39"), 30, 39), ("40s", _("40–49"), 40, 49),
             ("50_plus", _("50 and over"), 50, 200))


@dataclass
class Cell:
    key: str
    label: str
    value: int | None  # None: suppressed

    @property
    def display(self) -> str:
        if self.value is None:
            return f"<{settings.REPORTS_SUPPRESSION_THRESHOLD}"
        return f"{self.value:,}"


def _small(n: int) -> bool:
    return 0 < n < settings.REPORTS_SUPPRESSION_THRESHOLD


def suppressed(values: list[tuple[str, str, int]]) -> list[Cell]:
    """Cells of one table column, small counts hidden (primary and complementary)."""
    cells = [Cell(key, str(label), None if _small(n) else n) for key, label, n in values]
    hidden = [c for c in cells if c.value is None]
    if len(hidden) == 1:
        shown = [c for c in cells if c.value]
        if shown:
            min(shown, key=lambda c: c.value).value = None
    return cells


def total_cell(n: int) -> Cell:
    return Cell("total", str(_("Total")), None if _small(n) else n)


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
    certified: int
    enrolled: Cell
    completed: Cell
    dropped: Cell
    completion_rate: float | None
    breakdowns: list[Breakdown] = field(default_factory=list)
    funnels: list[RunFunnel] = field(default_factory=list)

    @property
    def progress(self) -> float | None:
        """Certified as a share of the target (may pass 1.0)."""
        if not self.target:
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


# The memory the year's GROUP BY may use (a few thousand groups need a few MB; PostgreSQL
# takes only what it needs).
REPORT_WORK_MEM = "64MB"


def _year_counts(*, runs: list[ProgrammeRun], year: int) -> tuple[list[dict], dict[int, dict]]:
    """One scan of the runs' enrolments, counted in one GROUP BY: for the breakdowns, a row
    per combination of run and profile answers of consenting admitted learners (enrolled,
    completed, dropped, certified); for the funnels, every learner of each run (applicants,
    enrolled, completed, certified). Non-counted learners' answers are not read (NULL), so
    they add one group per run at most.

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
    counted = (f"(p.{column(profile, 'stats_consent')} AND "
               f"e.{column(enrolment, 'status')} IN ({', '.join(['%s'] * len(ADMITTED))}))")
    birth = f"p.{column(profile, 'birth_year')}"
    bands = " ".join(f"WHEN %s - {birth} BETWEEN %s AND %s THEN %s" for _band in AGE_BANDS)
    status = f"x.{column(enrolment, 'status')}"
    sql = f"""
        SELECT x.run_id, x.counted, {", ".join(f"x.{d}" for d in dims)}, x.age_band,
               COUNT(*) AS applicants,
               COUNT(*) FILTER (WHERE {status} IN ({", ".join(["%s"] * len(ADMITTED))}))
                   AS enrolled,
               COUNT(*) FILTER (WHERE {status} = %s) AS completed,
               COUNT(*) FILTER (WHERE {status} = %s) AS dropped,
               COUNT(x.certificate_id) AS certified
        FROM (
            SELECT e.{column(enrolment, 'run')} AS run_id, e.{column(enrolment, 'status')},
                   {counted} AS counted,
                   {", ".join(f"CASE WHEN {counted} THEN p.{column(profile, d)} END AS {d}"
                              for d in dims)},
                   CASE WHEN {counted} THEN (CASE {bands} END) END AS age_band,
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
    # The placeholders in the order they appear: the inner SELECT's CASEs (each repeats the
    # "counted" condition), then the WHERE; the outer SELECT's come first.
    inner = (list(ADMITTED) * (len(dims) + 2)) + [
        value for key, _label, low, high in AGE_BANDS for value in (year, low, high, key)]
    outer = [*ADMITTED, EnrolmentStatus.COMPLETED, EnrolmentStatus.DROPPED]
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
        total = by_run.setdefault(row["run_id"], {"applicants": 0, "enrolled": 0,
                                                  "completed": 0, "certified": 0})
        for key in total:
            total[key] += row[key]
    counts = [row for row in rows if row["counted"]]
    for row in counts:
        if row["ai_major"] is not None:
            row["ai_major"] = bool(row["ai_major"])  # SQLite gives 0/1
    return counts, by_run


def year_report(*, year: int, programme_key=None, run_id=None) -> YearReport:
    """The year's figures, for all runs of the year or one programme's or one run."""
    runs = list(_runs(year=year, programme_key=programme_key, run_id=run_id))
    target = YearlyTarget.objects.filter(year=year).values_list("target", flat=True).first()
    counts, by_run = _year_counts(runs=runs, year=year)
    enrolled = sum(row["enrolled"] for row in counts)
    completed = sum(row["completed"] for row in counts)
    report = YearReport(
        # Exact: every learner's valid certificate, consenting or not.
        year=year, target=target, certified=sum(row["certified"] for row in by_run.values()),
        enrolled=total_cell(enrolled), completed=total_cell(completed),
        dropped=total_cell(sum(row["dropped"] for row in counts)),
        completion_rate=(completed / enrolled) if enrolled >= settings.
        REPORTS_SUPPRESSION_THRESHOLD else None)

    def breakdown(key, title, categories, of) -> Breakdown:
        enrolled_by, certified_by = Counter(), Counter()
        for row in counts:
            category = of(row)
            enrolled_by[category] += row["enrolled"]
            certified_by[category] += row["certified"]
        values = [(k, label) for k, label in categories]
        if enrolled_by.get(None):
            values.append((None, _("Not given")))
        enrolled_cells = suppressed([(str(k), label, enrolled_by[k]) for k, label in values])
        certified_cells = suppressed([(str(k), label, certified_by[k]) for k, label in values])
        return Breakdown(key=key, title=str(title),
                         rows=list(zip(enrolled_cells, certified_cells, strict=True)),
                         total=(total_cell(sum(enrolled_by.values())),
                                total_cell(sum(certified_by.values()))))

    programme_of = {r.pk: r.programme.translation_key for r in runs}
    report.breakdowns = [
        breakdown("participant_status", _("Participant status"), ParticipantStatus.choices,
                  lambda row: row["participant_status"] or None),
        breakdown("ai_major", _("AI major"), [(True, _("AI-related major")),
                                             (False, _("Other major"))],
                  lambda row: row["ai_major"]),
        breakdown("gender", _("Gender"), Gender.choices, lambda row: row["gender"] or None),
        breakdown("age_band", _("Age band"), [(k, label) for k, label, *_ in AGE_BANDS],
                  lambda row: row["age_band"]),
        breakdown("region", _("Region"), Region.choices, lambda row: row["region"] or None),
        breakdown("programme", _("Programme"),
                  sorted({(r.programme.translation_key, r.programme.title) for r in runs},
                         key=lambda t: t[1]),
                  lambda row: programme_of[row["run_id"]]),
        breakdown("run", _("Run"), [(r.pk, str(r)) for r in runs], lambda row: row["run_id"]),
    ]
    report.funnels = _funnels(runs, by_run)
    return report


def _funnels(runs, counts: dict[int, dict]) -> list[RunFunnel]:
    """Capacity, applicants, enrolled, completed per run (all learners: counts only)."""
    funnels = []
    for run in runs:
        row = counts.get(run.pk, {"applicants": 0, "enrolled": 0, "completed": 0})
        cells = {k: total_cell(row[k]) for k in ("applicants", "enrolled", "completed")}
        rate = (row["completed"] / row["enrolled"]
                if row["enrolled"] >= settings.REPORTS_SUPPRESSION_THRESHOLD else None)
        funnels.append(RunFunnel(run=run, capacity=run.capacity, cells=cells,
                                 completion_rate=rate))
    return funnels


@dataclass
class YearBar:
    year: int
    target: int | None
    certified: int


def years_overview() -> list[YearBar]:
    """Certified against target for every year with a target or a run."""
    targets = dict(YearlyTarget.objects.values_list("year", "target"))
    # Grouped by run (one join fewer than by the run's year); runs are few.
    year_of = dict(ProgrammeRun.objects.values_list("pk", "year"))
    years = sorted(set(targets) | set(year_of.values()))
    certified = Counter()
    for run_id, n in (Certificate.objects.filter(revoked_at__isnull=True)
                      .values("enrolment__run").annotate(n=Count("pk"))
                      .values_list("enrolment__run", "n")):
        certified[year_of[run_id]] += n
    return [YearBar(year=y, target=targets.get(y), certified=certified.get(y, 0))
            for y in years]
