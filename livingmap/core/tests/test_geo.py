"""Bulk pairing of points within a distance, on the real Trafford postcodes."""

from __future__ import annotations

import numpy as np
import pytest

from livingmap.areas.models import Postcode
from livingmap.core.geo import haversine_m, points_within

pytestmark = pytest.mark.django_db


def test_points_within_finds_every_pair_a_brute_force_finds_nearest_first():
    points = list(
        Postcode.objects.filter(lat__isnull=False).order_by("postcode").values_list("lon", "lat")
    )
    assert len(points) > 5000
    rng = np.random.default_rng(7)
    chosen = [points[k] for k in rng.choice(len(points), 300, replace=False)]
    lons, lats = np.array(points).T
    i, j, metres = points_within([p[0] for p in chosen], [p[1] for p in chosen], lons, lats, 150)

    expected = {
        (a, b)
        for a, (lon, lat) in enumerate(chosen)
        for b in np.flatnonzero(np.abs(lats - lat) < 0.002).tolist()
        if haversine_m(lon, lat, lons[b], lats[b]) <= 150
    }
    assert set(zip(i.tolist(), j.tolist(), strict=True)) == expected
    assert len(expected) > 300  # each chosen postcode finds itself, and most find neighbours
    for a, b, d in zip(i.tolist(), j.tolist(), metres.tolist(), strict=True):
        assert d == pytest.approx(haversine_m(*chosen[a], lons[b], lats[b]), abs=0.01)
    # Nearest first for each point of the first set.
    for a in set(i.tolist()):
        mine = metres[i == a]
        assert (np.diff(mine) >= 0).all()


def test_points_within_with_nothing_to_pair_is_empty():
    i, j, metres = points_within([], [], [-2.3], [53.4], 150)
    assert len(i) == len(j) == len(metres) == 0
