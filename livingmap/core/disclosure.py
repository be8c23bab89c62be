"""Disclosure control: the ONE selector every published count of people goes through.

A count of people (participants, connections, outcomes) is published only through `protect`,
given every count that will be published together — across pages, CSVs, the API and open data —
and every sum that ties them (a total and its parts). It returns what may be shown of each:

- **primary suppression**: a count from 1 to `threshold - 1` is shown as "<5" (`SMALL`);
- **secondary suppression**: where what is shown would still pin a small count down — a total
  minus its other parts, a total from another table, sums of sums — more cells are hidden and
  shown as "[c]" (`HIDDEN`, "confidential", as ONS writes it), until no small count can be
  worked out exactly. Zero is shown as 0: it identifies no one.

How "worked out" is judged: the attacker is given everything shown, every relation, and for a
hidden cell what its marker says ("<5" is 1 to 4) — and more than the marker says: that a "[c]"
hiding no small number is at least `threshold` (as it is, when the attacker knows how cells are
chosen). Each cell's range is narrowed by interval arithmetic over the relations until nothing
changes (`attacker_bounds`); a small count whose range is a single number is exposed, and one
more cell of a relation it is in is hidden (the smallest count shown; if none is left, its own
"<5" becomes "[c]", which says less). For tables that nest — each count a part of at most one
sum, totals of totals — the ranges interval arithmetic finds are exact, so no linear reasoning
(differences of totals, sums across tables, integer programming) pins a small count down either.
Crossed tables (a count in two sums at once, as rows and columns of one grid) are only
approximated by it: audit those with a linear-programming check before publishing them.

Usage::

    published = protect(values, relations)
    published.shown(key)   # an int, "<5" or "[c]"
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

#: Counts from 1 to THRESHOLD - 1 are small: never published as they are.
THRESHOLD = 5
SMALL = f"<{THRESHOLD}"
HIDDEN = "[c]"
#: A count nobody publishes (a private group's), which still adds to a published total.
UNPUBLISHED = "unpublished"

Key = Hashable
Relation = tuple[Key, Sequence[Key]]


@dataclass
class Published:
    """What may be shown of each count: `shown(key)` is the count, SMALL or HIDDEN."""

    values: Mapping[Key, int]
    markers: dict[Key, str] = field(default_factory=dict)
    threshold: int = THRESHOLD

    def shown(self, key: Key) -> int | str:
        marker = self.markers.get(key)
        if marker == UNPUBLISHED:
            raise KeyError(f"{key!r} is not published")
        return marker or self.values[key]

    def is_shown(self, key: Key) -> bool:
        return key not in self.markers

    @property
    def small_label(self) -> str:
        return f"<{self.threshold}"


def _interval(value: int, marker: str | None, threshold: int) -> tuple[float, float]:
    if marker is None:
        return value, value
    if marker == UNPUBLISHED:
        return 0, math.inf
    if marker.startswith("<"):
        return 1, threshold - 1
    # HIDDEN: the strongest attacker knows a secondary cell hides no small number
    return (threshold if value >= threshold else 1), math.inf


def attacker_bounds(
    values: Mapping[Key, int],
    markers: Mapping[Key, str],
    relations: Sequence[Relation],
    threshold: int = THRESHOLD,
) -> dict[Key, tuple[float, float]]:
    """The narrowest range for each count that interval arithmetic over `relations` (each
    `total = sum(parts)`) finds from what is shown. Exact for nested tables."""
    lo: dict[Key, float] = {}
    hi: dict[Key, float] = {}
    for key, value in values.items():
        lo[key], hi[key] = _interval(value, markers.get(key), threshold)
    for _round in range(10_000):
        changed = False
        for total, parts in relations:
            if not parts:
                continue
            part_lo = [lo[p] for p in parts]
            part_hi = [hi[p] for p in parts]
            sum_lo = sum(part_lo)
            finite_hi = sum(h for h in part_hi if h != math.inf)
            infinite = sum(1 for h in part_hi if h == math.inf)
            new_lo, new_hi = (
                max(lo[total], sum_lo),
                min(hi[total], finite_hi if not infinite else math.inf),
            )
            if (new_lo, new_hi) != (lo[total], hi[total]):
                lo[total], hi[total], changed = new_lo, new_hi, True
            for p, p_lo, p_hi in zip(parts, part_lo, part_hi, strict=True):
                others_lo = sum_lo - p_lo
                others_inf = infinite - (1 if p_hi == math.inf else 0)
                others_hi = (
                    math.inf if others_inf else finite_hi - (0 if p_hi == math.inf else p_hi)
                )
                cand_lo = lo[total] - others_hi if others_hi != math.inf else -math.inf
                cand_hi = hi[total] - others_lo
                if cand_lo > lo[p]:
                    lo[p], changed = cand_lo, True
                if cand_hi < hi[p]:
                    hi[p], changed = cand_hi, True
        if not changed:
            break
    return {k: (lo[k], hi[k]) for k in values}


def _exposed(
    values: Mapping[Key, int],
    markers: Mapping[Key, str],
    relations: Sequence[Relation],
    threshold: int,
) -> Key | None:
    bounds = attacker_bounds(values, markers, relations, threshold)
    for key in sorted((k for k, v in values.items() if 0 < v < threshold), key=repr):
        low, high = bounds[key]
        if math.floor(high) <= math.ceil(low):
            return key
    return None


def protect(
    values: Mapping[Key, int],
    relations: Iterable[Relation],
    *,
    threshold: int = THRESHOLD,
    unpublished: Iterable[Key] = (),
) -> Published:
    """Decide what may be shown of `values` (counts of people, each keyed by anything
    hashable) when all of them and every relation `(total, parts)` among them are published
    together. `unpublished` counts are part of totals but never shown (and unknown to the
    public)."""
    relations = [(t, tuple(p)) for t, p in relations]
    markers: dict[Key, str] = {k: UNPUBLISHED for k in unpublished}
    for key, value in values.items():
        if key not in markers and 0 < value < threshold:
            markers[key] = f"<{threshold}"
    member_of: dict[Key, list[int]] = defaultdict(list)
    for i, (total, parts) in enumerate(relations):
        for key in (total, *parts):
            member_of[key].append(i)
    hidden_marker = HIDDEN
    for _step in range(len(values) + 1):
        key = _exposed(values, markers, relations, threshold)
        if key is None:
            break
        # Relations outward from the exposed count, nearest first.
        seen_rel: list[int] = []
        frontier, seen_keys = [key], {key}
        while frontier:
            nxt = []
            for k in frontier:
                for i in member_of[k]:
                    if i in seen_rel:
                        continue
                    seen_rel.append(i)
                    for m in (relations[i][0], *relations[i][1]):
                        if m not in seen_keys:
                            seen_keys.add(m)
                            nxt.append(m)
            frontier = nxt
        candidate = _next_to_hide(values, markers, relations, seen_rel, key)
        if candidate is None:
            break  # everything near it is hidden already
        markers[candidate] = hidden_marker
    return Published(values, markers, threshold)


def _next_to_hide(
    values: Mapping[Key, int],
    markers: Mapping[Key, str],
    relations: Sequence[Relation],
    nearest_first: list[int],
    exposed: Key,
) -> Key | None:
    # First a shown count of a relation the exposed one is in (the smallest), then further out.
    for i in nearest_first:
        total, parts = relations[i]
        shown = [m for m in (*parts, total) if m not in markers and values[m] > 0]
        if shown:
            return min(shown, key=lambda m: (values[m], repr(m)))
    # Nothing shown is left near it: say less about small ones ("<5" becomes "[c]").
    if markers.get(exposed, "").startswith("<"):
        return exposed
    for i in nearest_first:
        total, parts = relations[i]
        for m in (*parts, total):
            if markers.get(m, "").startswith("<"):
                return m
    return None
