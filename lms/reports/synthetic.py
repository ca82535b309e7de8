"""Synthetic learners for trying the reports at scale (``manage.py generate_synthetic``).

Fills the database with made-up learners in the programmes that are there (``seed_demo``'s):
Korean names from syllable lists, profiles drawn from plausible distributions (participant
status, mostly non-AI majors, gender, ages by status, the 17 regions weighted by population,
most consenting), enrolments in the runs of the chosen years (runs are created where a year
has fewer than asked, like the demo's: spring, summer and autumn cohorts of 450 seats), and
statuses by the run's phase: finished runs have completed, still enrolled and dropped
learners, running ones enrolled and dropped, future ones applicants. Every completed
enrolment has its certificate with a proper yearly serial (the counter moves on, so serials
are never reused), a few of them revoked.

Fast: rows go in by the batch (PostgreSQL: ``COPY``; others: ``bulk_create``; no ``save()``,
no signals), passwords are set unusable without hashing, and the whole run is one
transaction. Synthetic people are recognised by their email domain (``synthetic.invalid``,
a reserved name that can never receive mail); :func:`synthetic_delete` removes them and
everything of theirs.

Deterministic: the same seed on the same database on the same day gives the same people
(today decides which runs are finished); a second run continues the numbering with a seed
of its own, so it adds new people instead of colliding with the first.
"""

from __future__ import annotations

import base64
import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from courses.models import Enrolment, EnrolmentStatus, ProgrammePage, ProgrammeRun
from courses.page_cache import shared_pages_changed
from lms.accounts.models import LearnerProfile, Role, User
from lms.accounts.services import role_group
from lms.certificates.models import Certificate, CertificateSerial, serial_format
from lms.outcomes.definitions import (
    EmployerSize,
    Industry,
    PayBand,
    Source,
    Status,
    months_after,
)
from lms.outcomes.models import Outcome, OutcomeConsent
from lms.reports.aggregates import statistics_catch_up

SYNTHETIC_DOMAIN = "synthetic.invalid"
# Where the dashboard keeps how many there are (lms.reports.selectors), forgotten here on
# every change.
SYNTHETIC_COUNT_KEY = "reports:synthetic-learners"
SEOUL = ZoneInfo("Asia/Seoul")
FIRST_YEAR = 2023
RUN_CAPACITY = 450
RUN_WEEKS = 16
RUN_START_MONTHS = (3, 7, 9, 11, 1, 5)  # the first cohort of a year starts in March

# The most common surnames with their share of the population (per mille, 2015 census).
SURNAMES = {"김": 215, "이": 147, "박": 84, "최": 47, "정": 43, "강": 24, "조": 21, "윤": 21,
            "장": 20, "임": 16, "한": 15, "오": 15, "서": 15, "신": 15, "권": 14, "황": 14,
            "안": 14, "송": 14, "류": 12, "전": 11, "홍": 11, "고": 9, "문": 9, "양": 9,
            "손": 9, "배": 8, "백": 8, "허": 6, "유": 6, "남": 6, "심": 5, "노": 4, "하": 4,
            "곽": 4, "성": 4, "차": 4, "주": 4, "우": 4, "구": 4, "민": 3}
GIVEN_FIRST = "민서지현수준영예도하윤은채성우주시연태경승재혜소아진유동건상다나희"
GIVEN_SECOND = "준연우서윤민현진호원영빈아희수은지훈혁석린율온하경솔비름람찬결"

# Population in thousands, 2023 (statistics Korea): weights for the region.
REGIONS = {"seoul": 9386, "busan": 3293, "daegu": 2375, "incheon": 2998, "gwangju": 1419,
           "daejeon": 1442, "ulsan": 1104, "sejong": 386, "gyeonggi": 13630, "gangwon": 1528,
           "chungbuk": 1591, "chungnam": 2130, "jeonbuk": 1754, "jeonnam": 1804,
           "gyeongbuk": 2554, "gyeongnam": 3251, "jeju": 675}
