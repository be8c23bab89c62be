"""Is this the same asset? The matching an import's de-duplication and `match_asset` share.

An existing asset is the one a record (or an organisation) describes when they share an
identifier (UPRN, charity number, company number) or when their names match (`names_match`) and
they are within SAME_PLACE_M of each other or at one postcode. Nothing here reads the database:
the caller reads the candidates (see `services._candidates_for`, `selectors.match_asset`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import NamedTuple, Protocol

from livingmap.core.geo import points_within
from livingmap.core.text import names_match

#: Two records whose names match are the same asset if this close (metres) or at one postcode.
SAME_PLACE_M = 150.0
#: The identifiers an import matches on, in turn.
IMPORT_KEYS = ("uprn", "charity_number")


class Matchable(Protocol):
    """What matching needs of a record: a name and a place, and any identifiers it has."""

    name: str
    postcode: str
    lon: float | None
    lat: float | None


class Candidate(NamedTuple):
    """What matching needs of an existing asset (read as plain tuples, not model instances)."""

    id: int
    name: str
    lon: float | None
    lat: float | None
    postcode: str
    uprn: str
    charity_number: str
    company_number: str = ""  # from `extra` (match_asset reads it; imports do not match on it)


#: The columns of assets_asset a candidate is read from (company_number is not one).
CANDIDATE_FIELDS = ("id", "name", "lon", "lat", "postcode", "uprn", "charity_number")


class Candidates:
    """Existing assets from other data sets that records being imported could be the same as."""

    def __init__(self, candidates: Iterable[Candidate]) -> None:
        self.all = list(candidates)
        self.by_postcode: dict[str, list[int]] = defaultdict(list)
        self.by_uprn: dict[str, list[int]] = defaultdict(list)
        self.by_charity: dict[str, list[int]] = defaultdict(list)
        self.by_company: dict[str, list[int]] = defaultdict(list)
        for k, c in enumerate(self.all):
            if c.postcode:
                self.by_postcode[c.postcode].append(k)
            if c.uprn:
                self.by_uprn[c.uprn].append(k)
            if c.charity_number:
                self.by_charity[c.charity_number].append(k)
            if c.company_number:
                self.by_company[c.company_number].append(k)

    def _nearby(self, records: Sequence[Matchable]) -> dict[int, list[int]]:
        """For each located record (by position), the candidates within SAME_PLACE_M of it,
        nearest first: one vectorised query for the whole import."""
        located = [k for k, r in enumerate(records) if r.lat is not None and r.lon is not None]
        placed = [k for k, c in enumerate(self.all) if c.lat is not None and c.lon is not None]
        near: dict[int, list[int]] = defaultdict(list)
        if not located or not placed:
            return near
        rec_pos, cand_pos, _ = points_within(
            [records[k].lon for k in located],
            [records[k].lat for k in located],
            [self.all[k].lon for k in placed],
            [self.all[k].lat for k in placed],
            SAME_PLACE_M,
        )
        for r, c in zip(rec_pos.tolist(), cand_pos.tolist(), strict=True):
            near[located[r]].append(placed[c])
        return near

    def match(
        self, records: Sequence[Matchable], keys: Sequence[str] = IMPORT_KEYS
    ) -> list[tuple[int, str] | None]:
        """The id of the existing asset each record is, or None; each asset is taken by the
        first record that matches it, with what matched it. The same identifier, each of
        `keys` in turn (an import's: UPRN, else charity number; the first asset with it not
        taken already, by id), else a matching name within SAME_PLACE_M (nearest first) or at
        the same postcode ("name_at_place")."""
        near = self._nearby(records)
        taken: set[int] = set()
        tables = {
            "uprn": self.by_uprn,
            "charity_number": self.by_charity,
            "company_number": self.by_company,
        }
        found: list[tuple[int, str] | None] = []
        for k, rec in enumerate(records):
            match, how = None, ""
            for name in keys:
                key, table = getattr(rec, name, ""), tables[name]
                free = [c for c in table.get(key, ()) if self.all[c].id not in taken] if key else []
                if free:
                    match, how = self.all[free[0]].id, name
                    break
            if match is None:
                around = near.get(k, [])
                if rec.postcode:
                    around = around + self.by_postcode.get(rec.postcode, [])
                for c in around:
                    candidate = self.all[c]
                    if candidate.id not in taken and names_match(rec.name, candidate.name):
                        match, how = candidate.id, "name_at_place"
                        break
            if match is not None:
                taken.add(match)
            found.append((match, how) if match is not None else None)
        return found
