"""The pseudonymised enrolment-level export ("microdata") for the ministry's own analyses.

One CSV row per enrolment of a learner who consented to statistical use:

    pseudonym,year,programme,run,status,participant_status,ai_major,gender,age_band,region,
    certified

- ``pseudonym`` is HMAC-SHA256 of the learner's id under ``settings.REPORTS_PSEUDONYM_KEY``
  (64 hex digits): the same learner has the same pseudonym in every export made with the same
  key, so enrolments of one person can be linked across runs and years, but the id, name and
  email address are never written, and without the key the pseudonym cannot be traced back
  (ids are few enough to try them all, which is why it is keyed). Changing the key (or, when
  it is derived, ``DJANGO_SECRET_KEY``) changes every pseudonym.
- ``programme`` is the programme's key (its pages' ``translation_key``) and ``run`` the run
  number; ``year`` is the year the run counts towards, and the age band is taken in that year.
- Every value is a code (ASCII), never a label; a missing answer is an empty field.

Unlike the dashboard and ``export_stats`` nothing is suppressed here: these are records about
people, though without names. So it is not on the site or the API at all: only operators with
shell access to a server run ``manage.py export_enrolments`` and hand the file over under the
data-sharing agreement.

On PostgreSQL the database writes the CSV itself (``COPY (SELECT ...) TO STDOUT``) and the
rows are streamed to the file as they come, so memory stays flat however many rows there are.
The pseudonym is computed in SQL with the built-in ``sha256()`` (HMAC built from it, so no
pgcrypto extension is needed); the key's pads travel as transaction-local settings, never in
the statement text (which the server may log for a long-running COPY). Other databases (the
SQLite demo) get the same bytes from a chunked iterator and Python's ``hmac``.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
from typing import IO

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, CharField, Exists, F, Func, OuterRef, QuerySet, Value, When
from django.db.models.functions import NullIf

from courses.models import Enrolment
from lms.certificates.models import Certificate
from lms.reports.selectors import age_band_expression

COLUMNS = ("pseudonym", "year", "programme", "run", "status", "participant_status",
           "ai_major", "gender", "age_band", "region", "certified")
CHUNK_SIZE = 5000
# Where the HMAC pads of the key live during a COPY (SET LOCAL: gone with the transaction).
INNER_SETTING, OUTER_SETTING = "aimd.pseudonym_inner", "aimd.pseudonym_outer"
PROFILE = "learner__profile__"


def _key() -> bytes:
    return settings.REPORTS_PSEUDONYM_KEY.encode()


def pseudonym(*, learner_id: int) -> str:
    """The learner's pseudonym under the configured key (what the export writes)."""
    return hmac.new(_key(), str(learner_id).encode(), hashlib.sha256).hexdigest()


def pseudonym_pads() -> dict[str, str]:
    """The HMAC-SHA256 inner and outer pads of the key (RFC 2104), in hex, by setting name:
    with them ``sha256(outer || sha256(inner || message))`` is the HMAC, in plain SQL."""
    key = _key()
    if len(key) > hashlib.sha256().block_size:
        key = hashlib.sha256(key).digest()
    key = key.ljust(hashlib.sha256().block_size, b"\0")
    return {INNER_SETTING: bytes(b ^ 0x36 for b in key).hex(),
            OUTER_SETTING: bytes(b ^ 0x5C for b in key).hex()}


class _Pseudonym(Func):
    """HMAC-SHA256 of the learner id in PostgreSQL, the pads read from the settings above."""

    template = (f"encode(sha256(decode(current_setting('{OUTER_SETTING}'), 'hex') || "
                f"sha256(decode(current_setting('{INNER_SETTING}'), 'hex') || "
                f"convert_to((%(expressions)s)::text, 'UTF8'))), 'hex')")
    output_field = CharField()


def _text(flag: str) -> Case:
    """A boolean as "true"/"false" (empty when unknown), the same in every database."""
    return Case(When(**{flag: True}, then=Value("true")), When(**{flag: False},
                                                               then=Value("false")),
                default=Value(None), output_field=CharField())


def _enrolments(*, year: int | None) -> QuerySet:
    enrolments = Enrolment.objects.filter(**{f"{PROFILE}stats_consent": True})
    if year is not None:
        enrolments = enrolments.filter(run__year=year)
    certified = Exists(Certificate.objects.filter(enrolment=OuterRef("pk"),
                                                  revoked_at__isnull=True))
    return enrolments.annotate(
        year=F("run__year"), programme=F("run__programme__translation_key"),
        run_number=F("run__number"),
        participant=NullIf(F(f"{PROFILE}participant_status"), Value("")),
        major=_text(f"{PROFILE}ai_major"),
        gender_code=NullIf(F(f"{PROFILE}gender"), Value("")),
        age_band=age_band_expression(year=F("run__year"), birth_year=f"{PROFILE}birth_year"),
        region_code=NullIf(F(f"{PROFILE}region"), Value("")),
        certified=Case(When(certified, then=Value("true")), default=Value("false"),
                       output_field=CharField()),
    ).order_by("pk")


_VALUES = ("year", "programme", "run_number", "status", "participant", "major", "gender_code",
           "age_band", "region_code", "certified")


def microdata_select(*, year: int | None = None) -> tuple[str, tuple]:
    """The PostgreSQL SELECT of the rows (pseudonym first) and its parameters; it reads the
    key's pads from the settings that :func:`pseudonym_pads` names."""
    rows = _enrolments(year=year).annotate(pseudonym=_Pseudonym("learner_id")) \
        .values_list("pseudonym", *_VALUES)
    return rows.query.sql_with_params()


def microdata_export(*, out: IO[bytes], year: int | None = None) -> int:
    """Write the header and every row as CSV (UTF-8, ``\\n`` line ends) to ``out``; the
    number of rows written. All enrolments of consenting learners, or one year's."""
    out.write((",".join(COLUMNS) + "\n").encode())
    if connection.vendor == "postgresql":
        return _export_copy(out=out, year=year)
    return _export_iterate(out=out, year=year)


def _export_copy(*, out: IO[bytes], year: int | None) -> int:
    sql, params = microdata_select(year=year)
    with transaction.atomic(), connection.cursor() as cursor:
        pads = pseudonym_pads()
        cursor.execute("SELECT set_config(%s, %s, true), set_config(%s, %s, true)",
                       [INNER_SETTING, pads[INNER_SETTING], OUTER_SETTING, pads[OUTER_SETTING]])
        raw = cursor.cursor  # psycopg's own cursor: Django has no COPY
        with raw.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy:
            for data in copy:
                out.write(data)
        return raw.rowcount


def _export_iterate(*, out: IO[bytes], year: int | None) -> int:
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    try:
        writer = csv.writer(text, lineterminator="\n")
        count = 0
        rows = _enrolments(year=year).values_list("learner_id", *_VALUES)
        for learner_id, *values in rows.iterator(chunk_size=CHUNK_SIZE):
            writer.writerow([pseudonym(learner_id=learner_id),
                             *(str(v) if v is not None else None for v in values)])
            count += 1
        text.flush()
        return count
    finally:
        text.detach()  # the caller's file stays open
