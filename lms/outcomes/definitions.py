"""The definitions and categories of employment outcomes, in one place, each with its source.

Everything that counts an outcome (the follow-up form, the admin, the employment rate on the
ministry dashboard, the exports and the API) takes its categories and its rule from here, and
docs/employment-outcomes.md documents them in Korean and English.

Sources:
- [KDT] 고용노동부, K-디지털 트레이닝 성과평가: 수료 후 6개월 이내 취업자 (고용보험 피보험자격
  취득), 수료 후 7개월 차에 산정; 대기업 취업 비율, 월평균 임금 함께 공개.
- [GOMS] 교육부·한국교육개발원, 고등교육기관 졸업자 취업통계조사: 취업자 = 건강보험
  직장가입자 + 해외취업자 + 농림어업종사자 + 개인창작활동종사자 + 1인 창(사)업자 + 프리랜서;
  취업률 = 취업자 / (졸업자 − 진학자 − 입대자 − 취업불가능자 − 외국인유학생 − 제외인정자);
  유지취업률 = 취업 후 일정 기간 뒤 건강보험 직장가입 유지 비율.
- [SME] 중소기업기본법 시행령 별표 1 and the 고용형태공시 size classes: 1–49, 50–299,
  300–499, 500+ employees (500+ is what the ministry reads as a large firm).
- [KSIC] 통계청, 한국표준산업분류 제10차 개정 (대분류 A–U).
"""

import calendar
import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _

# The follow-up points, in months after completion (the certificate's issue date), unless the
# OUTCOMES_FOLLOW_UP_MONTHS setting says otherwise. The rate uses the points up to RATE_MONTHS.
DEFAULT_FOLLOW_UP_MONTHS = (3, 6)
RATE_MONTHS = 6  # [KDT]: employed within 6 months of completion


class Status(models.TextChoices):
    """What a completer was doing at a follow-up point ([GOMS] categories, [KDT] rule)."""

    INSURED_EMPLOYEE = "insured_employee", _("Employed, insured employee (건강보험 직장가입자)")
    FREELANCER = "freelancer", _("Freelancer")
    SELF_EMPLOYED = "self_employed", _("Self-employed or start-up founder (1인 창(사)업자)")
    CREATIVE = "creative", _("Independent creative work (개인창작활동종사자)")
    EMPLOYED_ABROAD = "employed_abroad", _("Employed abroad")
    FURTHER_STUDY = "further_study", _("In further study")
    MILITARY_SERVICE = "military_service", _("In military service")
    NOT_EMPLOYED = "not_employed", _("Not employed")
    NO_ANSWER = "no_answer", _("No answer")


# Counted as employed in the rate's numerator ([GOMS] 취업자).
EMPLOYED = frozenset({Status.INSURED_EMPLOYEE, Status.FREELANCER, Status.SELF_EMPLOYED,
                      Status.CREATIVE, Status.EMPLOYED_ABROAD})
# Taken out of the rate's denominator ([GOMS] 진학자, 입대자).
EXCLUDED = frozenset({Status.FURTHER_STUDY, Status.MILITARY_SERVICE})
# An answer from the person (every status but no answer).
ANSWERED = frozenset(set(Status) - {Status.NO_ANSWER})


class EmployerSize(models.TextChoices):
    """Employer size by number of employees ([SME])."""

    SMALL = "1-49", _("1–49 employees")
    MEDIUM = "50-299", _("50–299 employees")
    MIDSIZE = "300-499", _("300–499 employees")
    LARGE = "500+", _("500 or more employees")


class PayBand(models.TextChoices):
    """Monthly pay before tax, in 10,000 won (만원) ([KDT] reports average monthly pay)."""

    UNDER_200 = "lt200", _("Under 2 million won")
    FROM_200 = "200-249", _("2 to 2.5 million won")
    FROM_250 = "250-299", _("2.5 to 3 million won")
    FROM_300 = "300-399", _("3 to 4 million won")
    FROM_400 = "400+", _("4 million won or more")


