"""Full-text search on both databases behind one interface.

SQLite: an FTS5 table (`assets_asset_fts`, external content, kept by triggers) ranked by bm25.
PostgreSQL: a generated, GIN-indexed `search_vector` column ranked by ts_rank.
The vendor is chosen by `connection.vendor`; the tables come from migration 0002.
"""

from __future__ import annotations

import re

from django.db import connection

_WORD = re.compile(r"\w+", re.UNICODE)


def words_of(text: str) -> list[str]:
    return _WORD.findall(text or "")[:12]


def match_ids_sql(text: str) -> tuple[str, list[str]] | None:
    """SQL selecting (id, rank) of matching assets, lower rank = better; None if no words.

    All words must match (prefix match for the last one, so "lib" finds "library").
    """
    words = words_of(text)
    if not words:
        return None
    if connection.vendor == "sqlite":
        terms = [f'"{w}"' for w in words[:-1]] + [f'"{words[-1]}"*']
        return (
            "SELECT rowid AS id, bm25(assets_asset_fts, 10.0, 1.0) AS rank "
            "FROM assets_asset_fts WHERE assets_asset_fts MATCH %s",
            [" ".join(terms)],
        )
    if connection.vendor == "postgresql":
        query = " & ".join([*words[:-1], f"{words[-1]}:*"])
        return (
            "SELECT id, -ts_rank(search_vector, to_tsquery('english', %s)) AS rank "
            "FROM assets_asset WHERE search_vector @@ to_tsquery('english', %s)",
            [query, query],
        )
    raise NotImplementedError(f"search is not written for {connection.vendor}")
