"""Grading speed: the engine (warm pool and cold) against plain nbgrader, in one run.

    .venv/bin/python bench/grading.py [--n 20] [--nbgrader-runs 3]

Grades the same trivial nbgrader notebook N times from a warm sandbox pool, a few times
with a cold sandbox, and a few times with plain `nbgrader autograde --student` (its CLI,
in a throwaway course directory), then prints p50/p95 for each and the ratio of nbgrader's
p50 to the warm p50. This is the engine alone; the pipeline through a Celery worker and
broker is measured once the submission pipeline exists.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grading.engine import notebook_grade  # noqa: E402
from grading.notebooks import nbgrader_metadata as meta  # noqa: E402
from grading.sandbox.local import SandboxPool  # noqa: E402

SOURCE = new_notebook(
    metadata={"kernelspec": {"name": "python3", "language": "python",
                             "display_name": "Python 3"}},
    cells=[
        new_code_cell("def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n"
                      "    ### END SOLUTION", metadata=meta(solution=True, grade_id="square")),
        new_code_cell("assert square(3) == 9", metadata=meta(grade=True, grade_id="t",
                                                                points=1)),
    ],
)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bench_engine(n: int, pool_size: int) -> tuple[list[float], list[float]]:
    source = nbformat.writes(SOURCE).encode()
    pool = SandboxPool(size=pool_size)
    try:
        while pool._ready.qsize() < pool_size:
            time.sleep(0.05)
        warm = []
        for _ in range(n):
            while pool._ready.qsize() < 1:  # steady state: the pool keeps up between grades
                time.sleep(0.01)
            started = time.perf_counter()
            result = notebook_grade(source=source, submission=source, pool=pool)
            warm.append(time.perf_counter() - started)
            if result.score != 1.0:
                raise SystemExit(f"the engine graded a correct notebook {result}")
    finally:
        pool.close()
    cold = []
    for _ in range(3):
        started = time.perf_counter()
        notebook_grade(source=source, submission=source)
        cold.append(time.perf_counter() - started)
    return warm, cold


def bench_nbgrader(runs: int) -> list[float]:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}

    def nbgrader(course: Path, *args: str) -> None:
        subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,  # noqa: S603
                       check=True, capture_output=True, timeout=600)

    times = []
    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp)
        (course / "source" / "ps1").mkdir(parents=True)
        (course / "nbgrader_config.py").write_text("c = get_config()\n"
                                                   "c.CourseDirectory.course_id = 'bench'\n")
        nbformat.write(SOURCE, course / "source" / "ps1" / "problem1.ipynb")
        nbgrader(course, "generate_assignment", "ps1", "--force")
        for index in range(runs):
            student = f"s{index}"
            nbgrader(course, "db", "student", "add", student)
            target = course / "submitted" / student / "ps1"
            target.mkdir(parents=True)
            nbformat.write(SOURCE, target / "problem1.ipynb")
            started = time.perf_counter()
            nbgrader(course, "autograde", "ps1", "--student", student, "--force")
            times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20, help="warm grades")
    parser.add_argument("--pool", type=int, default=2, help="sandboxes kept ready")
    parser.add_argument("--nbgrader-runs", type=int, default=3)
    args = parser.parse_args()

    warm, cold = bench_engine(args.n, args.pool)
    plain = bench_nbgrader(args.nbgrader_runs)
    rows = [("engine, warm pool", warm), ("engine, cold sandbox", cold),
            ("nbgrader autograde (baseline)", plain)]
    print(f"{'':32} {'n':>4} {'p50 s':>8} {'p95 s':>8}")  # noqa: T201
    for label, values in rows:
        print(f"{label:32} {len(values):>4} {statistics.median(values):>8.3f} "  # noqa: T201
              f"{percentile(values, 0.95):>8.3f}")
    ratio = statistics.median(plain) / statistics.median(warm)
    print(f"nbgrader p50 / warm engine p50 = {ratio:.0f}x (target: at least 8x)")  # noqa: T201


if __name__ == "__main__":
    main()
