"""What every map page hands to map.js: asset markers, a boundary and the tile server."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.templatetags.static import static
from django.urls import reverse

from .models import AssetKind

_ZERO_UUID = uuid.UUID(int=0)


def asset_points(assets: Iterable[Any]) -> list[list[Any]]:
    """[lat, lon, name, uuid, kind] for each located asset: compact, for a map's markers."""
    return [
        [round(a.lat, 5), round(a.lon, 5), a.name, str(a.uuid), a.kind]
        for a in assets
        if a.lat is not None and a.lon is not None
    ]


def map_data(
    points: list[list[Any]],
    *,
    boundary: dict[str, Any] | None = None,
    cluster: bool = True,
    zoom: int | None = None,
) -> dict[str, Any]:
    """What map.js needs, passed to the page with json_script (no inline script).

    The tile server comes from settings; markers and boundaries draw even when tiles cannot load.
    """
    return {
        "tiles": {
            "url": settings.LIVINGMAP_TILE_URL,
            "attribution": settings.LIVINGMAP_TILE_ATTRIBUTION,
        },
        "icon": {
            "url": static("vendor/leaflet/images/marker-icon.png"),
            "retina": static("vendor/leaflet/images/marker-icon-2x.png"),
            "shadow": static("vendor/leaflet/images/marker-shadow.png"),
        },
        "asset_url": reverse("asset", kwargs={"uuid": _ZERO_UUID}).replace(
            str(_ZERO_UUID), "{uuid}"
        ),
        "kinds": dict(AssetKind.choices),
        "points": points,
        "boundary": boundary,
        "cluster": cluster,
        "zoom": zoom,
    }
