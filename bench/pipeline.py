"""The grading pipeline measured through real parts (see bench/grading.py).

Sets up a throwaway database (``lms_bench`` on this machine's PostgreSQL) with one course,
one run, learners and a released assignment, starts Celery worker processes on Redis
(database 14, purged), and times submissions made through ``submission_create`` exactly as
the site makes them.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATABASE = "lms_bench"
BROKER = "redis://127.0.0.1:6379/14"


@dataclass
class PipelineFigures:
    latencies: list[float] = field(default_factory=list)
    throughput: dict[int, float] = field(default_factory=dict)  # worker processes -> per s
    cores_busy: dict[int, float] = field(default_factory=dict)  # during each burst


def _cpu_times() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def _environment(private: str, pool: int) -> dict:
    return {
        "DJANGO_SETTINGS_MODULE": "lms.settings",
        "DJANGO_READ_DOT_ENV_FILE": "0",  # not the demo's var/demo.env (DJANGO_DEBUG=1)
        "DJANGO_SECRET_KEY": "bench-only-secret-key-not-for-production-use",
        "DJANGO_ALLOWED_HOSTS": "localhost",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
        "CELERY_BROKER_URL": BROKER,
        "LMS_PRIVATE_ROOT": private,
        "GRADING_POOL_SIZE": str(pool),
        "LMS_LOG_LEVEL": "WARNING",
        "LMS_EMAIL_VIA_CELERY": "0",
    }


def _recreate_database() -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres",
                         autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {DATABASE}")


def _site(source: bytes, learners: int):
    """A catalogue, programme, course and module; a run; learners; a released assignment."""
    from django.utils import timezone
    from wagtail.models import Locale, Page

    from courses.models import (
        CataloguePage,
        CoursePage,
        Enrolment,
        ModulePage,
        ProgrammePage,
        ProgrammeRun,
    )
    from grading.models import Assignment
    from grading.services.assignments import assignment_release, assignment_source_set
    from lms.accounts.models import User

    locale, _ = Locale.objects.get_or_create(language_code="ko")
    root = Page.get_first_root_node()

    def add(parent, page):
        parent.add_child(instance=page)
        page.save_revision().publish()
        return page

    catalogue = add(root, CataloguePage(title="Bench", slug="bench", locale=locale,
                                             intro="<p>bench</p>"))
    programme = add(catalogue, ProgrammePage(
        title="Bench programme", slug="programme", summary="s", total_hours=10,
        audience="<p>a</p>", learning_outcomes="<p>o</p>", completion_rule="<p>r</p>"))
    course = add(programme, CoursePage(title="Bench course", slug="course", summary="s",
                                       hours=10))
    module = add(course, ModulePage(title="Squares", slug="squares", body=[
        ("notebook_assignment", {"assignment_key": "bench-squares", "title": "Squares",
                                 "instructions": ""})]))
    today = timezone.localdate()
    run = ProgrammeRun.objects.create(
        programme=programme, number=1, year=today.year, starts_on=today,
        ends_on=today + dt.timedelta(days=30), capacity=100_000,
        enrolment_opens_at=timezone.now() - dt.timedelta(days=1),
        enrolment_closes_at=timezone.now() + dt.timedelta(days=1))
    users = [User.objects.create_user(email=f"bench{i}@example.com", password=None)
             for i in range(learners)]
    Enrolment.objects.bulk_create([Enrolment(learner=u, run=run, status="enrolled",
                                             enrolled_at=timezone.now()) for u in users])
    assignment = Assignment.objects.create(key="bench-squares", title="Squares",
                                           module=module, time_limit_seconds=60)
    assignment_source_set(assignment=assignment, data=source)
    assignment = assignment_release(assignment_id=assignment.pk)
    if not assignment.is_released:
        raise SystemExit(f"the bench assignment did not pass its release check: "
                         f"{assignment.release_report}")
    return assignment, users


def _start_workers(count: int, env: dict) -> list[subprocess.Popen]:
    return [subprocess.Popen(  # noqa: S603 - fixed argv
        [sys.executable, "-m", "celery", "-A", "lms", "worker", "-Q", "grading",
         "--pool", "prefork", "--concurrency", "1", "--loglevel", "WARNING",
         "--without-gossip", "--without-mingle", "--hostname", f"bench{i}-{os.getpid()}@%h"],
        cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True) for i in range(count)]


def _stop_workers(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)


def _wait_graded(ids: list[int], timeout: float = 300) -> None:
    from grading.models import Grade

    deadline = time.monotonic() + timeout
    while Grade.objects.filter(submission_id__in=ids).count() < len(ids):
        if time.monotonic() > deadline:
            raise SystemExit(f"only {Grade.objects.filter(submission_id__in=ids).count()} "
                             f"of {len(ids)} submissions were graded in {timeout} s")
        time.sleep(0.05)


def _submit(assignment, learner, source: bytes, tag: str):
    import nbformat

    from grading.services.submissions import submission_create

    notebook = nbformat.reads(source.decode(), as_version=4)
    notebook.metadata["bench"] = tag  # different bytes: each is a submission of its own
    data = nbformat.writes(notebook).encode()
    return submission_create(assignment=assignment, learner=learner, data=data).submission


def _settle(*, quiet: float = 0.35, timeout: float = 60.0) -> None:
    """Wait until the machine is nearly idle (the workers' pools refilled), at most
    ``timeout`` seconds: a burst then measures grading, not the pools' first fill."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy0, total0 = _cpu_times()
        time.sleep(0.5)
        busy1, total1 = _cpu_times()
        if (busy1 - busy0) / max(total1 - total0, 1) < quiet:
            return


def _warm(assignment, learners, source: bytes, tag: str) -> None:
    """Start each worker's pools the way a deadline does: a pool first fills with the
    scientific libraries imported (what most notebooks need) and then learns from what it is
    asked for; a few submissions of the benchmark's notebook teach it, and the pairs with
    libraries it no longer needs are used up. Then wait for the refills."""
    time.sleep(3)  # the workers connect to the broker
    ids = [_submit(assignment, learner, source, f"{tag}-warm{i}").pk
           for i, learner in enumerate(learners)]
    _wait_graded(ids)
    _settle()


def bench_pipeline(*, source: bytes, n: int, burst: int, pool: int) -> PipelineFigures:
    private = tempfile.mkdtemp(prefix="lms-bench-private-")
    env = _environment(private, pool)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    _recreate_database()
    import django

    django.setup()
    from django.core.management import call_command

    from grading.models import Grade
    from lms.celery import app

    call_command("migrate", verbosity=0)
    warm = 4 * pool  # per worker process: its first fills, and as many again
    assignment, learners = _site(source, learners=n + 2 * burst + 3 * warm)
    warmers = learners[n + 2 * burst:]
    app.control.purge()
    figures = PipelineFigures()

    workers = _start_workers(1, env)
    try:
        _warm(assignment, warmers[:warm], source, "one")
        for index in range(n):
            submission = _submit(assignment, learners[index], source, f"seq{index}")
            _wait_graded([submission.pk])
            # Learners submit one by one, at a pace the pool keeps up with (a sandbox with
            # the libraries imported takes about 1.3 s to start); bursts are measured below.
            time.sleep(1.5)
            grade = Grade.objects.get(submission=submission)
            figures.latencies.append((grade.graded_at - submission.submitted_at)
                                     .total_seconds())
        figures.throughput[1], figures.cores_busy[1] = _burst(
            assignment, learners[n:n + burst], source, "one")
    finally:
        _stop_workers(workers)

    workers = _start_workers(2, env)
    try:
        _warm(assignment, warmers[warm:], source, "two")
        figures.throughput[2], figures.cores_busy[2] = _burst(
            assignment, learners[n + burst:n + 2 * burst], source, "two")
    finally:
        _stop_workers(workers)
    return figures


def _burst(assignment, learners, source: bytes, tag: str) -> tuple[float, float]:
    """Submissions per second for a burst, and how many cores the machine kept busy."""
    busy0, total0 = _cpu_times()
    started = time.perf_counter()
    ids = [_submit(assignment, learner, source, f"{tag}{i}").pk
           for i, learner in enumerate(learners)]
    _wait_graded(ids)
    elapsed = time.perf_counter() - started
    busy1, total1 = _cpu_times()
    cores = (busy1 - busy0) / max(total1 - total0, 1) * (os.cpu_count() or 1)
    return len(ids) / elapsed, cores
