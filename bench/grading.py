"""Grading speed, end to end, against plain nbgrader, in one run.

    make bench        (or: .venv/bin/python bench/grading.py [--n 20] [--burst 24])

1. The pipeline: a throwaway PostgreSQL database (``lms_bench``) and Redis (database 14) of
   this machine, real Celery worker processes (prefork, each with its warm sandbox pool).
   N trivial submissions are made one after the other through the same service as the site
   (``submission_create``: stored, committed, sent to the broker); the time from
   "submitted" to "grade stored" is the grade's ``graded_at`` minus the submission's
   ``submitted_at``. Then a burst of submissions at once, with one worker process and with
   two, gives the throughput of each (two processes on two cores should double it).
2. The engine alone: warm pool and cold sandbox (no database, no broker).
3. The baseline: plain ``nbgrader autograde --student`` (its CLI, in a throwaway course
   directory) on the same notebook, and the ratio of its p50 to the pipeline's p50.
4. The demo's pm-classifier (scikit-learn, its data and its hidden evaluation month), graded
   by this engine (a judge and a learner process) and by the engine as it was before the
   judge split (``BEFORE_SPLIT``, taken from git into a temporary folder, with the notebook
   of that commit), each from a cold start, in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
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

from grading.autograder.engine import notebook_grade  # noqa: E402
from grading.autograder.notebooks import nbgrader_metadata as meta  # noqa: E402
from grading.autograder.sandbox.local import SandboxPool  # noqa: E402

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
        while pool.ready_count() < pool_size:
            time.sleep(0.05)
        warm = []
        for _ in range(n):
            while pool.ready_count() < 1:  # steady state: the pool keeps up between grades
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


# The last commit whose engine ran tests in the learner's own process.
BEFORE_SPLIT = "9415cb55b144ead95c4b5754fbbbdf551002acd6"
DEMO = ROOT / "courses" / "demo_content"
OLD_ENGINE = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from grading.engine import notebook_grade
source = Path(sys.argv[2]).read_bytes()
times = []
for _ in range(int(sys.argv[4])):
    started = time.perf_counter()
    result = notebook_grade(source=source, submission=source, data_dir=Path(sys.argv[3]),
                            timeout=300, cell_timeout=120)
    times.append(time.perf_counter() - started)
print(json.dumps({"times": times, "score": result.score}))
"""


def bench_demo(runs: int) -> tuple[list[float], list[float] | None]:
    """pm-classifier graded cold by this engine, and by the engine before the split (None
    when git cannot give that commit, e.g. in a shallow clone)."""
    key = "pm-classifier"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data, hidden = folder / "data", folder / "hidden"
        data.mkdir()
        hidden.mkdir()
        shutil.copy(DEMO / "data" / "bearing_health.csv", data)
        shutil.copy(DEMO / "data" / "bearing_health_holdout.csv", hidden)
        source = (DEMO / "assignments" / f"{key}.ipynb").read_bytes()
        now = []
        for _ in range(runs):
            started = time.perf_counter()
            result = notebook_grade(source=source, submission=source, data_dir=data,
                                    hidden_dir=hidden, timeout=300, cell_timeout=120)
            now.append(time.perf_counter() - started)
            if result.score < 8:
                raise SystemExit(f"the engine graded the source {result.as_dict()}")
        old = folder / "before"
        old.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", BEFORE_SPLIT,  # noqa: S603, S607
                                  "grading", f"courses/demo_content/assignments/{key}.ipynb"],
                                 capture_output=True, check=False)
        if archive.returncode != 0:
            return now, None
        subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout,  # noqa: S603, S607
                       check=True)
        done = subprocess.run(  # noqa: S603
            [sys.executable, "-c", OLD_ENGINE, str(old),
             str(old / "courses" / "demo_content" / "assignments" / f"{key}.ipynb"), str(data),
             str(runs)], capture_output=True, text=True, check=True, timeout=1800)
        before = json.loads(done.stdout.strip().splitlines()[-1])
        return now, before["times"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20, help="submissions, one after the other")
    parser.add_argument("--burst", type=int, default=40, help="submissions sent at once")
    parser.add_argument("--pool", type=int, default=2, help="sandboxes kept ready")
    parser.add_argument("--nbgrader-runs", type=int, default=3)
    parser.add_argument("--demo-runs", type=int, default=3)
    args = parser.parse_args()

    from bench.pipeline import bench_pipeline

    pipeline = bench_pipeline(source=nbformat.writes(SOURCE).encode(), n=args.n,
                              burst=args.burst, pool=args.pool)
    warm, cold = bench_engine(args.n, args.pool)
    plain = bench_nbgrader(args.nbgrader_runs)
    demo_now, demo_before = bench_demo(args.demo_runs)
    rows = [("pipeline: submitted -> stored", pipeline.latencies),
            ("engine, warm pool", warm), ("engine, cold sandbox", cold),
            ("nbgrader autograde (baseline)", plain),
            ("pm-classifier, judge split", demo_now)]
    if demo_before:
        rows.append(("pm-classifier, before (baseline)", demo_before))
    print(f"{'':32} {'n':>4} {'p50 s':>8} {'p95 s':>8}")  # noqa: T201
    for label, values in rows:
        print(f"{label:32} {len(values):>4} {statistics.median(values):>8.3f} "  # noqa: T201
              f"{percentile(values, 0.95):>8.3f}")
    for workers, per_second in sorted(pipeline.throughput.items()):
        cores = pipeline.cores_busy[workers]
        print(f"throughput, {workers} worker process(es): {per_second:.1f} "  # noqa: T201
              f"grades/s ({args.burst} at once; {cores:.1f} of {os.cpu_count()} cores busy, "
              f"{cores / per_second:.3f} CPU-s a grade, the whole machine)"
              + ("  (goal: at least 6.7 grades/s on two cores)" if workers == 2 else ""))
    if len(pipeline.throughput) == 2:
        one, two = (pipeline.throughput[k] for k in sorted(pipeline.throughput))
        print(f"two processes / one process = {two / one:.2f}x (goal: at least 1.8x; "  # noqa: T201
              f"one process already kept {pipeline.cores_busy[1]:.1f} cores busy: its pool "
              "starts sandboxes beside the grading thread)")
    print(f"pipeline p50 = {statistics.median(pipeline.latencies):.3f} s "  # noqa: T201
          "(target: at most 0.2 s)")
    ratio = statistics.median(plain) / statistics.median(pipeline.latencies)
    print(f"nbgrader p50 / pipeline p50 = {ratio:.0f}x (target: at least 25x)")  # noqa: T201
    if demo_before:
        slower = statistics.median(demo_now) / statistics.median(demo_before)
        print(f"pm-classifier p50, judge split / before = {slower:.2f}x "  # noqa: T201
              "(target: at most 1.5x)")
    else:
        print(f"pm-classifier: commit {BEFORE_SPLIT[:10]} is not in this clone; "  # noqa: T201
              "no baseline")


if __name__ == "__main__":
    main()
