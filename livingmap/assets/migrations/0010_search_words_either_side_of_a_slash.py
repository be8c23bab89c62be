"""PostgreSQL: words either side of a slash are found, as on SQLite.

PostgreSQL's text search parser reads "Parents/Carers" or "Car Park/Public conveniences" as one
file path token, so "parents" or "park" did not find them; SQLite's FTS5 splits them. The
generated search_vector column now reads a slash as a space. The configuration is migration
0006's. SQLite is unchanged.
"""

from django.db import migrations

VECTOR = """ALTER TABLE assets_asset ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('livingmap_english', {name}), 'A') ||
    setweight(to_tsvector('livingmap_english', {text}), 'B')) STORED"""

SPLIT = {
    "name": "translate(coalesce(name, ''), '/', ' ')",
    "text": "translate(coalesce(search_text, ''), '/', ' ')",
}
AS_BEFORE = {"name": "coalesce(name, '')", "text": "coalesce(search_text, '')"}


def _replace_vector(columns: dict[str, str]) -> list[str]:
    return [
        "DROP INDEX IF EXISTS assets_asset_search_gin",
        "ALTER TABLE assets_asset DROP COLUMN IF EXISTS search_vector",
        VECTOR.format(**columns),
        "CREATE INDEX assets_asset_search_gin ON assets_asset USING gin (search_vector)",
    ]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in _replace_vector(SPLIT):
            schema_editor.execute(sql)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in _replace_vector(AS_BEFORE):
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("assets", "0009_drop_redundant_category_index")]
    operations = [migrations.RunPython(forward, backward)]