class Industry(models.TextChoices):
    """The employer's industry: the sections of the Korean Standard Industrial Classification
    ([KSIC] 대분류)."""

    A = "A", _("Agriculture, forestry and fishing")
    B = "B", _("Mining and quarrying")
    C = "C", _("Manufacturing")
    D = "D", _("Electricity, gas, steam and air conditioning supply")
    E = "E", _("Water supply; sewage, waste management and remediation")
    F = "F", _("Construction")
    G = "G", _("Wholesale and retail trade")
    H = "H", _("Transportation and storage")
    I = "I", _("Accommodation and food service")  # noqa: E741 - KSIC's own letter
    J = "J", _("Information and communication")
    K = "K", _("Financial and insurance activities")
    L = "L", _("Real estate activities")
    M = "M", _("Professional, scientific and technical activities")
    N = "N", _("Business facilities management, business support and rental")
    O = "O", _("Public administration and defence; compulsory social security")  # noqa: E741
    P = "P", _("Education")
    Q = "Q", _("Human health and social work")
    R = "R", _("Arts, sports and recreation")
    S = "S", _("Membership organisations, repair and other personal services")
    T = "T", _("Activities of households as employers")
    U = "U", _("Activities of extraterritorial organisations")


class Source(models.TextChoices):
    """Where an outcome came from."""

    FORM = "form", _("Follow-up form (emailed link)")
    LEARNER = "learner", _("The learner, from My learning")
    STAFF = "staff", _("Programme staff")
    SYSTEM = "system", _("Recorded as no answer after the window")


def months_after(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later (the month's last day when it has fewer days)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month,
                       day=min(day.day, calendar.monthrange(year, month)[1]))


# How a completion counts in the employment rate.
class RateClass(models.TextChoices):
    EMPLOYED = "employed", _("Employed within 6 months")
    NOT_EMPLOYED = "not_employed", _("Not employed")
    EXCLUDED = "excluded", _("Further study or military service (not counted)")
    NO_ANSWER = "no_answer", _("No answer (counted as not employed)")
    PENDING = "pending", _("Not yet due")


def rate_due_on(completed_on: datetime.date, *, window_days: int) -> datetime.date:
    """The day a completion enters the rate: 6 months after completion plus the answer window
    (with the default 30 days, month 7, as [KDT] computes it)."""
    return months_after(completed_on, RATE_MONTHS) + datetime.timedelta(days=window_days)


def rate_class(*, completed_on: datetime.date, today: datetime.date, window_days: int,
               answers: list[tuple[int, str, datetime.date | None]]) -> RateClass:
    """How one completion counts in the employment rate: THE rule, used everywhere.

    ``answers`` are the completion's outcomes as (months after completion, status, date
    employed). The rule:
    1. Until ``rate_due_on`` the completion is pending: not in the rate at all.
    2. Employed when an answer for a point of at most 6 months says employed ([GOMS]
       categories, see EMPLOYED), with a date employed that is empty or at most 6 months after
       completion ([KDT]: employed within 6 months).
    3. Otherwise the latest such answer decides: further study or military service takes the
       completion out of the denominator ([GOMS]); anything else is not employed.
    4. A completer with no answer (no consent, no reply) stays in the denominator and is not
       counted as employed: the rate never grows by losing people. The response rate is shown
       beside it.
    """
    if today < rate_due_on(completed_on, window_days=window_days):
        return RateClass.PENDING
    limit = months_after(completed_on, RATE_MONTHS)
    within = sorted((a for a in answers if a[0] <= RATE_MONTHS and a[1] in ANSWERED),
                    key=lambda a: a[0])
    if any(status in EMPLOYED and (employed_on is None or employed_on <= limit)
           for _months, status, employed_on in within):
        return RateClass.EMPLOYED
    if not within:
        return RateClass.NO_ANSWER
    if within[-1][1] in EXCLUDED:
        return RateClass.EXCLUDED
    return RateClass.NOT_EMPLOYED