# (status, weight, youngest, oldest age); "" is a profile left incomplete.
PARTICIPANTS = (("college_student", 36, 19, 27), ("job_seeker", 30, 22, 39),
                ("employed", 29, 24, 58), ("other", 3, 20, 65), ("", 2, 19, 60))
GENDERS = {"male": 530, "female": 420, "prefer_not_to_say": 25, "other": 5, "": 20}
AI_MAJOR = {False: 90, True: 8, None: 2}
CONSENT_SHARE = 0.92
NO_REGION_SHARE = 0.01
NO_BIRTH_YEAR_SHARE = 0.02
REVOKED_SHARE = 0.003
DROP_REASONS = ("개인 사정", "취업으로 인한 시간 부족", "업무 일정과 겹침", "학업 일정과 겹침",
                "건강 문제", "과정 난이도")
# Statuses by the run's phase: (status, weight).
OUTCOMES = {
    "finished": ((EnrolmentStatus.COMPLETED, 62), (EnrolmentStatus.ENROLLED, 15),
                 (EnrolmentStatus.DROPPED, 19), (EnrolmentStatus.APPLIED, 4)),
    "running": ((EnrolmentStatus.ENROLLED, 84), (EnrolmentStatus.DROPPED, 11),
                (EnrolmentStatus.APPLIED, 5)),
    "future": ((EnrolmentStatus.APPLIED, 65), (EnrolmentStatus.ENROLLED, 35)),
}


class SyntheticDataError(Exception):
    """The database lacks what the generator needs (the message says what to do)."""


@dataclass
class SyntheticSummary:
    learners: int = 0
    enrolments: int = 0
    certificates: int = 0
    runs_created: list[ProgrammeRun] = field(default_factory=list)


def synthetic_users():
    return User.objects.filter(email__endswith=f"@{SYNTHETIC_DOMAIN}")


# The demo's past: learners in the closed runs of 2023-2025 (``seed_demo``). Drawn over the
# runs by their seats (120, 450, 450), about 62 % of a finished run's learners complete:
# some 100 certified in 2023 and 380-410 in 2024 and 2025, beside the targets of 100 and 400.
DEMO_HISTORY_YEARS = (2023, 2024, 2025)
DEMO_HISTORY_LEARNERS = 1400
DEMO_HISTORY_SEED = 2023


def demo_history_seed() -> SyntheticSummary | None:
    """The demo's 2023-2025 history as synthetic learners (profiles, enrolments, certificates),
    made once (None when synthetic learners are already there), then their consents and
    follow-up answers where missing. The dashboard says the figures include them."""
    summary = None
    if not synthetic_users().exists():
        summary = synthetic_generate(learners=DEMO_HISTORY_LEARNERS,
                                     years=list(DEMO_HISTORY_YEARS), seed=DEMO_HISTORY_SEED)
    synthetic_outcomes_generate(seed=DEMO_HISTORY_SEED)
    return summary


# The follow-up of the history's completions (lms.outcomes): who consents, who answers, and
# what becomes of them by participant status, in shares roughly like the K-Digital Training
# and graduate surveys report (about two thirds employed within 6 months of completion).
FOLLOW_UP_CONSENT_SHARE = 0.85
MATCHING_CONSENT_SHARE = 0.35
ANSWER_SHARE = {3: 0.88, 6: 0.82}
LOST_JOB_SHARE = 0.04
LATE_SHARE = 0.05  # employed, but only after the 6 months
# status: (employed by month 3, by month 6, further study, military service)
TRAJECTORIES = {"employed": (0.82, 0.9, 0.0, 0.0), "job_seeker": (0.38, 0.62, 0.02, 0.01),
                "college_student": (0.2, 0.42, 0.14, 0.04), "other": (0.25, 0.45, 0.03, 0.0),
                "": (0.3, 0.5, 0.03, 0.01)}
