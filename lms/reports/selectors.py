"""What the ministry sees: counts only, never people.

- Certified people per year (by the year the run counts towards) against the yearly target:
  exact, every learner counted (a certificate is a public record).
- Enrolment figures and the breakdowns by participant status, AI major, gender, age band,
  region, programme and run count only learners who consented to statistical use.
- Every count from 1 to ``REPORTS_SUPPRESSION_THRESHOLD - 1`` is shown as "<5"; when one
  cell of a table is hidden, the next smallest is hidden too, so that the table's total
  cannot give it back (the differencing attack).

The database does the counting, so a year costs a fixed handful of queries however many
learners there are: one GROUP BY over the consenting learners' answers (each breakdown adds
up its rows), one per run for the funnels and the certified total, one for the years.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    Count,
    Expression,
    F,
    FilteredRelation,
    Q,
    Value,
    When,
)
from django.utils.translation import gettext_lazy as _

from courses.models import Enrolment, ProgrammeRun
from courses.models.runs import EnrolmentStatus
from grading.models import Certificate
from lms.accounts.models import Gender, ParticipantStatus, Region
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


def _valid_certificate() -> FilteredRelation:
    """An enrolment's certificate unless revoked: joined on that condition, so that counting
    it counts valid certificates (and fewer rows are joined than with a filter in the count).
    A new one per query: a queryset keeps and changes the one it is given."""
    return FilteredRelation("certificate", condition=Q(certificate__revoked_at__isnull=True))

# The learner's answers that the breakdowns group by (the run is grouped by too).
PROFILE = "learner__profile__"
DIMENSIONS = ("participant_status", "ai_major", "gender", "age_band", "region")


def _cohort_counts(*, runs: list[ProgrammeRun], year: int) -> list[dict]:
    """Consenting admitted learners counted in one GROUP BY: a row per combination of run and
    profile answers present, with how many were enrolled, completed, dropped and certified.

    A year has a few runs and the answers few values, so this is at most some thousand rows
    however many learners there are; each breakdown then adds rows up in Python.
    """
    return list(
        Enrolment.objects
        .filter(run__in=runs, status__in=ADMITTED, **{f"{PROFILE}stats_consent": True})
        .annotate(valid_certificate=_valid_certificate(),
                  age_band=age_band_expression(year=year, birth_year=f"{PROFILE}birth_year"))
        .values("run_id", "age_band", **{d: F(PROFILE + d) for d in DIMENSIONS
                                         if d != "age_band"})
        .annotate(enrolled=Count("pk"),
                  completed=Count("pk", filter=Q(status=EnrolmentStatus.COMPLETED)),
                  dropped=Count("pk", filter=Q(status=EnrolmentStatus.DROPPED)),
                  certified=Count("valid_certificate"))
        .order_by())


def year_report(*, year: int, programme_key=None, run_id=None) -> YearReport:
    """The year's figures, for all runs of the year or one programme's or one run."""
    runs = list(_runs(year=year, programme_key=programme_key, run_id=run_id))
    target = YearlyTarget.objects.filter(year=year).values_list("target", flat=True).first()
    counts = _cohort_counts(runs=runs, year=year)
    by_run = _run_counts(runs)
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


def _run_counts(runs) -> dict[int, dict]:
    """Per run, of all learners (counts only): applicants, enrolled, completed and valid
    certificates, in one GROUP BY."""
    return {row["run"]: row for row in Enrolment.objects.filter(run__in=runs)
            .annotate(valid_certificate=_valid_certificate())
            .values("run")
            .annotate(applicants=Count("pk"),
                      enrolled=Count("pk", filter=Q(status__in=ADMITTED)),
                      completed=Count("pk", filter=Q(status=EnrolmentStatus.COMPLETED)),
                      certified=Count("valid_certificate"))
            .order_by()}


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
    years = sorted(set(YearlyTarget.objects.values_list("year", flat=True))
                   | set(ProgrammeRun.objects.values_list("year", flat=True)))
    targets = dict(YearlyTarget.objects.values_list("year", "target"))
    certified = dict(Certificate.objects.filter(revoked_at__isnull=True)
                     .values("enrolment__run__year").annotate(n=Count("pk"))
                     .values_list("enrolment__run__year", "n"))
    return [YearBar(year=y, target=targets.get(y), certified=certified.get(y, 0))
            for y in years]


def user_may_see_reports(*, user) -> bool:
    from lms.accounts.models import Role
    from lms.accounts.selectors import user_roles

    if not user.is_authenticated:
        return False
    return user.is_superuser or bool(user_roles(user=user)
                                     & {Role.MINISTRY_OFFICER, Role.PROGRAMME_STAFF})
