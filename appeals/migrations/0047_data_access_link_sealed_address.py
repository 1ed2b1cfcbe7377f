from django.db import migrations, models


def delete_links_with_a_plain_address(apps, schema_editor):
    # Links made before kept the address as it is: they go (a signer can ask
    # again), and with them the addresses.
    apps.get_model("appeals", "DataAccessLink").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("appeals", "0045_signature_log_backfill"),
    ]

    operations = [
        migrations.RunPython(
            delete_links_with_a_plain_address, migrations.RunPython.noop
        ),
        migrations.RemoveField(model_name="dataaccesslink", name="email_normalized"),
        migrations.AddField(
            model_name="dataaccesslink",
            name="sealed_address",
            field=models.TextField(default=""),
            preserve_default=False,
        ),
    ]
