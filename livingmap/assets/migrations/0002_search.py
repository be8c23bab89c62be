"""Full-text search tables: FTS5 on SQLite, a generated tsvector on PostgreSQL."""

from django.db import migrations

SQLITE_FORWARD = [
    """CREATE VIRTUAL TABLE assets_asset_fts USING fts5(
        name, search_text, content='assets_asset', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER assets_asset_fts_ai AFTER INSERT ON assets_asset BEGIN
        INSERT INTO assets_asset_fts(rowid, name, search_text)
        VALUES (new.id, new.name, new.search_text); END""",
    """CREATE TRIGGER assets_asset_fts_ad AFTER DELETE ON assets_asset BEGIN
        INSERT INTO assets_asset_fts(assets_asset_fts, rowid, name, search_text)
        VALUES ('delete', old.id, old.name, old.search_text); END""",
    """CREATE TRIGGER assets_asset_fts_au AFTER UPDATE OF name, search_text ON assets_asset BEGIN
        INSERT INTO assets_asset_fts(assets_asset_fts, rowid, name, search_text)
        VALUES ('delete', old.id, old.name, old.search_text);
        INSERT INTO assets_asset_fts(rowid, name, search_text)
        VALUES (new.id, new.name, new.search_text); END""",
    "INSERT INTO assets_asset_fts(assets_asset_fts) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS assets_asset_fts_ai",
    "DROP TRIGGER IF EXISTS assets_asset_fts_ad",
    "DROP TRIGGER IF EXISTS assets_asset_fts_au",
    "DROP TABLE IF EXISTS assets_asset_fts",
]
POSTGRES_FORWARD = [
    """ALTER TABLE assets_asset ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', coalesce(name, '')), 'A') ||
        setweight(to_tsvector('english', coalesce(search_text, '')), 'B')) STORED""",
    "CREATE INDEX assets_asset_search_gin ON assets_asset USING gin (search_vector)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS assets_asset_search_gin",
    "ALTER TABLE assets_asset DROP COLUMN IF EXISTS search_vector",
]


def forward(apps, schema_editor):
    statements = {"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}
    for sql in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def backward(apps, schema_editor):
    statements = {"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}
    for sql in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("assets", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
