"""Deadline night: 400 learners submit within a minute while others browse, in one run.

    .venv/bin/python bench/deadline_rush.py   [--learners 400] [--window 60] [--browsers 10]

Everything is real and on this machine:

1. A throwaway PostgreSQL database (``aimd_bench_rush``, dropped at the end) is migrated and
   seeded with the demo (``seed_demo --without-release``: programme, courses, runs, the
   ministry officer), plus one module holding a small released notebook assignment (the
   squares notebook of bench/grading.py, released through the real release check: a grade
   costs the pipeline, not the learner's code). The
   learners are made in bulk (complete profiles with consent, enrolled in the programme's
   newest run) and signed in server-side: a session row each and its cookie, so that no time
   goes on password hashing.
2. The production stack: gunicorn serving ``lms.wsgi`` (gthread workers, DEBUG off, static
   files collected and served by whitenoise, settings ``bench/rush_settings.py``), a Celery
   worker on the ``grading`` queue (prefork, its warm sandbox pools) and Celery beat (the
   grading sweep), on Redis database 13 (broker) and 12 (cache, which the submission rate
   limit shares between web processes). Both are flushed before and after.
3. The rush (an asyncio client on aiohttp, in this process): each learner arrives at a random
   time in the window (a Poisson process conditioned on the number of arrivals), opens the
   module page, downloads the released notebook, fills in the answer, posts it to the
   submit URL as the page's form would (CSRF token, JSON answer) and then polls the
   assignment panel as the page's script does (grading/static/grading/panel.js: after a
   second, then further apart up to ten seconds, with jitter) until the grade shows. Each
   person has a connection of their own, as a browser would, so requests queue at the
   server, not in the client. Meanwhile ``--browsers`` signed-in people load the module
   page, "My learning" and the ministry dashboard with a think time of 0.5 to 1.5 s: their
   latency is the page latency during the rush (from the first arrival until the last
   grade). A request with no answer within 120 s counts as failed, like a 5xx.
4. Then, with the queue drained, the database says what was accepted, graded and lost
   (accepted, never graded: the target is 0) and the time to grade (``graded_at`` minus
   ``submitted_at``). Last, the throughput of the learner's pages (module, course and
   programme pages, "My learning") and of the ministry dashboard is measured with closed-loop
   clients against the same gunicorn, as a fraction of the throughput of a trivial view
   (``/bench/ok``: same middleware, no template, no query); the goal is 15 % for each
   learner page. ``--pages-only`` seeds, starts gunicorn and measures only that (no rush, no
   worker): a quick check of the pages.

The load client shares the two cores with the server, and other work may share the
machine: each phase prints how busy the machine was, how much of it was this benchmark's
processes (the client included) and how much was other processes', so that the figures can
be read with it. Exit status 1 when a target is missed. Every process started is stopped
(process groups) and the database and Redis databases emptied, also after an error or
Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import functools
import io
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DATABASE = "aimd_bench_rush"
POSTGRES = "postgresql://postgres@127.0.0.1:5432"
BROKER = "redis://127.0.0.1:6379/13"
CACHE = "redis://127.0.0.1:6379/12"
ASSIGNMENT_KEY = "rush-squares"
ANSWER = "def square(x):\n    return x * x\n"
PANEL_JS = ROOT / "grading" / "static" / "grading" / "panel.js"
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@functools.cache
def _panel_polling() -> tuple[float, float, float]:
    """The first wait, the longest wait (seconds) and the growth between polls of the
    assignment panel's script, read from the script itself so that the load follows it."""
    script = PANEL_JS.read_text(encoding="utf-8")
    found = {name: float(re.search(rf"\b{name} = ([0-9.]+)", script).group(1))
             for name in ("FIRST_MS", "MAX_MS", "GROWTH")}
    return found["FIRST_MS"] / 1000, found["MAX_MS"] / 1000, found["GROWTH"]


def poll_delay(tries: int, rng: random.Random) -> float:
    """Seconds before the panel's next poll, as panel.js waits: growing from the first wait
    by the growth factor up to the longest, with ±20 % jitter."""
    first, longest, growth = _panel_polling()
    return min(first * growth ** tries, longest) * (0.8 + 0.4 * rng.random())


def _source() -> bytes:
    """The instructor's notebook: one answer cell, one test (the squares of bench/grading.py:
    a grade costs the pipeline, not the learner's code)."""
    from nbformat.v4 import new_code_cell, new_notebook

    from grading.autograder.notebooks import nbgrader_metadata as meta

    return nbformat.writes(new_notebook(
        metadata={"kernelspec": {"name": "python3", "language": "python",
                                 "display_name": "Python 3"}},
        cells=[
            new_code_cell("def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n"
                          "    ### END SOLUTION",
                          metadata=meta(solution=True, grade_id="square")),
            new_code_cell("assert square(3) == 9",
                          metadata=meta(grade=True, grade_id="t", points=1)),
        ])).encode()


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank percentile (as bench/grading.py)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# --- Set-up: database, data, processes -------------------------------------------------------

