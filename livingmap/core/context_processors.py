from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from .contract import allowed, menu_entries


def site(request: HttpRequest) -> dict[str, object]:
    """The area's name, the map tiles, and the site menu: every app's `menu` entries (see
    LivingMapApp.menu), in order, those a permission guards only for whom it allows."""
    match = getattr(request, "resolver_match", None)
    current = match.url_name if match else None
    user = getattr(request, "user", None)
    return {
        "tile_url": settings.LIVINGMAP_TILE_URL,
        "tile_attribution": settings.LIVINGMAP_TILE_ATTRIBUTION,
        "site_navigation": [
            {"label": e.label, "url": reverse(e.url_name), "current": current in e.section}
            for e in menu_entries()
            if allowed(user, e.permission)
        ],
    }
