from django.http import HttpRequest

from .selectors import current_area


def area(request: HttpRequest) -> dict[str, object]:
    """The instance's area, from the data loaded: its name (header, titles), a real postcode
    for hints, and the map's starting view."""
    here = current_area()
    return {
        "area_name": here.name,
        "area_hint_postcode": here.hint_postcode,
        "area_map_view": here.map_view,
    }
