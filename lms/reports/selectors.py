"""What the ministry sees: counts only, never people.

- Certified people per year (by the year the run counts towards) against the yearly target:
  exact, every learner counted (a certificate is a public record).
- Enrolment figures and the breakdowns by participant status, AI major, gender, age band,
  region, programme and run count only learners who consented to statistical use.
- Every count from 1 to ``REPORTS_SUPPRESSION_THRESHOLD - 1`` is shown as "<5"; when one
  cell of a table is hidden, the next smallest is hidden too, so that the table's total
  cannot give it back (the differencing attack).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Q
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


def certified_count(*, runs) -> int:
    return Certificate.objects.filter(enrolment__run__in=runs, revoked_at__isnull=True).count()


def _age_band(birth_year: int | None, year: int) -> str | None:
    if not birth_year:
        return None
    age = year - birth_year
    return next((key for key, _label, low, high in AGE_BANDS if low <= age <= high), None)


def year_report(*, year: int, programme_key=None, run_id=None) -> YearReport:
    runs = list(_runs(year=year, programme_key=programme_key, run_id=run_id))
    target = YearlyTarget.objects.filter(year=year).values_list("target", flat=True).first()
    consented = (Enrolment.objects.filter(run__in=runs, status__in=ADMITTED,
                                          learner__profile__stats_consent=True)
                 .select_related("learner__profile", "run__programme"))
    statuses = Counter(e.status for e in consented)
    enrolled = sum(statuses.values())
    completed = statuses[EnrolmentStatus.COMPLETED]
    certified_ids = set(Certificate.objects.filter(
        enrolment__run__in=runs, revoked_at__isnull=True).values_list("enrolment_id",
                                                                      flat=True))
    report = YearReport(
        year=year, target=target, certified=certified_count(runs=runs),
        enrolled=total_cell(enrolled), completed=total_cell(completed),
        dropped=total_cell(statuses[EnrolmentStatus.DROPPED]),
        completion_rate=(completed / enrolled) if enrolled >= settings.
        REPORTS_SUPPRESSION_THRESHOLD else None)
    rows = list(consented)

    def breakdown(key, title, categories, of) -> Breakdown:
        enrolled_by, certified_by = Counter(), Counter()
        for enrolment in rows:
            category = of(enrolment)
            enrolled_by[category] += 1
            if enrolment.pk in certified_ids:
                certified_by[category] += 1
        values = [(k, label) for k, label in categories]
        if enrolled_by.get(None):
            values.append((None, _("Not given")))
        enrolled_cells = suppressed([(str(k), label, enrolled_by[k]) for k, label in values])
        certified_cells = suppressed([(str(k), label, certified_by[k]) for k, label in values])
        return Breakdown(key=key, title=str(title),
                         rows=list(zip(enrolled_cells, certified_cells, strict=True)),
                         total=(total_cell(sum(enrolled_by.values())),
                                total_cell(sum(certified_by.values()))))

    profile = lambda e: e.learner.profile  # noqa: E731 - short accessors below
    report.breakdowns = [
        breakdown("participant_status", _("Participant status"), ParticipantStatus.choices,
                  lambda e: profile(e).participant_status or None),
        breakdown("ai_major", _("AI major"), [(True, _("AI-related major")),
                                             (False, _("Other major"))],
                  lambda e: profile(e).ai_major),
        breakdown("gender", _("Gender"), Gender.choices, lambda e: profile(e).gender or None),
        breakdown("age_band", _("Age band"), [(k, label) for k, label, *_ in AGE_BANDS],
                  lambda e: _age_band(profile(e).birth_year, year)),
        breakdown("region", _("Region"), Region.choices, lambda e: profile(e).region or None),
        breakdown("programme", _("Programme"),
                  sorted({(r.programme.translation_key, r.programme.title) for r in runs},
                         key=lambda t: t[1]),
                  lambda e: e.run.programme.translation_key),
        breakdown("run", _("Run"), [(r.pk, str(r)) for r in runs], lambda e: e.run_id),
    ]
    report.funnels = _funnels(runs)
    return report


def _funnels(runs) -> list[RunFunnel]:
    """Capacity, applicants, enrolled, completed per run (all learners: counts only)."""
    counts = {row["run"]: row for row in Enrolment.objects.filter(run__in=runs).values("run")
              .annotate(applicants=Count("pk"),
                        enrolled=Count("pk", filter=Q(status__in=ADMITTED)),
                        completed=Count("pk", filter=Q(status=EnrolmentStatus.COMPLETED)))}
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