JOBS = {Status.INSURED_EMPLOYEE: 72, Status.FREELANCER: 10, Status.SELF_EMPLOYED: 8,
        Status.CREATIVE: 3, Status.EMPLOYED_ABROAD: 2}
EMPLOYER_SIZES = {EmployerSize.SMALL: 42, EmployerSize.MEDIUM: 28, EmployerSize.MIDSIZE: 10,
                  EmployerSize.LARGE: 20}
PAY_BANDS = {PayBand.UNDER_200: 12, PayBand.FROM_200: 30, PayBand.FROM_250: 27,
             PayBand.FROM_300: 22, PayBand.FROM_400: 9, "": 4}
INDUSTRIES = {Industry.C: 38, Industry.J: 27, Industry.M: 12, Industry.K: 5, Industry.G: 5,
              Industry.H: 4, Industry.F: 3, Industry.P: 3, Industry.Q: 3}
AI_USE = {True: 58, False: 37, None: 5}


def _at_nine(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(9), SEOUL)


def _follow_up(rng: random.Random, *, completed_on: dt.date, participant: str,
               today: dt.date, window: int) -> list[dict]:
    """One completer's answers at 3 and 6 months (those whose window has closed)."""
    by_3, by_6, study, military = TRAJECTORIES.get(participant, TRAJECTORIES[""])
    at_3, at_6 = months_after(completed_on, 3), months_after(completed_on, 6)
    draw = rng.random()
    employed_on = excluded = None
    if draw < by_3:
        employed_on = completed_on + dt.timedelta(days=rng.randint(3, (at_3 - completed_on).days))
    elif draw < by_6:
        employed_on = at_3 + dt.timedelta(days=rng.randint(1, (at_6 - at_3).days))
    elif draw < by_6 + LATE_SHARE:
        employed_on = at_6 + dt.timedelta(days=rng.randint(1, 15))
    elif draw < by_6 + LATE_SHARE + study:
        excluded = Status.FURTHER_STUDY
    elif draw < by_6 + LATE_SHARE + study + military:
        excluded = Status.MILITARY_SERVICE
    job = {"status": rng.choices(*_weighted(JOBS))[0],
           "employer_size": rng.choices(*_weighted(EMPLOYER_SIZES))[0],
           "pay_band": rng.choices(*_weighted(PAY_BANDS))[0],
           "industry": rng.choices(*_weighted(INDUSTRIES))[0],
           "uses_ai": rng.choices(*_weighted(AI_USE))[0]}
    lost = rng.random() < LOST_JOB_SHARE
    answers = []
    for months, due_on in ((3, at_3), (6, at_6)):
        due = _at_nine(due_on)
        if due_on + dt.timedelta(days=window) > today:
            continue  # still open: the follow-up (lms.outcomes) asks it
        row = {"months": months, "due_at": due, "invited_at": due}
        if rng.random() >= ANSWER_SHARE[months]:
            row.update(status=Status.NO_ANSWER, source=Source.SYSTEM,
                       reminded_at=due + dt.timedelta(days=10),
                       answered_at=due + dt.timedelta(days=window))
            answers.append(row)
            continue
        answered_at = due + dt.timedelta(days=rng.randint(0, 20), hours=rng.randint(0, 12))
        if employed_on and employed_on > due_on and months == 6:
            answered_at = max(answered_at, _at_nine(employed_on + dt.timedelta(days=2)))
        row.update(source=Source.FORM, answered_at=answered_at, link_used_at=answered_at,
                   reminded_at=due + dt.timedelta(days=10) if answered_at - due >
                   dt.timedelta(days=10) else None)
        if employed_on and employed_on <= answered_at.date() and not (lost and months == 6):
            row.update(job, employed_on=employed_on)
        elif excluded and (months == 6 or excluded == Status.MILITARY_SERVICE):
            row["status"] = excluded
        else:
            row["status"] = Status.NOT_EMPLOYED
        answers.append(row)
    return answers


