"""The employment rate the ministry counts: per completion year, programme and run, counts
only, protected like every other table of the dashboard.

The rule (``lms.outcomes.definitions.rate_class``, documented in docs/employment-outcomes.md):
a completion is a certificate not revoked; its year is the year it was issued (Korean time).
It enters the rate 6 months after completion plus the answer window; until then it is
pending and not counted. *Counted* completers are those due, less those in further study or
military service (excluded); *employed* are those an answer at 3 or 6 months says employed
within 6 months; a completer with no answer stays counted, not employed. Beside the rate:
the *responded* (counted completers with an answer at a point of at most 6 months) and, of
the employed, those in firms of 500 or more employees, those whose work uses AI, and each
pay band (answers left blank under "Not given", so the bands add up to the employed).

Every count of the table (the year's too: these are answers about people, none of them a
public record) is hidden when it is from 1 to T - 1, and further cells are hidden until no
sum or difference of published figures (rows, programmes, runs, pay bands, and the
relations of the definitions: employed <= counted, 500+ and AI <= employed, bands add up to
employed; and the completion figures published beside the table: a run's completers counted
are at most its completers) narrows a hidden small count: checked by integer programming
(``lms.reports.protection.table_verify``). A rate is shown only when both its counts are.
Whatever the filter, the table is computed for the whole year, so a figure is the same (or
the same "x") everywhere. Three queries however many completions there are, and three for
the completion figures of each year its runs belong to.
"""

from __future__ import annotations

import datetime
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from courses.models import ProgrammeRun
from lms.outcomes.definitions import EmployerSize, PayBand, RateClass
from lms.outcomes.selectors import completions_rated
from lms.reports.protection import INF, hierarchy_attacker, run_var, table_verify
from lms.reports.selectors import COMPLEMENT, SHOWN, SMALL, Cell, year_hierarchy_published

NOT_GIVEN = "none"
PAY_KEYS = (*(band for band, _label in PayBand.choices), NOT_GIVEN)
MEASURES = ("counted", "employed", "responded", "large", "ai",
            *(f"pay:{key}" for key in PAY_KEYS))
LEVELS = ("year", "programme", "run")
COUNTED = (RateClass.EMPLOYED, RateClass.NOT_EMPLOYED, RateClass.NO_ANSWER)


def pay_label(key: str) -> str:
    if key == NOT_GIVEN:
        return str(_("Pay not given"))
    return str(PayBand(key).label)


@dataclass
class EmploymentRow:
    """One line of the table: the year, a programme or a run, its counts as cells."""

    level: str  # "year", "programme" or "run"
    key: str  # "total", the programme key or the run id
    label: str
    programme_key: str | None
    cells: dict[str, Cell]

    def _ratio(self, numerator: str, denominator: str) -> float | None:
        """A rate only beside the two counts it divides (never beside a hidden one)."""
        top, bottom = self.cells[numerator].value, self.cells[denominator].value
        if top is None or not bottom:
            return None
        return top / bottom

    @property
    def employment_rate(self) -> float | None:
        return self._ratio("employed", "counted")

    @property
    def response_rate(self) -> float | None:
        return self._ratio("responded", "counted")

    @property
    def large_share(self) -> float | None:
        return self._ratio("large", "employed")

    @property
    def ai_share(self) -> float | None:
        return self._ratio("ai", "employed")

    @property
    def pay_cells(self) -> list[Cell]:
        return [self.cells[f"pay:{key}"] for key in PAY_KEYS]


@dataclass
class EmploymentTable:
    """The employment rate of the completions of one year (rows: the year, then each
    programme followed by its runs)."""

    year: int
    rows: list[EmploymentRow] = field(default_factory=list)
    pending: bool = False  # some completions of the year are not due yet

    def rows_for(self, *, programme_key: str | None = None,
                 run_id: int | None = None) -> list[EmploymentRow]:
        """The rows a filter shows (their cells as the whole year's table publishes them)."""
        if run_id:
            return [r for r in self.rows if r.level == "run" and r.key == str(run_id)]
        if programme_key:
            return [r for r in self.rows
                    if r.level != "year" and r.programme_key == str(programme_key)]
        return list(self.rows)


