"""Give the role groups their permissions on assignments in the Wagtail admin.

Programme staff and instructors add, change and view assignments (instructors only see and
edit those of the courses they teach: the admin views filter by course); programme staff may
also delete them. Gradebooks check course membership themselves, not model permissions.
"""

from django.db import migrations

GRANTS = {
    "programme_staff": {"assignment": ("add", "change", "view", "delete")},
    "instructor": {"assignment": ("add", "change", "view")},
}
VERBOSE = {"assignment": "assignment"}


def _permission(apps, model, action):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    content_type, _ = ContentType.objects.get_or_create(app_label="grading", model=model)
    # On a fresh database Django creates model permissions only after all migrations ran.
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type, codename=f"{action}_{model}",
        defaults={"name": f"Can {action} {VERBOSE[model]}"},
    )
    return permission


def grant(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for group_name, models in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        for model, actions in models.items():
            for action in actions:
                group.permissions.add(_permission(apps, model, action))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for group_name, models in GRANTS.items():
        group = Group.objects.filter(name=group_name).first()
        if group is None:
            continue
        for model, actions in models.items():
            group.permissions.remove(*group.permissions.filter(
                content_type__app_label="grading",
                codename__in=[f"{action}_{model}" for action in actions]))


class Migration(migrations.Migration):
    dependencies = [
        ("grading", "0001_initial"),
        ("accounts", "0002_role_groups"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
