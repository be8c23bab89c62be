"""SQLite: key the FTS5 index by place, so that "words near a point" reads only nearby entries.

Migration 0002 keyed `assets_asset_fts` by asset id, so a search for a common word near a point
had to read every matching entry in the country (or probe the index once per nearby asset).
Here the FTS5 rowid becomes a *place key* (see livingmap.assets.search):

    bits 48-62  latitude band   floor((lat + 90) * 100)     (0.01 degree, about 1.1 km)
    bits 32-47  longitude band  floor((lon + 180) * 100)    (0.01 degree, under 0.7 km in England)
    bits  0-31  the asset id

so the entries of one latitude band lie together, west to east, and a radius search is one range
of rowids. Unlocated assets get band 32767 (after every real band). The words, tokenizer and
therefore matches and bm25 ranks are exactly as before. The table is contentless (it never held
text of its own: the old one read it from assets_asset); triggers keep it in step.
PostgreSQL is unchanged (a GIN index on search_vector, combined with the location index).
"""

from django.db import migrations

TOKENIZE = "porter unicode61 remove_diacritics 2"


def place_key(row: str) -> str:
    """SQL for the FTS5 rowid of an asset row (`new`, `old` or a table name)."""
    return (
        f"(CASE WHEN {row}.lat BETWEEN -90 AND 90 AND {row}.lon BETWEEN -180 AND 180 "
        f"THEN (CAST(({row}.lat + 90.0) * 100 AS INTEGER) << 48) "
        f"| (CAST(({row}.lon + 180.0) * 100 AS INTEGER) << 32) | {row}.id "
        f"ELSE (32767 << 48) | {row}.id END)"
    )


CHECK_ID = (
    "SELECT RAISE(ABORT, 'asset ids above 4294967295 do not fit the search index') "
    "WHERE new.id > 4294967295;"
)

# The SQL below is built from constants in this file only.
SQLITE_FORWARD = [
    "DROP TRIGGER IF EXISTS assets_asset_fts_ai",
    "DROP TRIGGER IF EXISTS assets_asset_fts_ad",
    "DROP TRIGGER IF EXISTS assets_asset_fts_au",
    "DROP TABLE IF EXISTS assets_asset_fts",
    f"""CREATE VIRTUAL TABLE assets_asset_fts USING fts5(
        name, search_text, content='', tokenize='{TOKENIZE}')""",
    f"""CREATE TRIGGER assets_asset_fts_ai AFTER INSERT ON assets_asset BEGIN
        {CHECK_ID}
        INSERT INTO assets_asset_fts(rowid, name, search_text)
        VALUES ({place_key("new")}, new.name, new.search_text); END""",  # noqa: S608
    f"""CREATE TRIGGER assets_asset_fts_ad AFTER DELETE ON assets_asset BEGIN
        INSERT INTO assets_asset_fts(assets_asset_fts, rowid, name, search_text)
        VALUES ('delete', {place_key("old")}, old.name, old.search_text); END""",  # noqa: S608
    f"""CREATE TRIGGER assets_asset_fts_au
        AFTER UPDATE OF id, name, search_text, lon, lat ON assets_asset BEGIN
        {CHECK_ID}
        INSERT INTO assets_asset_fts(assets_asset_fts, rowid, name, search_text)
        VALUES ('delete', {place_key("old")}, old.name, old.search_text);
        INSERT INTO assets_asset_fts(rowid, name, search_text)
        VALUES ({place_key("new")}, new.name, new.search_text); END""",  # noqa: S608
    f"""INSERT INTO assets_asset_fts(rowid, name, search_text)
        SELECT {place_key("assets_asset")} AS k, name, search_text FROM assets_asset
        ORDER BY k""",  # noqa: S608
]

# Back to 0002's id-keyed, external-content table.
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS assets_asset_fts_ai",
    "DROP TRIGGER IF EXISTS assets_asset_fts_ad",
    "DROP TRIGGER IF EXISTS assets_asset_fts_au",
    "DROP TABLE IF EXISTS assets_asset_fts",
    f"""CREATE VIRTUAL TABLE assets_asset_fts USING fts5(
        name, search_text, content='assets_asset', content_rowid='id',
        tokenize='{TOKENIZE}')""",
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


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE_FORWARD:
            schema_editor.execute(sql)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE_BACKWARD:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("assets", "0002_search")]
    operations = [migrations.RunPython(forward, backward)]
