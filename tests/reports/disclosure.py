"""An attacker who reads every published figure and solves for the hidden ones.

The unknowns are the true counts per run: head counts ``N[run, measure]`` and, for each
breakdown by people's answers, ``X[run, dimension, category, measure]``. Every published
figure (dashboard, downloads and API publish the same ones) becomes a linear constraint on
them: a shown count is an equality, a hidden one ("x") is any count, a rate ties its two
counts. With integer programming the attacker then bounds each hidden count.

A hidden count from 1 to T-1 is protected when the published figures leave it at least T-1
values (a range T-2 wide), unless the figures that are public by rule (the year's
head counts and certified count) already leave fewer: then the tables add nothing.

Definitions version 2 (``definitions_version`` in the API) count every learner in the head
counts and "No answer" rows; documents without it follow the earlier definitions (consenting
learners only), so the audit can be run on the code before the fix and show what leaked.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from lms.reports.protection import INF, Attacker

DIMENSIONS = ("participant_status", "ai_major", "gender", "age_band", "region")
HEAD = ("applicants", "enrolled", "completed", "dropped")


@dataclass
class Hidden:
    """A published hidden count: where, the linear expression it stands for, its true value."""

    where: str
    expression: dict[str, float]
    true: int


@dataclass
class Attack(Attacker):
    """The site's own attacker (``lms.reports.protection``) reading the API's documents."""

    threshold: int = 5
    hidden: list[Hidden] = field(default_factory=list)

    def published(self, expression: dict[str, float], count: dict, *, where: str,
                  truth: dict[str, int], public: bool = False) -> None:
        """A published count (the API's ``{"value", "suppressed", "hidden"}``) as the attacker
        reads it."""
        threshold = self.threshold
        if not count["suppressed"]:
            self.constrain(expression, count["value"], count["value"], public=public)
            return
        # Hidden: any count (the earlier code showed "<5" for small and complementary cells
        # alike, so it bounded nothing either).
        self.constrain(expression, 0, INF)
        true = int(round(sum(c * truth.get(n, 0) for n, c in expression.items())))
        if 0 < true < threshold:
            self.hidden.append(Hidden(where, expression, true))

    def check_truth(self, truth: dict[str, int]) -> list[str]:
        """The constraints the true counts break (none, or the model is wrong)."""
        broken = []
        for expr, low, high, _public in self.rows:
            value = sum(c * truth.get(name, 0) for name, c in expr.items())
            if not low - 1e-6 <= value <= high + 1e-6:
                broken.append(f"{expr} = {value} outside [{low}, {high}]")
        return broken

    def narrowed(self) -> list[str]:
        """Every hidden small count that the published figures narrow too far."""
        found = []
        needed_default = self.threshold - 2
        for cell in self.hidden:
            low, high = self.range_of(cell.expression)
            if high - low >= needed_default:
                continue
            public_low, public_high = self.range_of(cell.expression, public_only=True)
            if high - low < min(needed_default, public_high - public_low):
                found.append(f"{cell.where}: true {cell.true}, published figures give "
                             f"[{low:g}, {high:g}] (public figures alone: "
                             f"[{public_low:g}, {public_high:g}])")
        return found


def _n(run: int, measure: str) -> str:
    return f"N[{run},{measure}]"


def _k(run: int, measure: str) -> str:
    return f"K[{run},{measure}]"  # the enrolments a breakdown counts


def _x(run: int, dimension: str, category: str, measure: str) -> str:
    return f"X[{run},{dimension},{category},{measure}]"


def attack_build(*, threshold: int, years_document: list[dict],
                 documents: list[tuple[dict, list[int]]], runs_of_year: dict[int, list[int]],
                 programme_of: dict[int, str], truth: dict[str, int]) -> Attack:
    """The attacker's model from the published documents: ``documents`` are the API answers
    of every year and filter, each with the run ids it covers."""
    attack = Attack(threshold=threshold)
    version = max((d.get("definitions_version") or 1) for d, _runs in documents)
    runs = sorted({r for rs in runs_of_year.values() for r in rs})
    categories: dict[str, set[str]] = defaultdict(set)
    for document, _runs in documents:
        for breakdown in document["breakdowns"]:
            if breakdown["key"] in DIMENSIONS:
                categories[breakdown["key"]].update(row["key"] for row in breakdown["rows"])
    # What the definitions say, whatever is published.
    for run in runs:
        n = {m: attack.var(_n(run, m)) for m in HEAD}
        attack.constrain({n["completed"]: 1, n["dropped"]: 1, n["enrolled"]: -1}, -INF, 0,
                         public=True)
        attack.constrain({n["enrolled"]: 1, n["applicants"]: -1}, -INF, 0, public=True)
        for measure, head in (("enrolled", "enrolled"), ("certified", "completed")):
            k = attack.var(_k(run, measure))
            if version >= 2:  # every admitted enrolment is in every breakdown
                attack.constrain({k: 1, n[head]: -1}, 0, 0, public=True)
            else:  # consenting learners only
                attack.constrain({k: 1, n[head]: -1}, -INF, 0, public=True)
            for dimension in DIMENSIONS:
                cells = {attack.var(_x(run, dimension, c, measure)): 1.0
                         for c in categories[dimension]}
                attack.constrain({**cells, k: -1.0}, 0, 0, public=True)
        for dimension in DIMENSIONS:
            for c in categories[dimension]:
                attack.constrain({_x(run, dimension, c, "certified"): 1,
                                  _x(run, dimension, c, "enrolled"): -1}, -INF, 0,
                                 public=True)

    def total(prefix, covered, measure):
        return {(_n if prefix == "N" else _k)(r, measure): 1.0 for r in covered}

    # Public by rule: each year's certified count.
    for bar in years_document:
        covered = runs_of_year.get(bar["year"], [])
        if version >= 2 and covered:
            attack.constrain(total("N", covered, "completed"), bar["certified"],
                             bar["certified"], public=True)

    for document, covered in documents:
        year, filtered = document["year"], bool(document["run"] or document["programme"])
        where = f"{year}{' run ' + str(document['run']) if document['run'] else ''}" \
                f"{' programme ' + document['programme'][:8] if document['programme'] else ''}"
        public = version >= 2 and not filtered
        if version >= 2:
            for measure in ("enrolled", "completed", "dropped"):
                attack.published(total("N", covered, measure), document[measure],
                                 where=f"{where} {measure}", truth=truth, public=public)
            _rate(attack, document["completion_rate_percent"],
                  total("N", covered, "completed"), total("N", covered, "enrolled"))
        else:
            attack.published(total("K", covered, "enrolled"), document["enrolled"],
                             where=f"{where} enrolled", truth=truth)
        for breakdown in document["breakdowns"]:
            key = breakdown["key"]
            for row in breakdown["rows"]:
                for measure in ("enrolled", "certified"):
                    if key in DIMENSIONS:
                        expression = {_x(r, key, row["key"], measure): 1.0 for r in covered}
                    else:
                        members = [r for r in covered if
                                   (key == "run" and str(r) == row["key"])
                                   or (key == "programme" and programme_of[r] == row["key"])]
                        head = measure if version < 2 else (
                            "enrolled" if measure == "enrolled" else "completed")
                        expression = (total("K", members, measure) if version < 2
                                      else total("N", members, head))
                    attack.published(expression, row[measure],
                                     where=f"{where} {key}={row['label']} {measure}",
                                     truth=truth)
            for measure in ("enrolled", "certified"):
                attack.published(total("K", covered, measure), breakdown["total"][measure],
                                 where=f"{where} {key} total {measure}", truth=truth)
        for funnel in document["funnels"]:
            run = funnel["run_id"]
            # Earlier definitions: "completed" was the status, revoked certificates included.
            completed = _n(run, "completed") if version >= 2 else f"S[{run}]"
            if version < 2:
                attack.constrain({_n(run, "completed"): 1, completed: -1}, -INF, 0, public=True)
            for measure, name in (("applicants", _n(run, "applicants")),
                                  ("enrolled", _n(run, "enrolled")), ("completed", completed)):
                attack.published({name: 1.0}, funnel[measure],
                                 where=f"{where} funnel run {run} {measure}", truth=truth)
            _rate(attack, funnel["completion_rate_percent"], {completed: 1.0},
                  {_n(run, "enrolled"): 1.0})
    return attack


def _rate(attack: Attack, percent: float | None, numerator: dict, denominator: dict) -> None:
    """A published rate (one decimal): numerator / denominator within half a unit of it."""
    if percent is None:
        return
    for share, low, high in (((percent - 0.05) / 100, 0, INF), ((percent + 0.05) / 100, -INF, 0)):
        expression = dict(numerator)
        for name, c in denominator.items():
            expression[name] = expression.get(name, 0.0) - share * c
        attack.constrain(expression, low, high)


# --- the employment rate ---------------------------------------------------------------------
PAY_KEYS = ("lt200", "200-249", "250-299", "300-399", "400+", "none")


def employment_var(run: int, part: str) -> str:
    """The true counts of a run's completions of the year: E employed, N answered and not
    employed, U no answer (E + N + U counted), L employed in 500+, A employed using AI,
    B:<band> employed by pay band."""
    return f"EMP[{run},{part}]"


EMPLOYMENT_PARTS = {"counted": ("E", "N", "U"), "employed": ("E",), "responded": ("E", "N"),
                    "employed_large_firm": ("L",), "employed_using_ai": ("A",)}


def employment_attack_build(*, threshold: int, documents: list[dict], runs: list[int],
                            programme_of: dict[int, str], truth: dict[str, int]) -> Attack:
    """The attacker's model of the employment tables of every filter (``documents``: the
    API's ``employment`` objects), with what the definitions say about each run."""
    attack = Attack(threshold=threshold)
    for run in runs:
        v = {p: attack.var(employment_var(run, p)) for p in ("E", "N", "U", "L", "A")}
        attack.constrain({v["L"]: 1, v["E"]: -1}, -INF, 0, public=True)
        attack.constrain({v["A"]: 1, v["E"]: -1}, -INF, 0, public=True)
        attack.constrain({**{employment_var(run, f"B:{k}"): 1 for k in PAY_KEYS},
                          v["E"]: -1}, 0, 0, public=True)
    for document in documents:
        for row in document["rows"]:
            members = {"year": runs,
                       "programme": [r for r in runs if programme_of[r] == row["key"]],
                       "run": [int(row["key"])] if row["level"] == "run" else []}[row["level"]]

            def expression(parts, members=members):
                return {employment_var(r, p): 1.0 for r in members for p in parts}

            where = f"employment {row['level']} {row['key'][:8]}"
            for measure, parts in EMPLOYMENT_PARTS.items():
                attack.published(expression(parts), row[measure], where=f"{where} {measure}",
                                 truth=truth)
            for band in row["pay_bands"]:
                attack.published(expression([f"B:{band['key']}"]), band["employed"],
                                 where=f"{where} pay {band['key']}", truth=truth)
            for rate, top, bottom in (("employment_rate_percent", "employed", "counted"),
                                      ("response_rate_percent", "responded", "counted"),
                                      ("large_firm_share_percent", "employed_large_firm",
                                       "employed"),
                                      ("ai_share_percent", "employed_using_ai", "employed")):
                _rate(attack, row[rate], expression(EMPLOYMENT_PARTS[top]),
                      expression(EMPLOYMENT_PARTS[bottom]))
    return attack
