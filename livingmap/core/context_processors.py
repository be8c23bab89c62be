from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, object]:
    return {
        "area_name": settings.LIVINGMAP_AREA_NAME,
        "tile_url": settings.LIVINGMAP_TILE_URL,
        "tile_attribution": settings.LIVINGMAP_TILE_ATTRIBUTION,
    }