def pay_columns() -> list[tuple[str, str]]:
    return [(key, pay_label(key)) for key in PAY_KEYS]


def _variables(run: int) -> dict[str, str]:
    names = {k: f"{k}[{run}]" for k in ("E", "N", "U", "L", "A")}
    names.update({f"B:{key}": f"B[{run},{key}]" for key in PAY_KEYS})
    return names


def _expression(measure: str, runs: list[int]) -> dict[str, float]:
    parts = {"counted": ("E", "N", "U"), "employed": ("E",), "responded": ("E", "N"),
             "large": ("L",), "ai": ("A",)}.get(measure) or ("B:" + measure[4:],)
    return {_variables(run)[part]: 1.0 for run in runs for part in parts}


def _base(runs: list[int]) -> list[tuple[dict[str, float], float, float]]:
    """What the definitions say about each run's counts, whatever is published."""
    rows = []
    for run in runs:
        v = _variables(run)
        rows.append(({v["L"]: 1.0, v["E"]: -1.0}, -INF, 0))
        rows.append(({v["A"]: 1.0, v["E"]: -1.0}, -INF, 0))
        rows.append(({**{v[f"B:{key}"]: 1.0 for key in PAY_KEYS}, v["E"]: -1.0}, 0, 0))
    return rows


def _completions_base(runs: list, by_run: dict, threshold: int) -> tuple[list, list]:
    """What the completion figures published beside the table (each run's year: the year's
    exact totals, the programme and run figures shown) say about its counts: a run's
    completers counted in the rate are at most its completers. Returned as public relations
    for the protection, with what they were made of (for the cache key)."""
    base, made_of = [], []
    for year in sorted({run.year for run in runs}):
        runs_of, states, values = year_hierarchy_published(year=year)
        attacker = hierarchy_attacker(runs_of=runs_of, states=states, values=values,
                                      threshold=threshold)
        base += [(expression, low, high) for expression, low, high, _public in attacker.rows]
        for run in runs:
            completed = values.get(("run", run.pk, "completed"))
            # Only a relation the true figures meet (the aggregates may lag behind a moment).
            if run.year == year and completed is not None \
                    and by_run[run.pk]["counted"] <= completed:
                v = _variables(run.pk)
                base.append(({run_var(run.pk, "completed"): 1.0, v["E"]: -1.0, v["N"]: -1.0,
                              v["U"]: -1.0}, 0, INF))
        made_of.append((year, sorted(states.items()), sorted(values.items())))
    return base, made_of


def _run_counts(rated) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
    for completion in rated:
        if completion.rate_class not in COUNTED:
            continue
        row = counts[completion.run_id]
        row["counted"] += 1
        if completion.rate_class == RateClass.NO_ANSWER:
            continue
        row["responded"] += 1
        if completion.rate_class != RateClass.EMPLOYED:
            continue
        row["employed"] += 1
        row["large"] += completion.employer_size == EmployerSize.LARGE
        row["ai"] += completion.uses_ai is True
        row[f"pay:{completion.pay_band or NOT_GIVEN}"] += 1
    return dict(counts)


