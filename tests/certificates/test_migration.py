"""Certificates moved from the grading app to ``lms.certificates`` without copying a row.

The database is taken back to the state before the move (grading 0006, no certificates app),
a certificate is stored as the old code stored it, and the migrations are run forward: the
same row is the new model's, and the content type and the programme staff's permissions
follow it.
"""

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from lms.certificates.models import Certificate, CertificateSerial

BEFORE = [("grading", "0006_data_file_hidden"), ("certificates", None)]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state([t for t in targets if t[1] is not None]).apps


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


# serialized_rollback: the flush after this test would remove the rows the migrations made.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_database_made_before_the_move_migrates_with_its_certificates(enrolled_learner, run):
    enrolment = enrolled_learner.enrolments.get(run=run)
    old = _migrate(BEFORE)
    OldCertificate = old.get_model("grading", "Certificate")
    OldCertificate.objects.create(enrolment_id=enrolment.pk, serial="AIMD-2025-000007",
                                  code="made-before-the-move", holder_name="김하늘",
                                  programme_title="제조 AI 기초", hours=120)
    old.get_model("grading", "CertificateSerial").objects.create(year=2025, last=7)
    assert ContentType.objects.filter(app_label="grading", model="certificate").exists()

    _migrate(_latest())

    certificate = Certificate.objects.get(serial="AIMD-2025-000007")
    assert certificate.enrolment_id == enrolment.pk
    assert certificate.code == "made-before-the-move"
    assert not ContentType.objects.filter(app_label="grading", model="certificate").exists()
    revoke = Permission.objects.get(codename="revoke_certificate")
    assert revoke.content_type.app_label == "certificates"
    assert revoke in Group.objects.get(name="programme_staff").permissions.all()
    # Numbering goes on from the old counter.
    assert CertificateSerial.objects.get(year=2025).last == 7
