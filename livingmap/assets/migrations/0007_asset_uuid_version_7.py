"""New assets get time-ordered (version 7) UUIDs.

Only the Python default changes: the column is the same, so nothing is done to the database
(on SQLite, Django would otherwise remake the whole assets table to alter it).
"""

from django.db import migrations, models

import livingmap.core.ids


class Migration(migrations.Migration):
    dependencies = [
        ("assets", "0006_search_without_accents"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="asset",
                    name="uuid",
                    field=models.UUIDField(
                        default=livingmap.core.ids.uuid7, editable=False, unique=True
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
