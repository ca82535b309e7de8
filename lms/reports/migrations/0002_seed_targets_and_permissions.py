"""The targets of the industrial AI strategy (2023: 100 certified people, 2024 onwards: 400
a year, seeded to 2030; programme staff edit and extend them) and who may edit them."""

from django.db import migrations

TARGETS = {2023: 100, **{year: 400 for year in range(2024, 2031)}}


def seed(apps, schema_editor):
    YearlyTarget = apps.get_model("reports", "YearlyTarget")
    for year, target in TARGETS.items():
        YearlyTarget.objects.get_or_create(year=year, defaults={"target": target})
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _ = ContentType.objects.get_or_create(app_label="reports",
                                                        model="yearlytarget")
    group, _ = Group.objects.get_or_create(name="programme_staff")
    for action in ("add", "change", "view"):
        permission, _ = Permission.objects.get_or_create(
            content_type=content_type, codename=f"{action}_yearlytarget",
            defaults={"name": f"Can {action} yearly target"})
        group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("accounts", "0002_role_groups"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
