"""Moderators see the mail queue and send failed emails again; editors see it."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = {
    "Moderators": ["view_outgoingemail", "change_outgoingemail"],
    "Editors": ["view_outgoingemail"],
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
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="appeals", codename__in=codenames
            )
        )


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
    dependencies = [("appeals", "0011_outgoing_email")]

    operations = [migrations.RunPython(grant, revoke)]