def _environment(tmp: Path) -> dict[str, str]:
    """Production settings, pointed at this run's database, Redis databases and folders."""
    return {
        "DJANGO_SETTINGS_MODULE": "bench.rush_settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_READ_DOT_ENV_FILE": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),  # this run's only
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        # Plain http on loopback: cookies without the Secure flag, no redirect to https.
        "DJANGO_SECURE_COOKIES": "0",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_HSTS_SECONDS": "0",
        "DATABASE_URL": f"{POSTGRES}/{DATABASE}".replace("postgresql://", "postgres://"),
        "CACHE_URL": CACHE,
        "CELERY_BROKER_URL": BROKER,
        "LMS_VAR_DIR": str(tmp / "var"),
        "LMS_PRIVATE_ROOT": str(tmp / "private"),
        "DJANGO_STATIC_ROOT": str(tmp / "static"),
        "DJANGO_MEDIA_ROOT": str(tmp / "media"),
        "JUPYTERHUB_URL": "",
        "LMS_LOG_LEVEL": "WARNING",
        "LMS_EMAIL_VIA_CELERY": "0",
        "EMAIL_URL": "consolemail://",
    }


def _database_recreate() -> None:
    import psycopg

    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {DATABASE}")


def _database_drop() -> None:
    import psycopg

    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


def _redis_flush() -> None:
    import redis

    for url in (BROKER, CACHE):
        redis.Redis.from_url(url).flushdb()


@dataclass
class Site:
    module_url: str
    course_url: str
    programme_url: str
    learning_url: str
    ministry_url: str
    released_url: str
    submit_url: str
    panel_url: str
    learner_cookies: list[dict[str, str]]
    officer_cookies: dict[str, str]


