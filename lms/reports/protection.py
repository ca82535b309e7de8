"""Checking a suppression pattern as an attacker would: integer programming over the figures.

:class:`Attacker` holds linear constraints over unknown non-negative integer counts (what
the definitions say, and every published figure: a shown count is an equality, a hidden one,
"x", is any count) and bounds any expression of the unknowns with
``scipy.optimize.milp``. The run and programme figures of a year are protected with it
(:func:`hierarchy_verify`); ``tests/reports/test_disclosure_audit.py`` uses the same
attacker on everything the API publishes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

INF = np.inf
LARGE = 10**6  # every count is below a million ("as large as you like" stays bounded)


@dataclass
class Attacker:
    variables: dict[str, int] = field(default_factory=dict)
    # (expression, low, high, public): public rows are the figures exact by rule
    rows: list[tuple[dict[str, float], float, float, bool]] = field(default_factory=list)

    def var(self, name: str) -> str:
        self.variables.setdefault(name, len(self.variables))
        return name

    def constrain(self, expression: dict[str, float], low: float, high: float, *,
                  public: bool = False) -> None:
        for name in expression:
            self.var(name)
        self.rows.append((expression, low, high, public))

    def marked(self, expression: dict[str, float], *, value: int | None, hidden: str,
               threshold: int, public: bool = False) -> None:
        """A published figure: shown (``value``) or hidden ("x": any count, whatever the
        reason it is hidden)."""
        if hidden in ("small", "complement"):
            self.constrain(expression, 0, INF)
        else:
            self.constrain(expression, value, value, public=public)

    def _solve(self, expression: dict[str, float], sense: int, public_only: bool) -> float:
        for name in expression:
            self.var(name)
        n = len(self.variables)
        objective = np.zeros(n)
        for name, c in expression.items():
            objective[self.variables[name]] = sense * c
        rows = [r for r in self.rows if r[3] or not public_only]
        matrix = np.zeros((max(len(rows), 1), n))
        lows, highs = [-INF] * max(len(rows), 1), [INF] * max(len(rows), 1)
        for i, (expr, low, high, _public) in enumerate(rows):
            for name, c in expr.items():
                matrix[i, self.variables[name]] = c
            lows[i], highs[i] = low, high
        result = milp(objective, integrality=np.ones(n), bounds=Bounds(0, LARGE),
                      constraints=LinearConstraint(matrix, lows, highs))
        if not result.success:
            raise ValueError(f"the figures are inconsistent: {result.message}")
        return sense * result.fun

    def range_of(self, expression: dict[str, float], *, public_only: bool = False
                 ) -> tuple[float, float]:
        return (self._solve(expression, 1, public_only),
                self._solve(expression, -1, public_only))

    def narrows(self, expression: dict[str, float], *, threshold: int) -> bool:
        """Whether the figures leave a hidden small count a range narrower than T-2 (fewer
        than T-1 values), and narrower than the public figures alone leave it."""
        low, high = self.range_of(expression)
        if high - low >= threshold - 2:
            return False
        public_low, public_high = self.range_of(expression, public_only=True)
        return high - low < min(threshold - 2, public_high - public_low)


MEASURES = ("applicants", "enrolled", "completed", "dropped")
PUBLIC_TOTALS = ("enrolled", "completed", "dropped")  # the year's, exact by rule


def run_var(run: int, measure: str) -> str:
    return f"N[{run},{measure}]"


def hierarchy_attacker(*, runs_of: dict[str, list[int]], states: dict, values: dict,
                       threshold: int) -> Attacker:
    """The attacker's model of the year's programme and run figures.

    ``states[(level, key, measure)]`` is "shown", "small" or "complement" for level
    "programme" (key: programme key) and "run" (key: run id); ``values`` the true counts.
    """
    attacker = Attacker()
    runs = [r for members in runs_of.values() for r in members]
    for run in runs:
        n = {m: attacker.var(run_var(run, m)) for m in MEASURES}
        attacker.constrain({n["completed"]: 1, n["dropped"]: 1, n["enrolled"]: -1}, -INF, 0,
                           public=True)
        attacker.constrain({n["enrolled"]: 1, n["applicants"]: -1}, -INF, 0, public=True)
    for measure in PUBLIC_TOTALS:
        total = sum(values[("run", r, measure)] for r in runs)
        attacker.constrain({run_var(r, measure): 1.0 for r in runs}, total, total, public=True)
    for (level, key, measure), state in states.items():
        members = runs_of[key] if level == "programme" else [key]
        attacker.marked({run_var(r, measure): 1.0 for r in members},
                        value=values[(level, key, measure)], hidden=state,
                        threshold=threshold)
    return attacker


def hierarchy_narrowed(*, runs_of: dict[str, list[int]], states: dict, values: dict,
                       threshold: int) -> list[tuple]:
    """The hidden small figures of the hierarchy that the published ones narrow."""
    attacker = hierarchy_attacker(runs_of=runs_of, states=states, values=values,
                                  threshold=threshold)
    found = []
    for (level, key, measure), state in states.items():
        if state != "small" or not 0 < values[(level, key, measure)] < threshold:
            continue
        members = runs_of[key] if level == "programme" else [key]
        if attacker.narrows({run_var(r, measure): 1.0 for r in members},
                            threshold=threshold):
            found.append((level, key, measure))
    return found


def hierarchy_verify(*, runs_of: dict[str, list[int]], states: dict, values: dict,
                     threshold: int) -> dict:
    """Hide more until no hidden small figure of the hierarchy can be narrowed.

    For a narrowed figure, in this order: a shown run of the same programme and measure (a
    zero first, else the smallest), the programme's figure of that measure (its runs are then
    hidden with it), a shown programme or run of that measure, then the figures of the other
    measures of the same run or programme, then of the other programmes. ``states`` is
    returned changed.
    """
    programme_of = {r: key for key, members in runs_of.items() for r in members}

    def hide(cell) -> bool:
        if states[cell] != "shown":
            return False
        states[cell] = "small" if values[cell] < threshold else "complement"
        if cell[0] == "programme":  # its runs go with it, zeros too
            for run in runs_of[cell[1]]:
                hide(("run", run, cell[2]))
        return True

    def candidates(cell):
        level, key, measure = cell
        programme = key if level == "programme" else programme_of[key]
        siblings = [("run", r, measure) for r in runs_of[programme] if r != key] \
            if level == "run" else []
        ordered = sorted(siblings, key=lambda c: (values[c] != 0, values[c]))
        ordered.append(("programme", programme, measure))
        ordered += sorted((("programme", k, measure) for k in runs_of if k != programme),
                          key=lambda c: (values[c] != 0, values[c]))
        ordered += [("run", r, measure) for k in runs_of if k != programme
                    for r in runs_of[k]]
        ordered += [(level, key, m) for m in MEASURES if m != measure]
        ordered += [("programme", programme, m) for m in MEASURES if m != measure]
        # The other measures bound this one (completed + dropped <= enrolled) across
        # programmes too, through the year's exact totals.
        ordered += [("programme", k, m) for m in MEASURES if m != measure
                    for k in runs_of if k != programme]
        return ordered

    for _round in range(len(states) + 1):
        narrowed = hierarchy_narrowed(runs_of=runs_of, states=states, values=values,
                                      threshold=threshold)
        if not narrowed:
            break
        if not any(hide(c) for cell in narrowed[:1] for c in candidates(cell)
                   if states[c] == "shown"):
            break  # nothing left to hide: every figure below the year is hidden
    return states


TRIALS = 12  # candidates tried for one narrowed count before the first one is simply hidden


def table_verify(*, cells: dict, values: dict, states: dict, base: list[dict],
                 candidates, threshold: int, last: frozenset = frozenset()) -> dict:
    """Hide more cells of a table until no hidden small count can be narrowed.

    ``cells`` maps each published cell to its linear expression over the unknown counts,
    ``values`` gives its true count and ``states`` its state ("shown", "small" or
    "complement"; returned changed). ``base`` are the relations the definitions state
    (each ``(expression, low, high)``, public). ``candidates(cell)`` lists the cells to try
    hiding for a narrowed one, the preferred first: the first shown one whose hiding widens
    the narrowed count's range is hidden, and so on until it is no longer narrowed. Cells with
    the same expression are hidden together. Hiding a cell only widens every range, so a cell
    found safe stays safe. When the cell chosen is one of ``last`` (the headline figures), two
    other candidates that widen the range together are hidden instead, if there are any.
    """

    def attacker() -> Attacker:
        made = Attacker()
        for expression, low, high in base:
            made.constrain(expression, low, high, public=True)
        for cell, expression in cells.items():
            made.marked(expression, value=values[cell], hidden=states[cell],
                        threshold=threshold)
        return made

    # Cells that publish the same sum (a programme with one run, a year with one programme)
    # are one figure: hidden together, or the twin would give it back.
    twins: dict[frozenset, list] = {}
    for cell, expression in cells.items():
        twins.setdefault(frozenset(expression.items()), []).append(cell)

    def hide(cell) -> None:
        for twin in twins[frozenset(cells[cell].items())]:
            states[twin] = "small" if values[twin] < threshold else "complement"

    def show(cell) -> None:
        for twin in twins[frozenset(cells[cell].items())]:
            states[twin] = "shown"

    def widens(trial_cells: list, cell, width: float) -> bool:
        """Whether hiding ``trial_cells`` widens the range of ``cell`` beyond ``width``."""
        for candidate in trial_cells:
            hide(candidate)
        trial = attacker()
        for candidate in trial_cells:
            show(candidate)
        trial_low, trial_high = trial.range_of(cells[cell])
        return trial_high - trial_low > width

    small = [c for c in cells if states[c] != "shown" and 0 < values[c] < threshold]
    for cell in small:
        current = attacker()
        while current.narrows(cells[cell], threshold=threshold):
            low, high = current.range_of(cells[cell])
            shown = [c for c in candidates(cell) if states[c] == "shown"]
            if not shown:
                break  # nothing left to hide
            chosen = [shown[0]]
            for candidate in shown[:TRIALS]:
                if widens([candidate], cell, high - low):
                    chosen = [candidate]
                    break
            if chosen[0] in last:
                others = [c for c in shown if c not in last][:TRIALS]
                chosen = next(([a, b] for i, a in enumerate(others) for b in others[i + 1:]
                               if widens([a, b], cell, high - low)), chosen)
            for candidate in chosen:
                hide(candidate)
            current = attacker()
    return states