def _candidates(values: dict, parent_of: dict, children_of: dict):
    """For a narrowed cell, the cells to try hiding, preferred first: the same measure in
    the sibling rows (zeros, then the smallest), in the parent rows, their siblings and
    their siblings' runs, the row's other measures, the siblings' other measures, then anything but
    the year's figures, then those."""
    def order(cells):
        return sorted(cells, key=lambda c: (values[c] != 0, values[c]))

    def candidates(cell):
        group, measure = cell
        parent = parent_of.get(group)
        siblings = [g for g in children_of.get(parent, []) if g != group]
        ordered = order([(g, measure) for g in siblings])
        # Up the tree: each parent, then its siblings (the other programmes) and their runs.
        while parent is not None:
            ordered.append((parent, measure))
            grandparent = parent_of.get(parent)
            uncles = [g for g in children_of.get(grandparent, []) if g != parent]
            ordered += order([(g, measure) for g in uncles])
            ordered += order([(g, measure) for uncle in uncles
                              for g in children_of.get(uncle, [])])
            parent = grandparent
        ordered += order([(group, m) for m in MEASURES if m != measure])
        ordered += order([(g, m) for g in siblings for m in MEASURES if m != measure])
        ordered += sorted(values, key=lambda c: (c[0][0] == "year", values[c] != 0, values[c]))
        seen, unique = set(), []
        for c in ordered:
            if c not in seen and c != cell:
                seen.add(c)
                unique.append(c)
        return unique

    return candidates


def employment_table(*, year: int, today: datetime.date | None = None) -> EmploymentTable:
    """The employment rate of the completions of ``year``, protected (see the module)."""
    rated = completions_rated(year=year, today=today)
    by_run = {run: counts for run, counts in _run_counts(rated).items() if counts["counted"]}
    table = EmploymentTable(year=year,
                            pending=any(c.rate_class == RateClass.PENDING for c in rated))
    if not by_run:
        return table
    runs = sorted(ProgrammeRun.objects.filter(pk__in=by_run).select_related("programme"),
                  key=lambda r: (r.programme.title, r.year, r.number))
    programme_of = {run.pk: str(run.programme.translation_key) for run in runs}
    titles = {str(run.programme.translation_key): run.programme.title for run in runs}
    keys = sorted(titles, key=lambda k: titles[k])
    year_group = ("year", "total")
    members = {year_group: [r.pk for r in runs]}
    parent_of, children_of = {}, defaultdict(list)
    for key in keys:
        group = ("programme", key)
        members[group] = [r.pk for r in runs if programme_of[r.pk] == key]
        parent_of[group] = year_group
        children_of[year_group].append(group)
    for run in runs:
        group = ("run", str(run.pk))
        members[group] = [run.pk]
        parent_of[group] = ("programme", programme_of[run.pk])
        children_of[parent_of[group]].append(group)
    threshold = settings.REPORTS_SUPPRESSION_THRESHOLD
    values = {(group, m): sum(by_run[r][m] for r in runs_in) for group, runs_in in
              members.items() for m in MEASURES}
    states = {cell: SMALL if 0 < n < threshold else SHOWN for cell, n in values.items()}
    # The completion figures are published beside the table: read together with it.
    completions, completions_made_of = _completions_base(runs, by_run, threshold)
    # A pure function of the counts: cached, as the hierarchy's check is.
    cache_key = "reports:employment:" + hashlib.sha256(repr(
        (threshold, sorted(members.items()), sorted(values.items()),
         completions_made_of)).encode()).hexdigest()
    verified = cache.get(cache_key)
    if verified is None:
        verified = table_verify(
            cells={(g, m): _expression(m, runs_in) for g, runs_in in members.items()
                   for m in MEASURES},
            values=values, states=states, base=_base(members[year_group]) + completions,
            candidates=_candidates(values, parent_of, children_of), threshold=threshold,
            last=frozenset((year_group, m) for m in MEASURES))
        cache.set(cache_key, verified, timeout=24 * 3600)

    def row(group, label, programme_key) -> EmploymentRow:
        cells = {}
        for m in MEASURES:
            state = verified[(group, m)]
            cells[m] = Cell(m, "", values[(group, m)] if state == SHOWN else None,
                            state if state in (SHOWN, SMALL, COMPLEMENT) else SMALL)
        return EmploymentRow(level=group[0], key=group[1], label=label,
                             programme_key=programme_key, cells=cells)

    table.rows.append(row(year_group, str(_("All programmes")), None))
    for key in keys:
        table.rows.append(row(("programme", key), titles[key], key))
        table.rows += [row(("run", str(r.pk)), str(r), key) for r in runs
                       if programme_of[r.pk] == key]
    return table
