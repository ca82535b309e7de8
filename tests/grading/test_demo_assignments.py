"""The demo programme's three notebook assignments, graded for real and seeded for real.

The module pages of ``courses/demo_content/programme.yaml`` promise specifics (function names,
time windows, costs, targets); the notebooks of ``courses/demo_content/assignments/`` must ask
exactly that, pass their own release check (the source scores every autograded point, the
released version less, a typical wrong answer less) and stay what ``build.py`` makes. Each
grade runs the notebook in the real sandbox (bubblewrap), as ``manage.py grade_notebook``
does, with the CSV files beside it.
"""

from __future__ import annotations

import functools
import importlib.util
import re
import shutil
import tempfile
from pathlib import Path

import nbformat
import pytest

from grading.autograder.engine import notebook_grade
from grading.autograder.notebooks import (
    grading_plan,
    is_grade,
    is_locked,
    is_solution,
    notebook_load,
    source_validate,
)
from grading.autograder.release import released_notebook
from grading.demo import ASSIGNMENTS_DIR, DATA_DIR, DEMO_ASSIGNMENTS, DEMO_HIDDEN_FILES

KEYS = list(DEMO_ASSIGNMENTS)
POINTS = {"sensor-spc": (8, 2), "pm-classifier": (8, 2), "defect-inspector": (8, 3)}

# What the module pages promise for each assignment, in both languages; the released notebook
# (what learners get) must say it too.
PROMISES = {
    "sensor-spc": [
        "line_sensors.csv", "clean_sensors(df)", "중복, 오류 코드, 범위 밖 값",
        "duplicates, error codes and out-of-range values", "설비별·시간대별",
        "per machine and hour",
        "평균 온도", "mean temperature", "CNC-03", "X̄ 관리도", "X-bar chart", "부분군 10분",
        "10-minute subgroups", "08:00~11:59", "08:00–11:59", "처음으로 관리한계를 벗어난",
        "first time it goes beyond a control limit", "3~5문장", "three to five sentences",
        "60%",
    ],
    "pm-classifier": [
        "bearing_health.csv", "7일 틈을 둔 시간 기준 분할", "by time with a 7-day gap",
        "미래를 보지 않는 설비별 특징", "do not look into the future", "세 개 이상",
        "at least three", "한 줄", "one line", "로지스틱 회귀와 랜덤 포레스트",
        "logistic regression",
        "random forest", "설비 기준 교차 검증", "cross-validation by machine", "PR AUC",
        "50만 원", "300만 원", "500,000 won", "3,000,000 won", "평가 기간의 비용",
        "cost over the test period", "1~7일 전에 경보가 울린 비율",
        "failure events that got an alarm 1 to", "pm_model.joblib", "드리프트 지표",
        "drift indicators", "random_state", "60%",
    ],
    "defect-inspector": [
        "surface_patches.csv", "층화 분할", "stratified", "평가용은 마지막까지 따로",
        "keep the test set aside until the", "손으로 만든 특징 기반 기준 분류기",
        "baseline classifier on hand-made features", "합성곱 특징 + 증강",
        "convolution features with augmentation", "교차 검증", "cross-validation",
        "유출률 2% 이하", "escape rate", "at 2% or below", "과검출이 가장 적은",
        "the fewest overkills", "유출률과 과검출률", "escape and overkill rates",
        "패치당 처리 시간", "processing time per patch", "라인 속도", "line speed", "0.8",
        "생산 팀장", "production manager", "반 쪽 분량", "half-page", "성능, 한계, 운영 제안",
        "performance, limits", "측정 방법과 판단 근거", "method and reasoning", "60%",
    ],
}

# A typical wrong answer for each: (solution cell, text in it, replacement).
WRONG = {
    # Drops every row with a missing value instead of marking odd values as missing.
    "sensor-spc": ("clean_sensors", "    return out\n", "    return out.dropna()\n"),
    # Splits at the boundary with no gap: the last training labels see the test period.
    "pm-classifier": ("split_and_features",
                      'train = df[df["date"] < start - pd.Timedelta(days=gap_days)]',
                      'train = df[df["date"] < start]'),
    # Keeps the default threshold of 0.5 instead of meeting the escape-rate target.
    "defect-inspector": ("threshold",
                         'threshold = choose_threshold(val_p_defect, y_train != "ok")',
                         "threshold = 0.5"),
}


