"""Full-text search on both databases behind one interface.

SQLite: a contentless FTS5 table (`assets_asset_fts`, kept by triggers) ranked by bm25. Its rowid
is a *place key* (migration 0003): latitude band, longitude band, then the asset id, so that the
entries for words near a point are read as one short range instead of across the whole country.
PostgreSQL: a generated, GIN-indexed `search_vector` column ranked by ts_rank.
The vendor is chosen by `connection.vendor`; the tables come from migrations 0002 and 0003.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from django.db import connection

from livingmap.core.geo import BBox

_WORD = re.compile(r"\w+", re.UNICODE)

#: PostgreSQL's text search configuration: english with accents folded (migration 0006).
TS_CONFIG = "livingmap_english"
TSQUERY = f"to_tsquery('{TS_CONFIG}', %s)"
#: How much more a word in an asset's name counts than one in the rest of its text, on SQLite.
#: FTS5's bm25 adds the weighted counts of a word before it saturates them (k1 = 1.2) and divides
#: by the length of the whole row: with a weight of 10 any name holding the word scored the same,
#: and the shortest row came first (the site of a library above the libraries). At 3 a name
#: still outranks the rest of the text, and a library named and in "Libraries" ranks above it.
NAME_WEIGHT = 3.0

#: The asset id is the low 32 bits of an FTS5 rowid (see migration 0003).
ID_MASK = 0xFFFF_FFFF


#: Little words PostgreSQL's english configuration leaves out; SQLite's FTS5 would demand
#: them, so "libraries in Sale" found nothing there. Both databases now ignore them. The
#: one-letter ones are what an apostrophe leaves: "women's" is "women" and "s".
STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "from",
        "has",
        "have",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "s",
        "so",
        "such",
        "t",
        "that",
        "the",
        "their",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "were",
        "will",
        "with",
    ]
)


def words_of(text: str) -> list[str]:
    words = _WORD.findall(text or "")
    kept = [w for w in words if w.lower() not in STOP_WORDS]
    return (kept or words)[:12]


def _fts5_query(words: list[str], prefix: bool) -> str:
    """All words must match, each as a word; with `prefix`, the last as the start of one."""
    terms = [f'"{w}"' for w in words]
    if prefix:
        terms[-1] += "*"
    return " ".join(terms)


def _tsquery(words: list[str], prefix: bool) -> str:
    return " & ".join([*words[:-1], f"{words[-1]}:*"] if prefix else words)


def match_ids_sql(text: str, *, prefix: bool) -> tuple[str, list[str]] | None:
    """SQL selecting (id, rank) of matching assets, lower rank = better; None if no words.
    With `prefix` the last word is taken as the start of a word (see first_match_sql)."""
    words = words_of(text)
    if not words:
        return None
    if connection.vendor == "sqlite":
        return (
            f"SELECT rowid & {ID_MASK} AS id, bm25(assets_asset_fts, {NAME_WEIGHT}, 1.0) AS rank "  # noqa: S608
            "FROM assets_asset_fts WHERE assets_asset_fts MATCH %s",
            [_fts5_query(words, prefix)],
        )
    if connection.vendor == "postgresql":
        query = _tsquery(words, prefix)
        return (
            f"SELECT id, -ts_rank(search_vector, {TSQUERY}) AS rank "  # noqa: S608
            f"FROM assets_asset WHERE search_vector @@ {TSQUERY}",
            [query, query],
        )
    raise NotImplementedError(f"search is not written for {connection.vendor}")


def first_match_sql(text: str, where: str, params: Sequence[object]) -> tuple[str, list[object]]:
    """SQL giving one row if an asset passing `where` (a condition on assets_asset) has every
    word, the last as a whole word, and none otherwise.

    The selectors ask it before searching: a last word some asset the search could show holds
    as a word is matched as that word; otherwise as the start of one, so "lib" finds "library".
    A finished word is not also a prefix: "park" does not find "Parkrun", and at national scale
    the prefix of a common word ("community"*) reads every index entry in the country for it,
    twenty times the cost of the word. Asking stops at the first asset found and computes no
    relevance. Words must be non-empty (see words_of)."""
    words = words_of(text)
    if connection.vendor == "sqlite":
        return (
            "SELECT 1 FROM assets_asset_fts JOIN assets_asset "  # noqa: S608
            f"ON assets_asset.id = assets_asset_fts.rowid & {ID_MASK} "
            f"WHERE assets_asset_fts MATCH %s AND {where} LIMIT 1",
            [_fts5_query(words, False), *params],
        )
    if connection.vendor == "postgresql":
        return (
            f"SELECT 1 FROM assets_asset WHERE search_vector @@ {TSQUERY} AND {where} LIMIT 1",  # noqa: S608
            [_tsquery(words, False), *params],
        )
    raise NotImplementedError(f"search is not written for {connection.vendor}")


def place_band(lon: float, lat: float) -> tuple[int, int]:
    """(latitude band, longitude band) of a point, computed exactly as migration 0003's SQL."""
    return int((lat + 90.0) * 100), int((lon + 180.0) * 100)


