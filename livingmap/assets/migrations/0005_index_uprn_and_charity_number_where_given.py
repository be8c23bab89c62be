"""Index UPRNs and charity numbers only where an asset has one (most have neither).

The old single-column indexes are dropped with plain SQL rather than by altering the fields:
on SQLite, Django alters a field by remaking the table, which would drop the full-text search
triggers on assets_asset (see 0003; `livingmap.assets.search.ensure_search_triggers` also puts
them back after any migration).
"""

from django.db import migrations, models

OLD_INDEXES = [
    "assets_asset_uprn_cccaf999",
    "assets_asset_uprn_cccaf999_like",  # PostgreSQL's varchar_pattern_ops twin
    "assets_asset_charity_number_e71173be",
    "assets_asset_charity_number_e71173be_like",
]


class Migration(migrations.Migration):
    dependencies = [
        ("assets", "0004_drop_redundant_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="asset",
                    name="charity_number",
                    field=models.CharField(blank=True, max_length=20),
                ),
                migrations.AlterField(
                    model_name="asset",
                    name="uprn",
                    field=models.CharField(blank=True, max_length=12, verbose_name="UPRN"),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    [f'DROP INDEX IF EXISTS "{name}"' for name in OLD_INDEXES],
                    reverse_sql=[
                        'CREATE INDEX "assets_asset_uprn_cccaf999" ON "assets_asset" ("uprn")',
                        'CREATE INDEX "assets_asset_charity_number_e71173be" '
                        'ON "assets_asset" ("charity_number")',
                    ],
                )
            ],
        ),
        migrations.AddIndex(
            model_name="asset",
            index=models.Index(
                condition=models.Q(("uprn", ""), _negated=True),
                fields=["uprn"],
                name="asset_uprn_given",
            ),
        ),
        migrations.AddIndex(
            model_name="asset",
            index=models.Index(
                condition=models.Q(("charity_number", ""), _negated=True),
                fields=["charity_number"],
                name="asset_charity_number_given",
            ),
        ),
    ]