def synthetic_outcomes_generate(*, seed: int, today: dt.date | None = None) -> int:
    """Consents and follow-up answers (at 3 and 6 months, the points whose answer window has
    closed by ``today``) for the synthetic completions that have none yet: the employment rate
    of the demo's past years. Deterministic (each completion draws from its own seeded stream,
    by serial) and idempotent (a learner's consent and a completion's answers are made once).
    The number of outcomes added."""
    today = today or timezone.localdate()
    window = settings.OUTCOMES_ANSWER_WINDOW_DAYS
    certificates = (Certificate.objects.filter(enrolment__learner__in=synthetic_users(),
                                               outcomes__isnull=True)
                    .order_by("serial")
                    .values_list("pk", "serial", "issued_at", "enrolment__learner_id",
                                 "enrolment__learner__profile__participant_status",
                                 "enrolment__learner__profile__birth_year"))
    with transaction.atomic():
        consents = dict(OutcomeConsent.objects.filter(user__in=synthetic_users())
                        .values_list("user_id", "follow_up"))
        new_consents, outcomes = [], []
        for pk, serial, issued_at, user_id, participant, birth_year in certificates:
            rng = random.Random(f"{seed}:{serial}")  # noqa: S311 - made-up data, reproducible
            if user_id not in consents:
                consents[user_id] = rng.random() < FOLLOW_UP_CONSENT_SHARE
                matching = consents[user_id] and birth_year is not None \
                    and rng.random() < MATCHING_CONSENT_SHARE
                new_consents.append(OutcomeConsent(
                    user_id=user_id, follow_up=consents[user_id],
                    follow_up_at=issued_at if consents[user_id] else None,
                    matching=matching, matching_at=issued_at if matching else None,
                    birth_date=dt.date(birth_year, rng.randint(1, 12), rng.randint(1, 28))
                    if matching else None))
            if not consents[user_id]:
                continue
            for row in _follow_up(rng, completed_on=timezone.localdate(issued_at),
                                  participant=participant or "", today=today, window=window):
                outcomes.append(Outcome(certificate_id=pk, created_at=row["due_at"], **row))
        _insert(OutcomeConsent, new_consents, batch_size=5000)
        _insert(Outcome, outcomes, batch_size=5000)
    return len(outcomes)


def _weighted(table: dict) -> tuple[list, list]:
    return list(table), list(table.values())


def _runs_ensure(*, years: list[int], runs_per_year: int) -> tuple[list[ProgrammeRun],
                                                                   list[ProgrammeRun]]:
    """The runs of the years in every Korean programme, made up to ``runs_per_year`` each."""
    programmes = list(ProgrammePage.objects.filter(locale__language_code="ko").live())
    if not programmes:
        raise SyntheticDataError("There is no programme to enrol synthetic learners in: "
                                 "run `manage.py seed_demo` first.")
    created = []
    for programme in programmes:
        runs = list(ProgrammeRun.objects.filter(programme=programme))
        number = max((r.number for r in runs), default=0)
        for year in years:
            have = sum(1 for r in runs if r.year == year)
            for index in range(have, runs_per_year):
                number += 1
                starts = dt.date(year, RUN_START_MONTHS[index % len(RUN_START_MONTHS)], 2)
                opens = dt.datetime.combine(starts - dt.timedelta(days=30), dt.time(9),
                                            SEOUL)
                created.append(ProgrammeRun.objects.create(
                    programme=programme, number=number, year=year, starts_on=starts,
                    ends_on=starts + dt.timedelta(weeks=RUN_WEEKS),
                    enrolment_opens_at=opens,
                    enrolment_closes_at=opens + dt.timedelta(days=44), capacity=RUN_CAPACITY))
    runs = list(ProgrammeRun.objects.filter(programme__in=programmes, year__in=years)
                .select_related("programme").order_by("year", "number"))
    return runs, created


