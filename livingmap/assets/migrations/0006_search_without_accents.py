"""PostgreSQL: fold accents in the search, as SQLite's FTS5 does (remove_diacritics 2).

'english' keeps accents, so "cafe" did not find "Café". A text search configuration
`livingmap_english` is english with the unaccent dictionary before stemming; the generated
search_vector column and the queries (livingmap.assets.search.TS_CONFIG) use it.
unaccent is a trusted extension (PostgreSQL 13+): the database's owner may create it.
SQLite is unchanged.
"""

from django.db import migrations

VECTOR = """ALTER TABLE assets_asset ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('{config}', coalesce(name, '')), 'A') ||
    setweight(to_tsvector('{config}', coalesce(search_text, '')), 'B')) STORED"""


def _replace_vector(config: str) -> list[str]:
    return [
        "DROP INDEX IF EXISTS assets_asset_search_gin",
        "ALTER TABLE assets_asset DROP COLUMN IF EXISTS search_vector",
        VECTOR.format(config=config),
        "CREATE INDEX assets_asset_search_gin ON assets_asset USING gin (search_vector)",
    ]


POSTGRES_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS livingmap_english CASCADE",
    "CREATE TEXT SEARCH CONFIGURATION livingmap_english (COPY = english)",
    "ALTER TEXT SEARCH CONFIGURATION livingmap_english "
    "ALTER MAPPING FOR hword, hword_part, word WITH unaccent, english_stem",
    *_replace_vector("livingmap_english"),
]
POSTGRES_BACKWARD = [
    *_replace_vector("english"),
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS livingmap_english",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in POSTGRES_FORWARD:
            schema_editor.execute(sql)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in POSTGRES_BACKWARD:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("assets", "0005_index_uprn_and_charity_number_where_given")]
    operations = [migrations.RunPython(forward, backward)]
