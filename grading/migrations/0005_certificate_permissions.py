"""Programme staff see and revoke certificates in the admin (view and revoke)."""

from django.db import migrations


def grant(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _ = ContentType.objects.get_or_create(app_label="grading",
                                                        model="certificate")
    group, _ = Group.objects.get_or_create(name="programme_staff")
    for codename, name in (("view_certificate", "Can view certificate"),
                           ("revoke_certificate", "Can revoke certificate")):
        permission, _ = Permission.objects.get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name})
        group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("grading", "0004_certificates"),
        ("accounts", "0002_role_groups"),
    ]
    operations = [
        migrations.AlterModelOptions(
            name="certificate",
            options={"ordering": ["-issued_at"],
                     "permissions": [("revoke_certificate", "Can revoke certificate")],
                     "verbose_name": "certificate", "verbose_name_plural": "certificates"}),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
