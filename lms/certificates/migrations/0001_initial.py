"""Certificates move here from the grading app, in state only.

The tables ``grading_certificate`` and ``grading_certificateserial`` keep their names and
their rows (``Meta.db_table``); nothing is copied. ``grading/migrations/0007`` removes the
models from the grading app's state first. The content types (and with them the permissions
"view certificate" and "revoke certificate" held by the programme staff group, and admin log
entries) are moved to this app's label.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import lms.certificates.models

MODELS = ("certificate", "certificateserial")


def content_types_move(apps, schema_editor, source="grading", target="certificates"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if ContentType.objects.filter(app_label=target, model=model).exists():
            continue  # already there (a database made after the move)
        ContentType.objects.filter(app_label=source, model=model).update(app_label=target)


def content_types_back(apps, schema_editor):
    content_types_move(apps, schema_editor, source="certificates", target="grading")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("courses", "0002_admin_model_permissions"),
        ("grading", "0007_certificates_moved"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='CertificateSerial',
                    fields=[
                        ('year', models.PositiveSmallIntegerField(primary_key=True, serialize=False)),
                        ('last', models.PositiveIntegerField(default=0)),
                    ],
                    options={
                        'db_table': 'grading_certificateserial',
                    },
                ),
                migrations.CreateModel(
                    name='Certificate',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('serial', models.CharField(max_length=20, unique=True, verbose_name='serial number')),
                        ('code', models.CharField(default=lms.certificates.models._verification_code, editable=False, max_length=32, unique=True, verbose_name='verification code')),
                        ('holder_name', models.CharField(max_length=150, verbose_name='holder')),
                        ('programme_title', models.CharField(max_length=255, verbose_name='programme')),
                        ('programme_title_en', models.CharField(blank=True, max_length=255, verbose_name='programme (English)')),
                        ('hours', models.PositiveSmallIntegerField(verbose_name='hours')),
                        ('issued_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='issued at')),
                        ('show_name', models.BooleanField(default=False, help_text='Otherwise the page shows the name masked (e.g. 김*늘).', verbose_name='show my name on the verification page')),
                        ('revoked_at', models.DateTimeField(blank=True, null=True, verbose_name='revoked at')),
                        ('revoked_reason', models.TextField(blank=True, verbose_name='reason for revoking')),
                        ('enrolment', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='certificate', to='courses.enrolment', verbose_name='enrolment')),
                        ('revoked_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='revoked by')),
                    ],
                    options={
                        'verbose_name': 'certificate',
                        'verbose_name_plural': 'certificates',
                        'db_table': 'grading_certificate',
                        'ordering': ['-issued_at'],
                        'permissions': [('revoke_certificate', 'Can revoke certificate')],
                        'constraints': [models.CheckConstraint(condition=models.Q(('revoked_at__isnull', True), models.Q(('revoked_reason', ''), _negated=True), _connector='OR'), name='certificate_revocation_has_reason')],
                    },
                ),
            ],
        ),
        migrations.RunPython(content_types_move, content_types_back),
    ]
