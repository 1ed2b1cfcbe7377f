"""Editors write and send updates to signers (with their language versions);
moderators see them."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = {
    "Editors": [
        "add_update",
        "change_update",
        "delete_update",
        "view_update",
        "add_updatetext",
        "change_updatetext",
        "delete_updatetext",
        "view_updatetext",
    ],
    "Moderators": ["view_update", "view_updatetext"],
}


def grant(apps, schema_editor):
    app_config = apps.get_app_config("appeals")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLES.items():
        group, _created = Group.objects.get_or_create(name=name)
        permissions = Permission.objects.filter(
            content_type__app_label="appeals", codename__in=codenames
        )
        assert permissions.count() == len(codenames), name
        group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLES.items():
        for group in Group.objects.filter(name=name):
            group.permissions.remove(
                *Permission.objects.filter(
                    content_type__app_label="appeals", codename__in=codenames
                )
            )


class Migration(migrations.Migration):
    dependencies = [("appeals", "0015_updates")]

    operations = [migrations.RunPython(grant, revoke)]