def _insert(model, objects: list, *, batch_size: int) -> list:
    """Insert the (unsaved) objects and give them their ids: ``bulk_create`` in general, and
    on PostgreSQL ``COPY FROM`` with ids taken from the table's sequence first, several times
    faster for a million rows. Neither calls ``save()`` or sends signals."""
    if connection.vendor != "postgresql" or not objects:
        return model.objects.bulk_create(objects, batch_size=batch_size)
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.generated]
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) "
                       "FROM generate_series(1, %s)",
                       [meta.db_table, meta.pk.column, len(objects)])
        for obj, (pk,) in zip(objects, cursor.fetchall(), strict=True):
            obj.pk = pk
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        with cursor.cursor.copy(f"COPY {connection.ops.quote_name(meta.db_table)} "
                                f"({columns}) FROM STDIN") as copy:
            # pre_save() fills auto_now fields; the values themselves (text, numbers, aware
            # datetimes, dates, booleans) are what psycopg writes, so Django's per-value
            # preparation (most of the time of a bulk_create) is not needed.
            for obj in objects:
                copy.write_row([f.pre_save(obj, True) for f in fields])
    for obj in objects:
        obj._state.adding, obj._state.db = False, connection.alias
    return objects


def _phase(run: ProgrammeRun, today: dt.date) -> str:
    if run.ends_on < today:
        return "finished"
    return "running" if run.starts_on <= today else "future"


class _Generator:
    """One generation run: the random stream and the per-run facts drawn from it."""

    def __init__(self, *, seed: str, runs: list[ProgrammeRun], today: dt.date):
        self.rng = random.Random(seed)  # noqa: S311 - made-up data, reproducible on purpose
        self.runs = runs
        self.today = today
        self.weights = [run.capacity or 1 for run in runs]
        self.surnames = _weighted(SURNAMES)
        self.genders = _weighted(GENDERS)
        self.majors = _weighted(AI_MAJOR)
        self.regions = _weighted(REGIONS)
        self.participants = [p[1] for p in PARTICIPANTS]
        self.phases = {run.pk: _phase(run, today) for run in runs}
        self.titles_en = {}
        for run in runs:
            english = run.programme.get_translations().filter(
                locale__language_code="en").first()
            self.titles_en[run.programme_id] = english.title if english else ""

    def name(self) -> str:
        rng = self.rng
        return (rng.choices(*self.surnames)[0] + rng.choice(GIVEN_FIRST)
                + rng.choice(GIVEN_SECOND))

    def runs_of_learner(self, count: int) -> list[ProgrammeRun]:
        """``count`` different runs, the bigger ones likelier (weighted sampling without
        replacement: the largest ``u ** (1 / weight)``)."""
        if count == 1:
            return self.rng.choices(self.runs, weights=self.weights)
        keyed = sorted(zip(self.runs, self.weights, strict=True),
                       key=lambda rw: self.rng.random() ** (1 / rw[1]), reverse=True)
        return sorted((run for run, _w in keyed[:count]), key=lambda r: r.starts_on)

    def moment(self, start: dt.datetime, end: dt.datetime) -> dt.datetime:
        return start + (end - start) * self.rng.random()

    def profile(self, *, user_id: int, year: int, joined: dt.datetime) -> LearnerProfile:
        rng = self.rng
        status, _weight, youngest, oldest = rng.choices(PARTICIPANTS,
                                                        weights=self.participants)[0]
        consent = rng.random() < CONSENT_SHARE
        return LearnerProfile(
            user_id=user_id, participant_status=status, ai_major=rng.choices(*self.majors)[0],
            gender=rng.choices(*self.genders)[0],
            birth_year=(None if rng.random() < NO_BIRTH_YEAR_SHARE
                        else year - rng.randint(youngest, oldest)),
            region="" if rng.random() < NO_REGION_SHARE else rng.choices(*self.regions)[0],
            stats_consent=consent, stats_consent_at=joined if consent else None,
            created_at=joined)

    def enrolment(self, *, user_id: int, run: ProgrammeRun) -> Enrolment:
        rng = self.rng
        outcomes = OUTCOMES[self.phases[run.pk]]
        status = rng.choices([o[0] for o in outcomes], weights=[o[1] for o in outcomes])[0]
        applied = self.moment(run.enrolment_opens_at, run.enrolment_closes_at)
        enrolment = Enrolment(learner_id=user_id, run=run, status=status, applied_at=applied)
        if status == EnrolmentStatus.APPLIED:
            return enrolment
        enrolment.enrolled_at = applied + dt.timedelta(hours=rng.uniform(0, 72))
        start = dt.datetime.combine(run.starts_on, dt.time(9), SEOUL)
        end = dt.datetime.combine(run.ends_on, dt.time(18), SEOUL)
        if status == EnrolmentStatus.COMPLETED:
            enrolment.completed_at = self.moment(start + (end - start) * 0.7, end)
        elif status == EnrolmentStatus.DROPPED:
            last = min(end, dt.datetime.combine(self.today, dt.time(9), SEOUL))
            enrolment.dropped_at = self.moment(max(start, enrolment.enrolled_at),
                                               max(last, enrolment.enrolled_at))
            enrolment.drop_reason = rng.choice(DROP_REASONS)
        return enrolment

    def code(self) -> str:
        return base64.urlsafe_b64encode(self.rng.randbytes(18)).decode()


