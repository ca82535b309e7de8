"""Programme staff see and correct outcomes, see consents, and export the matching list."""

from django.db import migrations

GRANTS = [
    ("outcome", "view_outcome", "Can view employment outcome"),
    ("outcome", "change_outcome", "Can change employment outcome"),
    ("outcomeconsent", "view_outcomeconsent", "Can view employment outcome consent"),
    ("matchingexport", "view_matchingexport", "Can view matching export"),
    ("matchingexport", "export_matching", "Can export the matching list"),
]


def grant(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    group, _ = Group.objects.get_or_create(name="programme_staff")
    for model, codename, name in GRANTS:
        content_type, _ = ContentType.objects.get_or_create(app_label="outcomes", model=model)
        permission, _ = Permission.objects.get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name})
        group.permissions.add(permission)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    group = Group.objects.filter(name="programme_staff").first()
    if group is not None:
        group.permissions.remove(*Permission.objects.filter(
            content_type__app_label="outcomes", codename__in=[g[1] for g in GRANTS]))


class Migration(migrations.Migration):
    dependencies = [
        ("outcomes", "0002_matching_export_and_language"),
        ("accounts", "0002_role_groups"),
    ]
    operations = [migrations.RunPython(grant, revoke)]
