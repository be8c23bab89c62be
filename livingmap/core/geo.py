"""Geography without GDAL: GeoJSON stored as data, shapely 2 for the geometry, done ahead of time.

The rule (DESIGN.md): work out which areas a thing is in when it is saved or imported and store
it; web requests only do indexed joins and bounded bounding-box queries.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

EARTH_RADIUS_M = 6_371_008.8
# Assets are bucketed by latitude in cells of 0.01 degrees (about 1.1 km) so that a radius search
# is a handful of index range scans (one per cell) on (lat_cell, lon), on SQLite and PostgreSQL alike.
LAT_CELL_SIZE = 0.01
# England lies within these bounds; points outside are almost always swapped or projected values.
UK_BOUNDS = (-8.7, 49.8, 1.9, 60.9)


class GeometryError(ValueError):
    """A geometry that cannot be used (not GeoJSON, empty, or outside the UK)."""


def lat_cell(lat: float | None) -> int | None:
    return None if lat is None else math.floor(lat / LAT_CELL_SIZE)


def geometry_from_geojson(data: dict[str, Any]) -> BaseGeometry:
    """A valid shapely geometry from a GeoJSON geometry object, repaired if self-intersecting."""
    try:
        geom = shape(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise GeometryError(f"not a GeoJSON geometry ({exc})") from exc
    if geom.is_empty:
        raise GeometryError("the geometry is empty")
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    return geom


def check_in_uk(lon: float, lat: float) -> None:
    min_lon, min_lat, max_lon, max_lat = UK_BOUNDS
    if not (min_lon <= lon <= max_lon and min_lat <= lat <= max_lat):
        raise GeometryError(f"({lon}, {lat}) is not in the UK: are longitude and latitude swapped?")


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def haversine_many(
    lon: float | np.ndarray, lat: float | np.ndarray, lons: np.ndarray, lats: np.ndarray
) -> np.ndarray:
    """Distances in metres from one point to many, or between arrays of points pair by pair,
    vectorised."""
    p1, p2 = np.radians(lat), np.radians(lats)
    dp, dl = p2 - p1, np.radians(lons - lon)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(a)))


@dataclass(frozen=True)
class BBox:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    @classmethod
    def around(cls, lon: float, lat: float, radius_m: float) -> BBox:
        dlat = math.degrees(radius_m / EARTH_RADIUS_M)
        dlon = dlat / max(math.cos(math.radians(lat)), 1e-6)
        return cls(lon - dlon, lat - dlat, lon + dlon, lat + dlat)

    def lat_cells(self) -> list[int]:
        return list(range(lat_cell(self.min_lat), lat_cell(self.max_lat) + 1))


def bounds_of(geom: BaseGeometry) -> tuple[float, float, float, float]:
    return tuple(float(v) for v in geom.bounds)  # type: ignore[return-value]


#: Bulk point queries use up to this many threads, each with at least this many points.
MAX_THREADS = 4
POINTS_PER_THREAD = 50_000


class AreaIndex:
    """An STRtree over area geometries: which areas contain which points, in bulk.

    This is the same vectorised predicate query GeoPandas' `sjoin` runs, without building frames.
    """

    def __init__(self, keys: Sequence[Any], geometries: Sequence[BaseGeometry]) -> None:
        self.keys = list(keys)
        self.geometries = np.asarray(geometries, dtype=object)
        # Not shapely.prepare(self.geometries): a predicate query prepares the geometries it is
        # asked about, never the tree's, so preparing 35,000 areas only cost time.
        self.tree = shapely.STRtree(self.geometries)

    def __len__(self) -> int:
        return len(self.keys)

    def points_in(
        self, lons: Iterable[float], lats: Iterable[float]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Pairs (point index, area position) for every area each point lies in or on.

        Many points are split between threads (shapely releases the GIL while it queries), so
        a national assignment uses every core; the pairs come back in the same order.
        """
        xs, ys = _floats(lons), _floats(lats)
        workers = min(MAX_THREADS, os.cpu_count() or 1, len(xs) // POINTS_PER_THREAD)
        if workers < 2:
            return self.tree.query(shapely.points(xs, ys), predicate="intersects")
        self.tree.query(shapely.points(xs[:1], ys[:1]))  # the tree is built before threads share it
        bounds = np.linspace(0, len(xs), workers + 1).astype(int).tolist()

        def part(k: int) -> tuple[np.ndarray, np.ndarray]:
            start, end = bounds[k], bounds[k + 1]
            points = shapely.points(xs[start:end], ys[start:end])
            point_pos, area_pos = self.tree.query(points, predicate="intersects")
            return point_pos + start, area_pos

        with ThreadPoolExecutor(workers) as pool:
            parts = list(pool.map(part, range(workers)))
        return np.concatenate([p for p, _ in parts]), np.concatenate([a for _, a in parts])

    def geometries_in(self, geometries: Sequence[BaseGeometry]) -> tuple[np.ndarray, np.ndarray]:
        """Pairs (geometry index, area position) for every area each geometry overlaps."""
        return self.tree.query(np.asarray(geometries, dtype=object), predicate="intersects")


def _floats(values: Iterable[float]) -> np.ndarray:
    if isinstance(values, np.ndarray):
        return values.astype(float, copy=False)
    return np.asarray(values if isinstance(values, Sequence) else list(values), dtype=float)


#: Metres in a degree of a great circle on the sphere `haversine_m` measures on.
_M_PER_DEGREE = EARTH_RADIUS_M * math.pi / 180


def points_within(
    lons: Iterable[float],
    lats: Iterable[float],
    other_lons: Iterable[float],
    other_lats: Iterable[float],
    metres: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair (i, j, distance in metres) where point i of the first set lies within `metres`
    of point j of the second, nearest first for each i; in bulk, for hundreds of thousands of
    points (see NearPoints)."""
    xs, ys, oxs, oys = _floats(lons), _floats(lats), _floats(other_lons), _floats(other_lats)
    if not len(xs) or not len(oxs):
        return _NO_PAIRS
    every_x, every_y = np.concatenate([xs, oxs]), np.concatenate([ys, oys])
    extent = (every_x.min(), every_y.min(), every_x.max(), every_y.max())
    return NearPoints(oxs, oys, extent).within(xs, ys, metres)


_NO_PAIRS = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0))


class NearPoints:
    """Points to be asked, again and again, which of them lie within a distance of others: an
    STRtree over them in a local metric projection, built once, then the exact great-circle
    distance. `extent` (min lon, min lat, max lon, max lat) must hold every point it is asked
    about, as well as its own."""

    def __init__(
        self,
        lons: Iterable[float],
        lats: Iterable[float],
        extent: tuple[float, float, float, float],
    ) -> None:
        self.lons, self.lats = _floats(lons), _floats(lats)
        self.extent = tuple(float(v) for v in extent)
        min_lon, min_lat, max_lon, max_lat = self.extent
        # A local projection about the middle longitude: east-west distances scaled by the
        # cosine of the latitude. Away from the middle it shears: a pair `metres` apart can look
        # up to |longitude from the middle| x sin(latitude) x `metres` nearer or further (5 % at
        # the ends of England, under 1 % across one council), so the tree is asked a little
        # further than `metres` and the exact great-circle distance decides.
        self.middle = (min_lon + max_lon) / 2
        reach = math.radians((max_lon - min_lon) / 2)
        steepest = math.sin(math.radians(min(90.0, max(abs(min_lat), abs(max_lat)))))
        self.stretch = 1.0 + reach * steepest + 0.01
        self.tree = (
            shapely.STRtree(self._projected(self.lons, self.lats)) if len(self.lons) else None
        )

    def _projected(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        east = (x - self.middle) * np.cos(np.radians(y)) * _M_PER_DEGREE
        return shapely.points(east, y * _M_PER_DEGREE)

    def within(
        self, lons: Iterable[float], lats: Iterable[float], metres: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every pair (i, j, distance in metres) where the i-th point given lies within `metres`
        of this index's j-th point, nearest first for each i."""
        xs, ys = _floats(lons), _floats(lats)
        if not len(xs) or self.tree is None:
            return _NO_PAIRS
        min_lon, min_lat, max_lon, max_lat = self.extent
        if xs.min() < min_lon or xs.max() > max_lon or ys.min() < min_lat or ys.max() > max_lat:
            raise ValueError("points outside the extent the index was made for")
        i, j = self.tree.query(
            self._projected(xs, ys), predicate="dwithin", distance=metres * self.stretch
        )
        distance = haversine_many(xs[i], ys[i], self.lons[j], self.lats[j])
        keep = distance <= metres
        i, j, distance = i[keep], j[keep], distance[keep]
        order = np.lexsort((j, distance, i))
        return i[order], j[order], distance[order]