def synthetic_generate(*, learners: int, years: list[int] | None = None, seed: int = 0,
                       enrolments_per_learner: int = 1, runs_per_year: int = 1,
                       batch_size: int = 5000,
                       progress: Callable[[str], None] | None = None) -> SyntheticSummary:
    """Add ``learners`` synthetic learners, each enrolled in ``enrolments_per_learner``
    different runs of ``years`` (default: 2023 to this year)."""
    today = timezone.localdate()
    years = sorted(set(years or range(FIRST_YEAR, today.year + 1)))
    summary = SyntheticSummary()
    started = timezone.now()
    with transaction.atomic():
        runs, summary.runs_created = _runs_ensure(years=years, runs_per_year=runs_per_year)
        if enrolments_per_learner > len(runs):
            raise SyntheticDataError(
                f"{enrolments_per_learner} enrolments per learner need as many runs, but the "
                f"years {years[0]}–{years[-1]} have {len(runs)}: ask for more runs per year.")
        offset = synthetic_users().count()
        generator = _Generator(seed=f"{seed}:{offset}", runs=runs, today=today)
        learner_group = role_group(role=Role.LEARNER)
        # Serials continue each year's counter; the rows stay locked until the end.
        serials = {year: CertificateSerial.objects.select_for_update().get_or_create(
            year=year)[0] for year in {run.year for run in runs}}
        memberships = User.groups.through
        for first in range(0, learners, batch_size):
            count = min(batch_size, learners - first)
            plans = [generator.runs_of_learner(enrolments_per_learner) for _ in range(count)]
            joined = [generator.moment(plan[0].enrolment_opens_at - dt.timedelta(days=60),
                                       plan[0].enrolment_opens_at) for plan in plans]
            users = _insert(User, [User(
                email=f"learner-{offset + first + i:07d}@{SYNTHETIC_DOMAIN}",
                full_name=generator.name(), password=UNUSABLE_PASSWORD_PREFIX + "synthetic",
                date_joined=joined[i]) for i in range(count)], batch_size=batch_size)
            _insert(LearnerProfile, [generator.profile(
                user_id=user.pk, year=plan[0].year, joined=when)
                for user, plan, when in zip(users, plans, joined, strict=True)],
                batch_size=batch_size)
            _insert(memberships, [memberships(user_id=u.pk, group_id=learner_group.pk)
                                  for u in users], batch_size=batch_size)
            enrolments = _insert(Enrolment, [
                generator.enrolment(user_id=user.pk, run=run)
                for user, plan in zip(users, plans, strict=True) for run in plan],
                batch_size=batch_size)
            names = {user.pk: user.full_name for user in users}
            certificates = []
            for enrolment in enrolments:
                if enrolment.status != EnrolmentStatus.COMPLETED:
                    continue
                run = enrolment.run
                counter = serials[run.year]
                counter.last += 1
                certificate = Certificate(
                    enrolment_id=enrolment.pk, serial=serial_format(run.year, counter.last),
                    code=generator.code(), holder_name=names[enrolment.learner_id],
                    programme_title=run.programme.title,
                    programme_title_en=generator.titles_en[run.programme_id],
                    hours=run.programme.total_hours, issued_at=enrolment.completed_at)
                if generator.rng.random() < REVOKED_SHARE:
                    certificate.revoked_at = enrolment.completed_at + dt.timedelta(days=30)
                    certificate.revoked_reason = "부정 행위 확인 (합성 데이터)"
                certificates.append(certificate)
            _insert(Certificate, certificates, batch_size=batch_size)
            summary.learners += count
            summary.enrolments += len(enrolments)
            summary.certificates += len(certificates)
            if progress:
                seconds = (timezone.now() - started).total_seconds()
                progress(f"{summary.learners:,}/{learners:,} learners, "
                         f"{summary.enrolments:,} enrolments, "
                         f"{summary.certificates:,} certificates ({seconds:.0f} s)")
        for counter in serials.values():
            counter.save(update_fields=["last"])
        # The rows went in without signals: the runs' seats left show on every learner's page.
        shared_pages_changed()
    if connection.vendor == "postgresql":
        # The planner's row counts, refreshed now rather than by autovacuum some time later:
        # with the old ones it would pick nested loops for tables that just grew a hundredfold.
        tables = [m._meta.db_table for m in (User, LearnerProfile, User.groups.through,
                                             Enrolment, Certificate)]
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))
    # The rows went in without the services: the triggers recorded them; count them now
    # (a large load is counted again at once) rather than on the dashboard's next visit.
    statistics_catch_up()
    cache.delete(SYNTHETIC_COUNT_KEY)
    return summary