def _session_cookie(user) -> dict[str, str]:
    """A signed-in session made server-side, as ``login()`` would store it."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return {settings.SESSION_COOKIE_NAME: session.session_key}


def _site_seed(*, learners: int, rng: random.Random) -> Site:
    """The demo, a module with the released squares assignment, enrolled learners."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.urls import reverse
    from django.utils import timezone
    from django.utils.translation import override

    from courses.models import CoursePage, Enrolment, ModulePage, ProgrammePage, ProgrammeRun
    from grading.models import Assignment
    from grading.services.assignments import assignment_release, assignment_source_set
    from lms.accounts.models import (
        LearnerProfile,
        ParticipantStatus,
        Region,
        Role,
        User,
    )
    from lms.accounts.services import role_group

    call_command("seed_demo", without_release=True, without_history=True,
                 stdout=io.StringIO())
    programme = ProgrammePage.objects.live().filter(locale__language_code="ko").first()
    course = CoursePage.objects.live().child_of(programme).first()
    module = ModulePage(title="Deadline rush", slug="deadline-rush", body=[
        ("notebook_assignment", {"assignment_key": ASSIGNMENT_KEY, "title": "Squares",
                                 "instructions": ""})])
    course.add_child(instance=module)
    module.save_revision().publish()
    assignment = Assignment.objects.create(key=ASSIGNMENT_KEY, title="Squares", module=module,
                                           time_limit_seconds=60)
    assignment_source_set(assignment=assignment, data=_source())
    assignment = assignment_release(assignment_id=assignment.pk)
    if not assignment.is_released:
        raise SystemExit(f"the bench assignment did not pass its release check: "
                         f"{assignment.release_report}")

    run = ProgrammeRun.objects.filter(programme=programme).order_by("-starts_on").first()
    if run.capacity < learners:
        run.capacity = learners
        run.save(update_fields=["capacity"])
    now = timezone.now()
    users = User.objects.bulk_create([
        User(email=f"rush{i:04d}@bench.example", password=make_password(None),
             full_name=f"Learner {i}") for i in range(learners)])
    LearnerProfile.objects.bulk_create([LearnerProfile(
        user=user, participant_status=rng.choice(ParticipantStatus.values),
        ai_major=rng.random() < 0.3, birth_year=rng.randint(1970, 2005),
        region=rng.choice(Region.values), stats_consent=True, stats_consent_at=now)
        for user in users])
    EmailAddress.objects.bulk_create([EmailAddress(user=u, email=u.email, verified=True,
                                                   primary=True) for u in users])
    group = role_group(role=Role.LEARNER)
    User.groups.through.objects.bulk_create([
        User.groups.through(user_id=u.pk, group_id=group.pk) for u in users])
    Enrolment.objects.bulk_create([Enrolment(learner=u, run=run, status="enrolled",
                                             applied_at=now, enrolled_at=now) for u in users])
    officer = User.objects.get(email="ministry@aimd.example")
    with override("ko"):
        return Site(
            module_url=module.get_url(),
            course_url=course.get_url(),
            programme_url=programme.get_url(),
            learning_url=reverse("courses:dashboard"),
            ministry_url=reverse("reports:dashboard"),
            released_url=reverse("grading:released", args=[ASSIGNMENT_KEY]),
            submit_url=reverse("grading:submit", args=[ASSIGNMENT_KEY]),
            panel_url=reverse("grading:panel", args=[ASSIGNMENT_KEY]),
            learner_cookies=[_session_cookie(u) for u in users],
            officer_cookies=_session_cookie(officer))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Stack:
    """The processes this run started, each in its own process group, and their logs."""

    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    logs: dict[str, Path] = field(default_factory=dict)

    def start(self, name: str, argv: list[str], *, env: dict, logs: Path) -> None:
        self.logs[name] = logs / f"{name}.log"
        with self.logs[name].open("wb") as log:
            self.processes[name] = subprocess.Popen(  # noqa: S603 - fixed argv
                argv, cwd=ROOT, env={**os.environ, **env}, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True)

    def check(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise SystemExit(f"{name} exited with {process.returncode}:\n"
                                 + self.logs[name].read_text()[-3000:])

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _cpu_times() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


class CpuWatch:
    """The CPU time of this process and every process under it (gunicorn, Celery, beat, the
    sandboxes), process by process, from /proc, sampled twice a second by a thread.

    Sampling rather than reading once at each end: a sandbox is killed when it has served
    one submission, and a killed sandbox's processes are reaped outside this tree, so their
    CPU would vanish from any parent's total. Only each process's own user and system time
    is counted (never its reaped children's, which would count them twice).
    """

    def __init__(self) -> None:
        self.tick = os.sysconf("SC_CLK_TCK")
        self.latest: dict[tuple[int, int], int] = {}  # (pid, start tick) -> CPU ticks
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _scan(self) -> dict[tuple[int, int], int]:
        parents: dict[int, int] = {}
        used: dict[int, tuple[int, int]] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:  # the process ended meanwhile
                continue
            pid = int(stat.parent.name)
            parents[pid] = int(fields[1])
            used[pid] = (int(fields[19]), int(fields[11]) + int(fields[12]))  # start, u+s
        children: dict[int, list[int]] = {}
        for pid, parent in parents.items():
            children.setdefault(parent, []).append(pid)
        ours, frontier = {os.getpid()}, [os.getpid()]
        while frontier:
            for child in children.get(frontier.pop(), []):
                if child not in ours:
                    ours.add(child)
                    frontier.append(child)
        return {(pid, used[pid][0]): used[pid][1] for pid in ours if pid in used}

    def _update(self) -> dict[tuple[int, int], int]:
        scan = self._scan()
        with self.lock:
            self.latest.update(scan)
        return scan

    def _run(self) -> None:
        while not self.stopped.wait(0.5):
            self._update()

    def close(self) -> None:
        self.stopped.set()
        self.thread.join()

    def meter(self) -> CpuMeter:
        return CpuMeter(self)


@dataclass
class Cpu:
    """Cores kept busy over an interval: the whole machine; this benchmark's processes
    (server, worker, beat, sandboxes and the load client); the load client alone. The rest
    is other work on the machine, which the figures should be read with."""

    machine: float
    ours: float
    client: float

    def __str__(self) -> str:
        return (f"machine {self.machine:.2f} of {os.cpu_count()} cores busy: this benchmark "
                f"{min(self.ours, self.machine):.2f} (of which the load client "
                f"{self.client:.2f}), other processes {max(0.0, self.machine - self.ours):.2f}")


class CpuMeter:
    def __init__(self, watch: CpuWatch) -> None:
        self.watch = watch
        self.base = watch._update()
        self.born_after = float(Path("/proc/uptime").read_text().split()[0]) * watch.tick
        self.wall = time.perf_counter()
        self.machine = _cpu_times()
        self.client = time.process_time()

    def read(self) -> Cpu:
        wall = max(time.perf_counter() - self.wall, 1e-9)
        busy, total = _cpu_times()
        machine = (busy - self.machine[0]) / max(total - self.machine[1], 1) * (
            os.cpu_count() or 1)
        self.watch._update()
        with self.watch.lock:
            ours = sum(ticks - self.base.get(key, 0)
                       for key, ticks in self.watch.latest.items()
                       if key in self.base or key[1] >= self.born_after)
        return Cpu(machine, ours / self.watch.tick / wall,
                   (time.process_time() - self.client) / wall)


def _wait_settled(*, stack: Stack, watch: CpuWatch, limit: float = 90.0) -> float:
    """Wait until this benchmark's processes are nearly idle for two seconds (gunicorn
    warmed, the worker's sandbox pools started with their libraries imported); the seconds
    it took."""
    started = time.monotonic()
    quiet = 0
    while time.monotonic() - started < limit and quiet < 4:
        stack.check()
        meter = watch.meter()
        time.sleep(0.5)
        quiet = quiet + 1 if meter.read().ours < 0.1 else 0
    return time.monotonic() - started


# --- The load: asyncio clients -----------------------------------------------------------------

@dataclass
class Sample:
    page: str
    at: float  # perf_counter when the response ended
    seconds: float
    status: int


@dataclass
class Outcome:
    """What one learner saw."""

    submitted: bool = False
    status: int = 0
    message: str = ""
    seen_graded_after: float | None = None  # from the submit answer to the panel's grade


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()


class Client:
    """aiohttp with one connection pool for everybody and each person's cookies kept apart
    (a Cookie header per request); every request's latency, body included, is recorded.
    aiohttp rather than httpx: it costs the machine about a sixth of the CPU per request,
    and the load client shares the two cores with the server it measures."""

    def __init__(self, base: str, *, connections: int, timeout: float = 120.0):
        self.base = base
        self.http = aiohttp.ClientSession(
            # Idle connections are dropped well before gunicorn's keep-alive (20 s) closes
            # them: reusing one the server is closing fails a POST (a browser would retry).
            connector=aiohttp.TCPConnector(limit=connections, keepalive_timeout=3),
            cookie_jar=aiohttp.DummyCookieJar(), timeout=aiohttp.ClientTimeout(total=timeout))
        self.samples: list[Sample] = []

    async def request(self, page: str, method: str, url: str, jar: dict[str, str], *,
                      headers: dict[str, str] | None = None, data=None) -> Answer:
        """The answer; status 0 when none came (no answer within the timeout, or the
        connection was reset), which is recorded as a failed request too."""
        headers = {**(headers or {}), "Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())}
        started = time.perf_counter()
        try:
            async with self.http.request(method, self.base + url, headers=headers, data=data,
                                         allow_redirects=False) as response:
                body = await response.read()
        except (TimeoutError, aiohttp.ClientError) as exc:
            ended = time.perf_counter()
            self.samples.append(Sample(page, ended, ended - started, 0))
            return Answer(0, {}, f"{type(exc).__name__}: {exc}".encode())
        ended = time.perf_counter()
        self.samples.append(Sample(page, ended, ended - started, response.status))
        jar.update({k: m.value for k, m in response.cookies.items() if m.value})
        return Answer(response.status, dict(response.headers), body)

    async def close(self) -> None:
        await self.http.close()


def _answered(released: bytes, index: int) -> bytes:
    """The released notebook with the learner's answer written in."""
    notebook = nbformat.reads(released.decode(), as_version=4)
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = f"{ANSWER}# learner {index}\n"
    return nbformat.writes(notebook).encode()


async def _learner(client: Client, site: Site, index: int, *, arrives: float,
                   origin: float, give_up_at: float) -> Outcome:
    jar = dict(site.learner_cookies[index])
    await asyncio.sleep(max(0.0, origin + arrives - time.perf_counter()))
    outcome = Outcome()
    page = await client.request("learner: module page", "GET", site.module_url, jar)
    token = CSRF_FIELD.search(page.text)
    if page.status != 200 or token is None:
        outcome.status, outcome.message = page.status, "no submit form on the module page " \
            + (page.text[:40] if page.status == 0 else "")
        return outcome
    released = await client.request("learner: notebook download", "GET", site.released_url,
                                     jar)
    if released.status != 200:
        outcome.status, outcome.message = released.status, "the notebook download failed"
        return outcome
    form = aiohttp.FormData()
    form.add_field("csrfmiddlewaretoken", token.group(1))
    form.add_field("notebook", _answered(released.body, index), filename="squares.ipynb",
                   content_type="application/x-ipynb+json")
    answer = await client.request("learner: submit", "POST", site.submit_url, jar,
                                  headers={"Accept": "application/json"}, data=form)
    outcome.status = answer.status
    try:
        body = json.loads(answer.body)
    except ValueError:
        body = {"ok": False, "message": answer.text[:200]}
    outcome.message = body.get("message", "")
    if not (answer.status == 200 and body.get("ok")):
        return outcome
    outcome.submitted = True
    accepted_at = time.perf_counter()
    polls = random.Random(index)  # noqa: S311 - the script's jitter, not a secret
    tries = 0
    while time.perf_counter() < give_up_at:
        await asyncio.sleep(poll_delay(tries, polls))
        tries += 1
        panel = await client.request("learner: panel poll", "GET", site.panel_url, jar)
        if panel.status == 200 and panel.headers.get("X-Grading-Pending") == "0":
            outcome.seen_graded_after = time.perf_counter() - accepted_at
            break
    return outcome


async def _browser(client: Client, site: Site, rng: random.Random, stop: asyncio.Event) -> None:
    """A signed-in person reading pages during the rush (weights: module page and My learning
    for learners, now and then the ministry dashboard for the officer)."""
    pages = [("module page", site.module_url), ("My learning", site.learning_url),
             ("ministry dashboard", site.ministry_url)]
    while not stop.is_set():
        name, url = rng.choices(pages, weights=(45, 45, 10))[0]
        jar = (dict(site.officer_cookies) if name == "ministry dashboard"
               else dict(rng.choice(site.learner_cookies)))
        await client.request(name, "GET", url, jar)
        try:
            await asyncio.wait_for(stop.wait(), timeout=rng.uniform(0.5, 1.5))
        except TimeoutError:
            pass


@dataclass
class RushFigures:
    outcomes: list[Outcome]
    samples: list[Sample]
    started: float
    ended: float
    cpu: Cpu


async def _rush(base: str, site: Site, *, learners: int, window: float, browsers: int,
                drain_timeout: float, seed: int, watch: CpuWatch) -> RushFigures:
    rng = random.Random(seed)  # noqa: S311 - a reproducible load, not a secret
    arrivals = sorted(rng.uniform(0, window) for _ in range(learners))
    # A connection each, as each person's browser would have: the queueing is the server's.
    client = Client(base, connections=learners + browsers)
    stop = asyncio.Event()
    meter = watch.meter()
    origin = time.perf_counter()
    give_up_at = origin + window + drain_timeout
    try:
        browsing = [asyncio.create_task(_browser(
            client, site, random.Random(seed + 1 + i), stop))  # noqa: S311 - as above
            for i in range(browsers)]
        outcomes = await asyncio.gather(*(
            _learner(client, site, i, arrives=arrivals[i], origin=origin,
                     give_up_at=give_up_at) for i in range(learners)))
        ended = time.perf_counter()
        cpu = meter.read()
        stop.set()
        await asyncio.gather(*browsing)
    finally:
        await client.close()
    return RushFigures(list(outcomes), client.samples, origin, ended, cpu)


@dataclass
class Throughput:
    per_second: float
    errors: int
    cpu: Cpu


async def _throughput(base: str, url: str, jars: list[dict[str, str]], *, concurrency: int,
                      seconds: float, warmup: float, watch: CpuWatch) -> Throughput:
    """Closed loop: ``concurrency`` clients each send the next request as soon as the last
    one is answered; 200 answers per second after the warm-up."""
    client = Client(base, connections=concurrency)
    start = time.perf_counter() + warmup
    end = start + seconds
    counted = errors = 0
    cpu = {}

    async def loop(jar: dict[str, str]) -> None:
        nonlocal counted, errors
        while time.perf_counter() < end:
            response = await client.request("throughput", "GET", url, jar)
            if start <= time.perf_counter() < end:
                if response.status == 200:
                    counted += 1
                else:
                    errors += 1

    async def meter() -> None:
        await asyncio.sleep(max(0.0, start - time.perf_counter()))
        started = watch.meter()
        await asyncio.sleep(max(0.0, end - time.perf_counter()))
        cpu["window"] = started.read()

    try:
        await asyncio.gather(meter(), *(loop(dict(jars[i % len(jars)]))
                                        for i in range(concurrency)))
    finally:
        await client.close()
    return Throughput(counted / seconds, errors, cpu["window"])


async def _warm_pages(base: str, site: Site) -> None:
    """Each gunicorn worker has served each page before anything is timed."""
    client = Client(base, connections=8)
    try:
        for _ in range(4):
            await asyncio.gather(*(
                client.request("warm", "GET", url, dict(jar))
                for url, jar in [("/bench/ok", {}), (site.module_url, site.learner_cookies[0]),
                                 (site.course_url, site.learner_cookies[0]),
                                 (site.programme_url, site.learner_cookies[0]),
                                 (site.learning_url, site.learner_cookies[1]),
                                 (site.ministry_url, site.officer_cookies)] * 4))
        bad = [s for s in client.samples if s.status != 200]
        if bad:
            raise SystemExit(f"warm-up requests failed: {bad[:4]}")
    finally:
        await client.close()


# --- Figures from the database -----------------------------------------------------------------

@dataclass
class Ledger:
    accepted: int
    graded: int
    full_marks: int
    statuses: dict[str, int]
    to_grade: list[float]
    first_submitted: dt.datetime | None
    last_graded: dt.datetime | None
    # Where the time to grade goes: submitted -> sent to the broker, sent -> a worker starts
    # it (the queue), started -> grade stored (the sandbox run and storing).
    phases: dict[str, list[float]] = field(default_factory=dict)


def _ledger() -> Ledger:
    from django.db.models import Count

    from grading.models import Grade, Submission

    submissions = Submission.objects.filter(assignment__key=ASSIGNMENT_KEY)
    grades = Grade.objects.filter(submission__in=submissions).select_related("submission")
    to_grade = [(g.graded_at - g.submission.submitted_at).total_seconds() for g in grades]
    statuses = dict(grades.values_list("status").annotate(n=Count("pk")).order_by())
    phases: dict[str, list[float]] = {"sent": [], "queued": [], "grading": []}
    for g in grades:
        s = g.submission
        if s.enqueued_at and s.grading_started_at:
            phases["sent"].append((s.enqueued_at - s.submitted_at).total_seconds())
            phases["queued"].append((s.grading_started_at - s.enqueued_at).total_seconds())
            phases["grading"].append((g.graded_at - s.grading_started_at).total_seconds())
    return Ledger(phases=phases,
        accepted=submissions.count(), graded=len(to_grade),
        full_marks=sum(1 for g in grades if g.status == "graded" and g.score == g.max_score),
        statuses=statuses, to_grade=to_grade,
        first_submitted=min((g.submission.submitted_at for g in grades), default=None),
        last_graded=max((g.graded_at for g in grades), default=None))


def _log_tail(stack: Stack, name: str, lines: int = 30) -> str:
    return "\n".join([f"End of the {name} log:", *stack.logs[name].read_text(
        errors="replace").splitlines()[-lines:]])


def _ungraded_describe(stack: Stack) -> str:
    """Where the submissions without a grade are stuck, and the end of the worker's log."""
    from grading.models import Submission

    rows = Submission.objects.filter(assignment__key=ASSIGNMENT_KEY, grade__isnull=True) \
        .values_list("pk", "state", "enqueue_count", "grading_attempts", "enqueued_at",
                     "grading_started_at")[:20]
    lines = ["Submissions without a grade (id, state, sent, gradings, sent at, started at):"]
    lines += [f"  {row}" for row in rows]
    return "\n".join([*lines, _log_tail(stack, "worker")])


def _wait_drained(*, stack: Stack, timeout: float) -> Ledger:
    deadline = time.monotonic() + timeout
    ledger = _ledger()
    while ledger.graded < ledger.accepted and time.monotonic() < deadline:
        stack.check()
        time.sleep(1)
        ledger = _ledger()
    return ledger


# --- Report ------------------------------------------------------------------------------------

def _print(text: str = "") -> None:
    print(text, flush=True)  # noqa: T201 - a benchmark prints its figures


def _latency_rows(samples: list[Sample], names: list[str]) -> None:
    _print(f"  {'':28} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'non-200':>8}")
    for name in names:
        chosen = [s for s in samples if s.page == name]
        if not chosen:
            continue
        ms = [s.seconds * 1000 for s in chosen]
        _print(f"  {name:28} {len(ms):>8} {statistics.median(ms):>8.0f} "
               f"{percentile(ms, 0.95):>8.0f} {max(ms):>8.0f} "
               f"{sum(1 for s in chosen if s.status != 200):>8}")


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=400, help="learners who submit")
    parser.add_argument("--window", type=float, default=60.0,
                        help="seconds over which they arrive")
    parser.add_argument("--browsers", type=int, default=10,
                        help="people loading pages during the rush")
    parser.add_argument("--web-workers", type=int, default=3, help="gunicorn processes")
    parser.add_argument("--web-threads", type=int, default=4, help="threads per process")
    parser.add_argument("--grading-concurrency", type=int, default=2,
                        help="Celery worker processes on the grading queue")
    parser.add_argument("--drain-timeout", type=float, default=600.0,
                        help="seconds after the window to wait for the last grade")
    parser.add_argument("--throughput-seconds", type=float, default=10.0)
    parser.add_argument("--throughput-clients", type=int, default=16)
    parser.add_argument("--throughput-rounds", type=int, default=2,
                        help="measurements of each page, taken in turn")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--pages-only", action="store_true",
                        help="no rush: seed, start gunicorn, measure the pages' throughput")
    args = parser.parse_args()
    if args.learners < 2 or args.window <= 0:
        parser.error("--learners must be at least 2 and --window positive")

    # Stopped with SIGTERM (timeout, kill): clean up as after Ctrl-C.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    tmp = Path(tempfile.mkdtemp(prefix="aimd-bench-rush-"))
    (tmp / "var").mkdir()  # beat's schedule file
    env = _environment(tmp)
    os.environ.update(env)
    stack = Stack()
    watch = CpuWatch()
    database_made = False
    try:
        _print(f"Setting up {DATABASE}, the demo and {args.learners} learners ...")
        _database_recreate()
        database_made = True
        _redis_flush()
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections

        from grading.workers import sandbox_pool_close

        step = time.perf_counter()
        call_command("migrate", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        site = _site_seed(learners=args.learners,
                          rng=random.Random(args.seed))  # noqa: S311 - not a secret
        sandbox_pool_close()  # the release check's sandboxes in this process: not needed now
        _print(f"  migrated, static files collected, seeded in "
               f"{time.perf_counter() - step:.0f} s")
        connections.close_all()

        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        stack.start("gunicorn", [
            sys.executable, "-m", "gunicorn", "lms.wsgi:application", "--bind",
            f"127.0.0.1:{port}", "--workers", str(args.web_workers), "--worker-class",
            # Keep-alive well beyond the client's 3 s: a connection is never reused just as
            # the server closes it, even when the client is kept off the CPU for a while.
            "gthread", "--threads", str(args.web_threads), "--keep-alive", "20",
            "--backlog", "2048", "--graceful-timeout", "10", "--log-level", "warning"],
            env=env, logs=tmp)
        if args.pages_only:
            _wait_up(stack, base)
            asyncio.run(_warm_pages(base, site))
            _wait_settled(stack=stack, watch=watch)
            runs = _pages_throughput(args, base, site, watch)
            stack.check()
            _report_throughput(args, runs)  # the stack and the database go in `finally`
            return
        stack.start("worker", [
            sys.executable, "-m", "celery", "-A", "lms", "worker", "-Q", "grading",
            "--pool", "prefork", "--concurrency", str(args.grading_concurrency),
            "--loglevel", "WARNING", "--without-gossip", "--without-mingle",
            "--hostname", f"rush-{os.getpid()}@%h"], env=env, logs=tmp)
        stack.start("beat", [sys.executable, "-m", "celery", "-A", "lms", "beat",
                             "--loglevel", "WARNING"], env=env, logs=tmp)
        _wait_up(stack, base)
        asyncio.run(_warm_pages(base, site))
        settled = _wait_settled(stack=stack, watch=watch)
        _print(f"Stack up on {base}: gunicorn {args.web_workers}x{args.web_threads} gthread, "
               f"grading worker x{args.grading_concurrency}, beat "
               f"(settled after {settled:.0f} s)")

        _print(f"Rush: {args.learners} learners arriving over {args.window:.0f} s, "
               f"{args.browsers} people browsing ...")
        rush = asyncio.run(_rush(base, site, learners=args.learners, window=args.window,
                                 browsers=args.browsers, drain_timeout=args.drain_timeout,
                                 seed=args.seed, watch=watch))
        ledger = _wait_drained(stack=stack, timeout=max(
            5.0, args.drain_timeout - (rush.ended - rush.started - args.window)))
        if ledger.graded < ledger.accepted:
            _print(_ungraded_describe(stack))
        if any(s.status == 0 or s.status >= 500 for s in rush.samples):
            _print(_log_tail(stack, "gunicorn"))
        connections.close_all()

        _print("Throughput (closed loop, queue drained) ...")
        runs = _pages_throughput(args, base, site, watch)
        stack.check()
    finally:
        watch.close()
        stack.stop()
        if database_made:
            _database_drop()  # WITH (FORCE): also ends this process's own connections
        _redis_flush()
        shutil.rmtree(tmp, ignore_errors=True)

    _report(args, rush, ledger, runs)


# The rush's goals (issue 17): browsing pages, the submitting learners' own requests, and
# the time from submitting to a stored grade, each at the 95th percentile.
BROWSING_P95_GOAL = 0.300
OWN_P95_GOAL = 1.0
GRADE_P95_GOAL = 10.0


# Throughput goal of each learner page, as a fraction of the trivial view's (issue 17).
PAGE_GOAL = 0.15


def _pages_throughput(args, base: str, site: Site,
                      watch: CpuWatch) -> dict[str, list[Throughput]]:
    learners = site.learner_cookies[:args.throughput_clients]
    targets = [("trivial view /bench/ok", "/bench/ok", [{}]),
               ("module page", site.module_url, learners),
               ("course page", site.course_url, learners),
               ("programme page", site.programme_url, learners),
               ("My learning", site.learning_url, learners),
               ("ministry dashboard", site.ministry_url, [site.officer_cookies])]
    runs: dict[str, list[Throughput]] = {name: [] for name, _, _ in targets}
    # Rounds in turn, so that a change in the machine's other load meets every page.
    for _ in range(args.throughput_rounds):
        for name, url, jars in targets:
            runs[name].append(asyncio.run(_throughput(
                base, url, jars, concurrency=args.throughput_clients,
                seconds=args.throughput_seconds, warmup=1.0, watch=watch)))
    return runs


def _wait_up(stack: Stack, base: str, limit: float = 180.0) -> None:
    import urllib.request

    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        stack.check()
        try:
            with urllib.request.urlopen(f"{base}/bench/ok", timeout=30) as answer:  # noqa: S310
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer on {base} within {limit:.0f} s")


def _report(args, rush: RushFigures, ledger: Ledger,
            runs: dict[str, list[Throughput]]) -> None:
    outcomes = rush.outcomes
    submitted = sum(1 for o in outcomes if o.submitted)
    refused: dict[str, int] = {}
    for o in outcomes:
        if not o.submitted:
            key = f"{o.status} {o.message[:80]}"
            refused[key] = refused.get(key, 0) + 1
    seen = [o.seen_graded_after for o in outcomes if o.seen_graded_after is not None]
    lost = ledger.accepted - ledger.graded
    failed = [s for s in rush.samples if s.status == 0 or s.status >= 500]
    server_errors = len(failed) + sum(t.errors for rounds in runs.values() for t in rounds)
    elapsed = rush.ended - rush.started
    during = [s for s in rush.samples if s.at <= rush.ended]

    _print()
    _print(f"Deadline rush: {args.learners} learners in {args.window:.0f} s, "
           f"{args.browsers} browsing; {os.cpu_count()} cores")
    _print(f"  rush lasted {elapsed:.0f} s (start of the window to the last grade seen)")
    _print(f"  {rush.cpu}")
    _print(f"  submissions accepted (client): {submitted} of {args.learners}   "
           f"(target: all) {_verdict(submitted == args.learners)}")
    for reason, n in sorted(refused.items()):
        _print(f"    not accepted: {n} x {reason}")
    _print(f"  submissions stored (database): {ledger.accepted}")
    statuses = ", ".join(f"{k} {v}" for k, v in sorted(ledger.statuses.items())) or "none"
    _print(f"  graded: {ledger.graded} ({statuses}); with full marks: {ledger.full_marks}")
    _print(f"  lost (accepted, never graded): {lost}   (target: 0) {_verdict(lost == 0)}")
    if ledger.to_grade:
        _print(f"  time to grade (submitted_at -> grade stored): "
               f"p50 {statistics.median(ledger.to_grade):.1f} s, "
               f"p95 {percentile(ledger.to_grade, 0.95):.1f} s, "
               f"max {max(ledger.to_grade):.1f} s")
        for phase, label in (("sent", "submitted -> sent to the queue"),
                             ("queued", "sent -> a worker starts it"),
                             ("grading", "started -> grade stored")):
            if ledger.phases.get(phase):
                values = ledger.phases[phase]
                _print(f"    {label}: p50 {statistics.median(values):.2f} s, "
                       f"p95 {percentile(values, 0.95):.2f} s")
        grade_p95 = percentile(ledger.to_grade, 0.95)
        _print(f"  time to grade p95: {grade_p95:.1f} s   (goal: <= {GRADE_P95_GOAL:.0f} s) "
               f"{_verdict(grade_p95 <= GRADE_P95_GOAL)}")
        drain = (ledger.last_graded - ledger.first_submitted).total_seconds()
        arriving = args.learners / args.window
        _print(f"  first submission to last grade: {drain:.0f} s "
               f"({ledger.graded / drain:.1f} grades/s; arriving {arriving:.1f}/s: grading "
               f"keeps up {_verdict(ledger.graded / drain >= arriving * 0.95)})")
    if seen:
        _print(f"  learner sees the grade (submit answer -> panel poll shows it): "
               f"p50 {statistics.median(seen):.1f} s, p95 {percentile(seen, 0.95):.1f} s")
    _print(f"  failed requests (5xx, or no answer within 120 s): {server_errors}   "
           f"(target: 0) {_verdict(server_errors == 0)}")
    if failed:
        _print(f"    of which 5xx {sum(1 for s in failed if s.status)}, no answer "
               f"{sum(1 for s in failed if not s.status)} (by page: "
               f"{', '.join(sorted({s.page for s in failed}))})")
    _print("Page latency during the rush (people browsing):")
    _latency_rows(during, ["module page", "My learning", "ministry dashboard"])
    browsing = [s for s in during if not s.page.startswith("learner:")]
    for label, chosen in [
            ("while learners arrive", [s for s in browsing
                                       if s.at - rush.started <= args.window]),
            ("after, until the last grade", [s for s in browsing
                                             if s.at - rush.started > args.window])]:
        if chosen:
            ms = [s.seconds * 1000 for s in chosen]
            _print(f"  all pages {label}: p50 {statistics.median(ms):.0f} ms, "
                   f"p95 {percentile(ms, 0.95):.0f} ms ({len(ms)} requests)")
    if browsing:
        p95 = percentile([s.seconds for s in browsing], 0.95)
        _print(f"  browsing p95 during the rush: {p95 * 1000:.0f} ms   (goal: <= "
               f"{BROWSING_P95_GOAL * 1000:.0f} ms) {_verdict(p95 <= BROWSING_P95_GOAL)}")
    _print("The submitting learners' own requests:")
    own_pages = ["learner: module page", "learner: notebook download", "learner: submit"]
    _latency_rows(during, [*own_pages, "learner: panel poll"])
    own = [s.seconds for s in during if s.page in own_pages]
    if own:
        p95 = percentile(own, 0.95)
        _print(f"  module page, download and submit p95: {p95 * 1000:.0f} ms   (goal: <= "
               f"{OWN_P95_GOAL * 1000:.0f} ms) {_verdict(p95 <= OWN_P95_GOAL)}")
    pages_ok = _report_throughput(args, runs, exit_on_miss=False)
    if not (submitted == args.learners and lost == 0 and server_errors == 0 and pages_ok):
        raise SystemExit(1)


def _report_throughput(args, runs: dict[str, list[Throughput]], *,
                       exit_on_miss: bool = True) -> bool:
    """Each page's req/s and its fraction of the trivial view's, against the goal of the
    learner pages; False (or exit status 1) when one misses it or answered an error."""
    _print(f"Throughput, {args.throughput_clients} clients in a closed loop, "
           f"{args.throughput_seconds:.0f} s each, same gunicorn:")
    mean = {name: statistics.fmean(t.per_second for t in rounds)
            for name, rounds in runs.items()}
    trivial = mean["trivial view /bench/ok"]
    ok = True
    for name, rounds in runs.items():
        each = ", ".join(f"{t.per_second:.0f}" for t in rounds)
        errors = sum(t.errors for t in rounds)
        share = mean[name] / trivial
        goal = ""
        if name not in ("trivial view /bench/ok", "ministry dashboard"):
            met = share >= PAGE_GOAL and errors == 0
            ok = ok and met
            goal = f"   (goal: >= {PAGE_GOAL:.0%}) {_verdict(met)}"
        _print(f"  {name:24} {mean[name]:>7.1f} req/s ({each})  = "
               f"{share:6.1%} of the trivial view; errors {errors}{goal}")
        _print(f"  {'':24} {rounds[-1].cpu}")
    if not ok and exit_on_miss:
        raise SystemExit(1)
    return ok


if __name__ == "__main__":
    main()
