"""Profiles, which say whether an account's email address is confirmed (instead of guessing it
from `is_active` and `last_login`), and one waiting suggestion per key.

Existing accounts get a profile: an account that is on, or has signed in before, is confirmed
(at its last sign-in, else when it joined); an account that is off and has never signed in is
still waiting for confirmation, as the old guess said."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import Q


def add_profiles(apps, schema_editor):
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    Profile = apps.get_model("accounts", "Profile")
    have = set(Profile.objects.values_list("user_id", flat=True))
    users = User.objects.exclude(pk__in=have).values_list(
        "pk", "is_active", "last_login", "date_joined"
    )
    Profile.objects.bulk_create(
        [
            Profile(
                user_id=pk,
                email_confirmed_at=(last_login or joined) if active or last_login else None,
            )
            for pk, active, last_login, joined in users.iterator()
        ],
        batch_size=1000,
    )


def remove_profiles(apps, schema_editor):
    apps.get_model("accounts", "Profile").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_role_groups"),
        ("assets", "0007_asset_uuid_version_7"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Profile",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("email_confirmed_at", models.DateTimeField(blank=True, null=True)),
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="profile",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        ),
        migrations.AddField(
            model_name="suggestion",
            name="pending_key",
            field=models.CharField(blank=True, default="", editable=False, max_length=64),
        ),
        migrations.AddConstraint(
            model_name="suggestion",
            constraint=models.UniqueConstraint(
                condition=Q(("status", "pending"), Q(("pending_key", ""), _negated=True)),
                fields=("pending_key",),
                name="one_waiting_suggestion_per_key",
            ),
        ),
        migrations.RunPython(add_profiles, remove_profiles),
    ]