def _delete_rows(queryset) -> int:
    """DELETE the queryset's rows in one statement. Django's ``delete()`` would load every
    object and send signals (Wagtail listens to every model's deletions) for rows that were
    inserted without any: hours instead of seconds for a hundred thousand learners."""
    meta = queryset.model._meta
    quote = connection.ops.quote_name
    sql, params = queryset.values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {quote(meta.db_table)} WHERE {quote(meta.pk.column)} "  # noqa: S608 - quoted names, values as parameters
                       f"IN ({sql})", params)
        return cursor.rowcount


def synthetic_delete(*, progress: Callable[[str], None] | None = None) -> int:
    """Remove every synthetic learner with their certificates, enrolments, profiles and role
    (runs and serial counters stay: a serial is never given twice). The number of learners.

    Only what the generator made is removed with them; a synthetic learner who has anything
    else (a submission, say) stops the deletion with an error, before anything is removed.
    """
    users = synthetic_users()
    enrolments = Enrolment.objects.filter(learner__in=users)
    with transaction.atomic():
        _delete_rows(Outcome.objects.filter(certificate__enrolment__in=enrolments))
        _delete_rows(OutcomeConsent.objects.filter(user__in=users))
        certificates = _delete_rows(Certificate.objects.filter(enrolment__in=enrolments))
        enrolment_count = _delete_rows(enrolments)
        _delete_rows(LearnerProfile.objects.filter(user__in=users))
        _delete_rows(User.groups.through.objects.filter(user__in=users))
        try:
            with transaction.atomic():
                count = _delete_rows(users)
                connection.check_constraints()  # deferred foreign keys, checked now
        except IntegrityError as error:
            raise SyntheticDataError(
                "Some synthetic learners have data the generator did not make, so they were "
                f"left in place; remove it first ({error}).") from None
        shared_pages_changed()  # as after generating: the seats left
    statistics_catch_up()  # as after generating
    cache.delete(SYNTHETIC_COUNT_KEY)
    if progress:
        progress(f"{certificates:,} certificates and {enrolment_count:,} enrolments removed")
    return count