def match_near_sql(text: str, box: BBox, *, prefix: bool) -> tuple[str, list[object]] | None:
    """SQL selecting the ids of assets matching the words that may lie in the box: a superset
    of them (on SQLite whole 0.01-degree bands); callers filter exactly. `prefix` as for
    match_ids_sql.

    Near a point results are ordered by distance, so no relevance is computed: FTS5's bm25
    needs, for every match, statistics over every asset in the country with the word, which
    cost more than the rest of the search put together at national scale."""
    words = words_of(text)
    if not words:
        return None
    if connection.vendor == "postgresql":
        query = _tsquery(words, prefix)
        cells = box.lat_cells()
        return (
            "SELECT id FROM assets_asset "  # noqa: S608
            f"WHERE search_vector @@ {TSQUERY} "
            f"AND lat_cell IN ({', '.join(['%s'] * len(cells))}) "
            "AND lon BETWEEN %s AND %s AND lat BETWEEN %s AND %s",
            [query, *cells, box.min_lon, box.max_lon, box.min_lat, box.max_lat],
        )
    if connection.vendor != "sqlite":
        raise NotImplementedError(f"search is not written for {connection.vendor}")
    min_lon, max_lon = max(box.min_lon, -180.0), min(box.max_lon, 180.0)
    min_lat, max_lat = max(box.min_lat, -90.0), min(box.max_lat, 90.0)
    first_band, first_lon = place_band(min_lon, min_lat)
    last_band, last_lon = place_band(max_lon, max_lat)
    return (
        f"SELECT rowid & {ID_MASK} AS id "  # noqa: S608
        "FROM assets_asset_fts WHERE assets_asset_fts MATCH %s "
        "AND rowid >= %s AND rowid <= %s AND ((rowid >> 32) & 65535) BETWEEN %s AND %s",
        [
            _fts5_query(words, prefix),
            first_band << 48,
            (last_band << 48) | 0xFFFF_FFFF_FFFF,
            first_lon,
            last_lon,
        ],
    )


@contextmanager
def bulk_text_index(ids: Sequence[int]) -> Iterator[Callable[[], None]]:
    """Insert many new assets (these ids, consecutive) and index their words in one pass.

    SQLite's FTS5, fed row by row from a trigger, flushes its pending index at every statement
    savepoint: about five times slower than one INSERT … SELECT of the same rows. So, inside the
    caller's transaction, the insert trigger is set aside while the rows go in, the new rows are
    indexed together in place-key order (FTS5 also flushes whenever a rowid is lower than the
    last), and the trigger is put back as it was. Elsewhere this does nothing.

    The block is given the indexing statement, to run when the rows are in (it runs on leaving
    the block if the block did not): one statement, during which SQLite does not need Python,
    so the caller may do Python work beside it (`core.importing.alongside`).
    """
    indexed = False

    def nothing() -> None:
        pass

    if connection.vendor != "sqlite" or not ids:
        yield nothing
        return
    first, last = min(ids), max(ids)
    if last > ID_MASK:
        raise ValueError(f"asset ids above {ID_MASK} do not fit the search index")
    if not connection.in_atomic_block:
        raise RuntimeError("bulk_text_index must run inside a transaction")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = %s", [INSERT_TRIGGER]
        )
        row = cursor.fetchone()
        if row is None:  # no trigger (an unmigrated database): nothing to set aside
            yield nothing
            return

        def index_words() -> None:
            nonlocal indexed
            if indexed:
                return
            cursor.execute(
                "INSERT INTO assets_asset_fts(rowid, name, search_text) "  # noqa: S608
                f"SELECT {place_key_sql('assets_asset')} AS k, name, search_text FROM assets_asset "
                "WHERE id BETWEEN %s AND %s ORDER BY k",
                [first, last],
            )
            indexed = True

        cursor.execute(f"DROP TRIGGER {INSERT_TRIGGER}")
        try:
            yield index_words
            index_words()
        finally:
            cursor.execute(row[0])


INSERT_TRIGGER = "assets_asset_fts_ai"


def place_key_sql(row: str) -> str:
    """SQL for the FTS5 rowid of an asset row: the same expression as migration 0003's."""
    return (
        f"(CASE WHEN {row}.lat BETWEEN -90 AND 90 AND {row}.lon BETWEEN -180 AND 180 "
        f"THEN (CAST(({row}.lat + 90.0) * 100 AS INTEGER) << 48) "
        f"| (CAST(({row}.lon + 180.0) * 100 AS INTEGER) << 32) | {row}.id "
        f"ELSE (32767 << 48) | {row}.id END)"
    )


TRIGGERS = ("assets_asset_fts_ai", "assets_asset_fts_ad", "assets_asset_fts_au")


def ensure_search_triggers(using: str = "default", **_: object) -> list[str]:
    """Put back any SQLite full-text trigger a migration lost; returns the names put back.

    Django alters a SQLite table by remaking it (new table, copy, drop, rename), and dropping
    the table drops its triggers: after such a migration on assets_asset the search index would
    silently stop following edits. The rows are copied unchanged, so the index itself is still
    right; only the triggers need creating again, exactly as migration 0003 made them.
    Connected to post_migrate (apps.py); does nothing on PostgreSQL.
    """
    from django.db import connections

    conn = connections[using]
    if conn.vendor != "sqlite":
        return []
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'assets_asset_fts'"
        )
        if cursor.fetchone() is None:  # not migrated that far
            return []
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        present = {row[0] for row in cursor.fetchall()}
        missing = [name for name in TRIGGERS if name not in present]
        if missing:
            import importlib

            made = importlib.import_module("livingmap.assets.migrations.0003_search_by_place")
            for sql in made.SQLITE_FORWARD:
                if sql.startswith("CREATE TRIGGER") and sql.split()[2] in missing:
                    cursor.execute(sql)
    return missing
