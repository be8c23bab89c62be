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


def _destination(lon: float, lat: float, bearing: float, metres: float) -> tuple[float, float]:
    """The point `metres` from (lon, lat) along `bearing` degrees, on the haversine sphere."""
    from math import asin, atan2, cos, degrees, radians, sin

    from livingmap.core.geo import EARTH_RADIUS_M

    d, b = metres / EARTH_RADIUS_M, radians(bearing)
    p1, l1 = radians(lat), radians(lon)
    p2 = asin(sin(p1) * cos(d) + cos(p1) * sin(d) * cos(b))
    l2 = l1 + atan2(sin(b) * sin(d) * cos(p1), cos(d) - sin(p1) * sin(p2))
    return degrees(l2), degrees(p2)


@pytest.mark.parametrize(
    ("lon", "lat"),
    [(-5.5, 50.1), (-7.9, 54.5), (-4.25, 55.86), (1.75, 52.6), (-2.3, 53.4)],
    ids=["Cornwall", "Northern Ireland", "Glasgow", "Norfolk", "Trafford"],
)
def test_points_within_is_exact_anywhere_in_the_uk_whatever_the_bearing(lon, lat):
    """A national import pairs points across the whole country at once: a pair 149 m apart is
    found and one 151 m apart is not, wherever they are and whichever way they lie, with points
    at the other ends of the country in the same call."""
    bearings = list(range(0, 360, 15))
    near = [_destination(lon, lat, b, 149.0) for b in bearings]
    far = [_destination(lon, lat, b, 151.0) for b in bearings]
    others = [*near, *far, (-6.3, 49.9), (1.76, 52.9), (-8.1, 55.2)]
    i, j, metres = points_within(
        [lon, -5.6, 1.7], [lat, 50.0, 52.5], [p[0] for p in others], [p[1] for p in others], 150
    )
    from_here = j[i == 0].tolist()
    assert sorted(from_here) == list(range(len(near)))
    assert metres[i == 0] == pytest.approx([149.0] * len(near), abs=0.01)


def test_near_points_asked_again_and_again_answers_as_points_within_and_refuses_the_outside():
    from livingmap.core.geo import NearPoints

    points = np.array(
        Postcode.objects.filter(lat__isnull=False).order_by("postcode").values_list("lon", "lat")
    )
    lons, lats = points.T
    extent = (lons.min(), lats.min(), lons.max(), lats.max())
    index = NearPoints(lons, lats, extent)
    for part in np.array_split(points[::7], 5):  # five parts of an import, one index
        got = index.within(part[:, 0], part[:, 1], 150)
        expected = points_within(part[:, 0], part[:, 1], lons, lats, 150)
        assert len(got[0]) >= len(part)  # each finds itself
        for a, b in zip(got, expected, strict=True):
            assert np.array_equal(a, b)
    with pytest.raises(ValueError, match="outside the extent"):
        index.within([lons.max() + 0.5], [lats.min()], 150)
