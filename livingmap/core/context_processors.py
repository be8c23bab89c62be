from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

#: The site menu: (label, URL name, the URL names of the pages that belong to that section).
NAVIGATION = [
    ("Find assets", "asset_search", {"asset_search", "asset"}),
    (
        "Neighbourhoods",
        "neighbourhoods",
        {"neighbourhoods", "neighbourhood", "area", "neighbourhood_profile"},
    ),
    ("Need and assets", "gaps", {"gaps"}),
    (
        "Taking part",
        "participation",
        {"participation", "group_participation", "record_participation", "participation_trends"},
    ),
    ("Time bank", "timebank_home", {"timebank_home", "timebank_bank"}),
    ("Open data", "open_data", {"open_data", "about_data"}),
]


def site(request: HttpRequest) -> dict[str, object]:
    match = getattr(request, "resolver_match", None)
    current = match.url_name if match else None
    return {
        "tile_url": settings.LIVINGMAP_TILE_URL,
        "tile_attribution": settings.LIVINGMAP_TILE_ATTRIBUTION,
        "site_navigation": [
            {"label": label, "url": reverse(name), "current": current in section}
            for label, name, section in NAVIGATION
        ],
    }
