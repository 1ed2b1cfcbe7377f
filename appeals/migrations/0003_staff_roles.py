"""Create the staff roles, so that a fresh install has them.

Editors write and publish appeals and record their delivery; they never see signer
emails. Moderators moderate signatures, comments and co-signatures; they cannot edit
appeal text. Signer emails are visible only with the permissions of the third group.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = {
    "Editors": [
        "add_appeal",
        "change_appeal",
        "view_appeal",
        "add_organization",
        "change_organization",
        "view_organization",
        "add_authorship",
        "change_authorship",
        "delete_authorship",
        "view_authorship",
        "add_deliveryevent",
        "change_deliveryevent",
        "delete_deliveryevent",
        "view_deliveryevent",
        "export_signatures",
        "view_exportlog",
    ],
    "Moderators": [
        "view_appeal",
        "view_organization",
        "view_signature",
        "change_signature",
        "view_organizationsignature",
        "change_organizationsignature",
        "export_signatures",
        "view_exportlog",
    ],
    "Signer data access": [
        "view_signer_email",
        "export_signer_emails",
    ],
}


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations ran; make sure the
    # ones this migration hands out exist already.
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


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("appeals", "0002_delivery_exports_permissions"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
