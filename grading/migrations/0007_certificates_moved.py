"""Certificates move to ``lms.certificates`` (its migration 0001), in state only: the tables
stay as they are, with their rows."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("grading", "0006_data_file_hidden"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name="Certificate"),
                migrations.DeleteModel(name="CertificateSerial"),
            ],
        ),
    ]