def _source(key: str) -> bytes:
    return (ASSIGNMENTS_DIR / f"{key}.ipynb").read_bytes()


def _notebook(key: str) -> nbformat.NotebookNode:
    return nbformat.reads(_source(key).decode(), as_version=4)


def _cell(notebook: nbformat.NotebookNode, grade_id: str) -> nbformat.NotebookNode:
    return next(c for c in notebook.cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _submission(key: str, variant: str) -> bytes:
    if variant == "source":
        return _source(key)
    if variant == "released":
        return nbformat.writes(released_notebook(_notebook(key), assignment_key=key)).encode()
    notebook = _notebook(key)
    grade_id, old, new = WRONG[key]
    cell = _cell(notebook, grade_id)
    assert old in cell.source
    cell.source = cell.source.replace(old, new)
    return nbformat.writes(notebook).encode()


def _folder(names: tuple[str, ...]) -> Path | None:
    """A folder holding just ``names`` from the demo's data (as the site's worker makes)."""
    if not names:
        return None
    folder = Path(tempfile.mkdtemp(prefix="demo-data-"))
    for name in names:
        shutil.copy(DATA_DIR / name, folder / name)
    return folder


@functools.cache
def _grade(key: str, variant: str):
    """One real sandbox run per notebook and variant, shared by the tests below."""
    return notebook_grade(source=_source(key), submission=_submission(key, variant),
                          data_dir=_folder(DEMO_ASSIGNMENTS[key]),
                          hidden_dir=_folder(DEMO_HIDDEN_FILES.get(key, ())), timeout=60.0)


def _auto_points(key: str) -> float:
    plan = grading_plan(source=_notebook(key), submission=_notebook(key))
    return sum(s.points for s in plan.steps if s.points and not s.manual)


@pytest.mark.parametrize("key", KEYS)
def test_the_source_is_a_valid_nbgrader_source(key):
    notebook = notebook_load(_source(key), max_bytes=5 * 1024 * 1024)
    source_validate(notebook)

    plan = grading_plan(source=notebook, submission=notebook)
    manual = [s for s in plan.steps if s.manual]
    assert (_auto_points(key), sum(s.points for s in manual)) == POINTS[key]
    assert 8 <= plan.max_score <= 12
    assert [(s.cell_type, s.kind) for s in manual] == [("markdown", "answer")]
    code_solutions = [c for c in notebook.cells if is_solution(c) and c.cell_type == "code"]
    assert 2 <= len(code_solutions) <= 4
    assert all("### BEGIN SOLUTION" in c.source for c in code_solutions)
    tests = [c for c in notebook.cells if is_grade(c) and c.cell_type == "code"]
    assert all("assert" in c.source.split("### BEGIN HIDDEN TESTS")[0] for c in tests)
    assert all("### BEGIN HIDDEN TESTS" in c.source for c in tests)
    # Commit-ready: no outputs, no execution counts.
    assert all(not c.get("outputs") and c.get("execution_count") is None
               for c in notebook.cells if c.cell_type == "code")


@pytest.mark.parametrize("key", KEYS)
def test_the_notebook_reads_its_data_files_by_bare_name_in_a_locked_cell(key):
    notebook = _notebook(key)
    read = {name for c in notebook.cells
            if is_locked(c) and not is_grade(c) and c.cell_type == "code"
            for name in re.findall(r'read_csv\("([^"]+)"', c.source)}
    # Hidden files are read by hidden tests only (the learners never see those lines).
    hidden = {name for c in notebook.cells if is_grade(c) and c.cell_type == "code"
              for name in re.findall(r'read_csv\("([^"]+)"',
                                     c.source.partition("### BEGIN HIDDEN TESTS")[2])}

    assert read == set(DEMO_ASSIGNMENTS[key])
    assert hidden == set(DEMO_HIDDEN_FILES.get(key, ()))
    assert all((DATA_DIR / name).is_file() for name in read | hidden)


@pytest.mark.parametrize("key", KEYS)
def test_the_notebooks_are_what_build_py_makes(key):
    spec = importlib.util.spec_from_file_location("demo_assignments_build",
                                                  ASSIGNMENTS_DIR / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)

    assert build.DATA_FILES[key] == DEMO_ASSIGNMENTS[key]
    assert build.HIDDEN_FILES.get(key, ()) == DEMO_HIDDEN_FILES.get(key, ())
    assert build.build(key) == _source(key).decode(), "run assignments/build.py again"


@pytest.mark.parametrize("key", KEYS)
def test_the_instructions_say_what_the_module_page_promises(key):
    released = released_notebook(_notebook(key), assignment_key=key)
    text = "\n".join(c.source for c in released.cells if c.cell_type == "markdown")
    text = re.sub(r"\s+", " ", text)  # promises may wrap across lines
    text = text.replace("&#126;", "~")  # ranges are written "1&#126;7" (GFM strikethrough)

    missing = [promise for promise in PROMISES[key] if promise not in text]
    assert not missing
    first_korean = re.search(r"[가-힣]", text).start()
    assert first_korean < text.index(" the ")  # Korean first, English below


@pytest.mark.parametrize("key", KEYS)
def test_the_source_scores_every_autograded_point(key):
    result = _grade(key, "source")

    assert result.status == "graded", result.message
    assert result.score == _auto_points(key) == result.max_score - POINTS[key][1]
    assert result.needs_manual_grade
    manual = {s.grade_id for s in grading_plan(source=_notebook(key),
                                               submission=_notebook(key)).steps if s.manual}
    assert all(c.passed for c in result.cells if c.grade_id not in manual)


@pytest.mark.parametrize("key", KEYS)
def test_the_released_notebook_scores_less(key):
    result = _grade(key, "released")

    assert result.status == "graded"
    assert result.score < _auto_points(key)


@pytest.mark.parametrize("key", KEYS)
def test_a_typical_wrong_answer_scores_less_than_full(key):
    result = _grade(key, "wrong")

    assert result.status == "graded"
    assert 0 < result.score < _auto_points(key)


@pytest.mark.django_db
def test_seeding_the_demo_creates_and_releases_the_assignments_once(monkeypatch):
    from grading import demo
    from grading.models import Assignment, AssignmentDataFile
    from lms.core.demo import demo_seed

    demo_seed()

    assignments = {a.key: a for a in Assignment.objects.select_related("module")}
    assert set(assignments) == set(KEYS)
    for key, assignment in assignments.items():
        assert assignment.is_released, assignment.release_report
        assert assignment.release_report["passed"]
        assert key in assignment.module.specific.assignment_keys
        assert assignment.module.locale.language_code == "ko"
        assert assignment.title
        assert float(assignment.max_score) == sum(POINTS[key])
        assert (assignment.max_attempts, assignment.counting, assignment.time_limit_seconds,
                assignment.due_at) == (5, "best", 60, None)
        assert (float(assignment.late_penalty_percent_per_day),
                float(assignment.late_penalty_cap_percent)) == (10, 50)
        names = sorted(assignment.data_files.visible().values_list("name", flat=True))
        assert names == sorted(DEMO_ASSIGNMENTS[key])
        hidden = sorted(assignment.data_files.filter(hidden=True).values_list("name", flat=True))
        assert hidden == sorted(DEMO_HIDDEN_FILES.get(key, ()))
        assert assignment.release_report["hidden_files"] == hidden

    def snapshot():
        return (sorted(Assignment.objects.values_list(
                    "pk", "key", "source", "source_sha256", "released", "released_at",
                    "release_state")),
                sorted(AssignmentDataFile.objects.values_list("pk", "name", "file", "sha256")))

    before = snapshot()

    def no_release(**kwargs):
        raise AssertionError("a released, unchanged assignment was released again")

    monkeypatch.setattr(demo, "assignment_release", no_release)
    demo_seed()

    assert snapshot() == before
