"""What the release check's report says, read for the release page: the points the tests
grade and the points that wait for a person, for the source and the released version."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class CheckedNotebook:
    """One graded notebook of the report (the source, or the released version)."""

    status: str
    message: str
    auto_score: float
    auto_max: float
    manual_max: float
    cells: list[dict] = field(default_factory=list)  # grade_id, score, max_score, manual

    @property
    def auto_full(self) -> bool:
        return self.auto_max > 0 and self.auto_score >= self.auto_max


def _notebook(part: dict, manual_ids: set[str]) -> CheckedNotebook:
    cells = [{**c, "manual": bool(c.get("manual")) or c.get("grade_id") in manual_ids}
             for c in part.get("cells", [])]
    auto = [c for c in cells if not c["manual"]]
    return CheckedNotebook(
        status=part.get("status", ""), message=part.get("message", ""),
        auto_score=sum(float(c["score"]) for c in auto),
        auto_max=sum(float(c["max_score"]) for c in auto),
        manual_max=sum(float(c["max_score"]) for c in cells if c["manual"]), cells=cells)


def release_report_read(report: dict) -> dict:
    """``{"source": CheckedNotebook | None, "released": ...}`` of a stored report (cells
    graded by hand are those the check listed under ``manual_cells``)."""
    manual_ids = set(report.get("manual_cells") or [])
    return {name: _notebook(report[name], manual_ids) if report.get(name) else None
            for name in ("source", "released")}
