"""The pseudonymised enrolment-level export: a row per enrolment of consenting learners, a
keyed pseudonym instead of the person, the same bytes from PostgreSQL's COPY and from the
portable path."""

import csv
import hashlib
import hmac
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from lms.reports.microdata import (
    COLUMNS,
    _export_copy,
    _export_iterate,
    microdata_export,
    pseudonym,
)
from tests.reports.test_dashboard import learner_with

pytestmark = pytest.mark.django_db


def exported(**filters) -> list[dict]:
    out = io.BytesIO()
    count = microdata_export(out=out, **filters)
    rows = list(csv.DictReader(io.StringIO(out.getvalue().decode())))
    assert len(rows) == count
    return rows


@pytest.fixture
def enrolments(run):
    completed = learner_with(run, status="completed", certified=True,
                             participant_status="employed", ai_major=False, gender="female",
                             region="busan", birth_year=run.year - 34)
    enrolled = learner_with(run, status="enrolled", participant_status="", ai_major=None,
                            gender="", region="", birth_year=None)
    hidden = learner_with(run, status="completed", certified=True, consent=False,
                          participant_status="job_seeker")
    return completed, enrolled, hidden


def test_a_row_per_enrolment_of_consenting_learners(run, enrolments):
    completed, enrolled, _hidden = enrolments

    rows = {row["pseudonym"]: row for row in exported()}

    assert set(rows) == {pseudonym(learner_id=completed.learner_id),
                         pseudonym(learner_id=enrolled.learner_id)}
    row = rows[pseudonym(learner_id=completed.learner_id)]
    assert row == {
        "pseudonym": row["pseudonym"], "year": str(run.year),
        "programme": str(run.programme.translation_key), "run": str(run.number),
        "status": "completed", "participant_status": "employed", "ai_major": "false",
        "gender": "female", "age_band": "30s", "region": "busan", "certified": "true"}
    blank = rows[pseudonym(learner_id=enrolled.learner_id)]
    assert [blank[k] for k in ("participant_status", "ai_major", "gender", "age_band",
                               "region", "certified")] == ["", "", "", "", "", "false"]


def test_no_ids_names_or_emails(enrolments):
    out = io.BytesIO()
    microdata_export(out=out)
    text = out.getvalue().decode()

    assert text.splitlines()[0] == ",".join(COLUMNS)
    for enrolment in enrolments:
        assert enrolment.learner.email not in text
        assert enrolment.learner.full_name not in text
    first = next(csv.DictReader(io.StringIO(text)))
    assert first["pseudonym"] not in {str(e.learner_id) for e in enrolments}


def test_the_pseudonym_is_a_keyed_hash_stable_across_exports(enrolments, settings):
    completed = enrolments[0]
    settings.REPORTS_PSEUDONYM_KEY = "key-one"
    first, again = exported(), exported()
    settings.REPORTS_PSEUDONYM_KEY = "key-two"
    other = exported()

    assert first == again
    assert pseudonym(learner_id=completed.learner_id) == hmac.new(
        b"key-two", str(completed.learner_id).encode(), hashlib.sha256).hexdigest()
    assert {r["pseudonym"] for r in first}.isdisjoint({r["pseudonym"] for r in other})


def test_a_revoked_certificate_is_not_certified(enrolments):
    completed = enrolments[0]
    certificate = completed.certificate
    certificate.revoked_at, certificate.revoked_reason = timezone.now(), "취소"
    certificate.save()

    rows = {row["pseudonym"]: row for row in exported()}

    assert rows[pseudonym(learner_id=completed.learner_id)]["certified"] == "false"


def test_the_year_filter(run, enrolments):
    assert len(exported(year=run.year)) == 2
    assert exported(year=run.year - 1) == []


@pytest.mark.parametrize("key", ["short", "k" * 100])  # a key longer than SHA-256's block
def test_copy_and_the_portable_path_write_the_same_bytes(enrolments, settings, key):
    settings.REPORTS_PSEUDONYM_KEY = key
    copied, iterated = io.BytesIO(), io.BytesIO()

    assert _export_copy(out=copied, year=None) == _export_iterate(out=iterated, year=None) == 2
    assert copied.getvalue() == iterated.getvalue()
    assert copied.getvalue().count(b"\n") == 2


def test_the_command_writes_the_file(tmp_path, enrolments):
    path = tmp_path / "enrolments.csv"
    call_command("export_enrolments", "--output", str(path), stderr=io.StringIO())

    lines = path.read_text().splitlines()
    assert lines[0] == ",".join(COLUMNS)
    assert len(lines) == 3
    assert not (tmp_path / "enrolments.csv.part").exists()


def test_the_command_refuses_a_missing_directory(tmp_path):
    with pytest.raises(CommandError, match="No such directory"):
        call_command("export_enrolments", "--output", str(tmp_path / "no" / "file.csv"))
