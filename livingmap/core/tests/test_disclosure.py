"""The disclosure-control selector: no count from 1 to 4 can be pinned down from what it lets
be shown, checked against an exhaustive search of every integer table that fits."""

from __future__ import annotations

import itertools
import random

from livingmap.core.disclosure import HIDDEN, SMALL, attacker_bounds, protect


def _row(cells: list[int]):
    values = {i: n for i, n in enumerate(cells)} | {"total": sum(cells)}
    return values, [("total", list(range(len(cells))))]


def _consistent_values(values, published, relations, leaves) -> dict:
    """For each count, every value it takes in some integer table that fits what is shown and
    what the markers say ("<5" is 1 to 4, "[c]" at least 1): the hidden leaves are tried from 1
    to the largest count of the table (none can be more), and the totals follow from them."""
    cap = max(values.values())
    hidden = [k for k in leaves if not published.is_shown(k)]
    ranges = [range(1, 5) if published.markers[k] == SMALL else range(1, cap + 1) for k in hidden]
    possible: dict = {k: set() for k in values}
    for guess in itertools.product(*ranges):
        table = {k: values[k] for k in leaves} | dict(zip(hidden, guess, strict=True))
        for total, parts in relations:  # innermost sums first
            table[total] = sum(table[p] for p in parts)
        fits = all(
            table[k] == values[k]
            if published.is_shown(k)
            else (1 <= table[k] <= 4 if published.markers[k] == SMALL else table[k] >= 1)
            for k in values
        )
        if fits:
            for k in values:
                possible[k].add(table[k])
    return possible


def test_a_row_with_one_small_count_hides_another():
    values, relations = _row([3, 10, 20])
    published = protect(values, relations)
    assert [published.shown(i) for i in range(3)] == [SMALL, HIDDEN, 20]
    assert published.shown("total") == 33


def test_knowing_a_hidden_count_is_not_small_does_not_pin_the_small_one():
    # 1 and 5 in a row of 26: hiding the 5 alone would leave 1 + [5 or more] = 6, so 1.
    values, relations = _row([1, 5, 20])
    published = protect(values, relations)
    bounds = attacker_bounds(values, published.markers, relations)
    assert bounds[0][0] < bounds[0][1]
    assert sum(not published.is_shown(k) for k in values) >= 3


def test_four_ones_making_a_total_of_four_are_not_all_pinned():
    values, relations = _row([1, 1, 1, 1])
    published = protect(values, relations)
    assert published.shown("total") == HIDDEN  # "<5" with four parts of at least 1 is 4
    bounds = attacker_bounds(values, published.markers, relations)
    assert all(bounds[i][0] < bounds[i][1] for i in range(4))


def test_zero_is_shown_and_nothing_small_is_shown():
    values, relations = _row([0, 2, 0, 7, 30])
    published = protect(values, relations)
    assert published.shown(0) == 0 and published.shown(2) == 0
    assert published.shown(1) == SMALL


def test_random_nested_tables_never_pin_a_small_count():
    """Two levels (groups within months within a year), as the participation figures nest."""
    rng = random.Random(5)
    checked = 0
    for _ in range(300):
        months = rng.randint(1, 3)
        values, relations = {}, []
        for m in range(months):
            groups = rng.randint(1, 2)
            for g in range(groups):
                values[("g", m, g)] = rng.choice([0, 1, 2, 3, 4, 5, 6, 9])
            values[("m", m)] = sum(values[("g", m, g)] for g in range(groups))
            relations.append((("m", m), [("g", m, g) for g in range(groups)]))
        values["year"] = sum(values[("m", m)] for m in range(months))
        relations.append(("year", [("m", m) for m in range(months)]))
        published = protect(values, relations)
        leaves = [k for k in values if k[0] == "g"]
        if sum(not published.is_shown(k) for k in leaves) > 3:
            continue  # too many for the exhaustive search
        possible = _consistent_values(values, published, relations, leaves)
        for key, value in values.items():
            if 0 < value < 5:
                assert not published.is_shown(key)
                assert value in possible[key]
                assert len(possible[key]) >= 2, (values, published.markers, key, possible[key])
                checked += 1
    assert checked >= 50
