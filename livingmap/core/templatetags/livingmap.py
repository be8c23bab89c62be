"""Template helpers for Living Map's pages: numbers in people's terms and pagination links."""

from __future__ import annotations

from dataclasses import dataclass

from django import template
from django.http import HttpRequest, QueryDict

register = template.Library()


@register.filter
def distance(metres: float | None) -> str:
    """1234.5 -> '1.2 km'; 87 -> '90 m'; 3 -> 'under 10 m' (an asset from itself, or one in the
    same building: points are not more exact). Distances are as the crow flies."""
    if metres is None:
        return ""
    if metres < 10:
        return "under 10 m"
    if metres < 1000:
        return f"{round(metres, -1):.0f} m"
    return f"{metres / 1000:.1f}".removesuffix(".0") + " km"


@register.filter
def percent(share: float | None, places: int = 0) -> str:
    """0.0652 -> '7%'; None -> 'no data'."""
    if share is None:
        return "no data"
    value = share * 100
    if 0 < value < 0.5 and not places:
        return "less than 1%"
    return f"{value:.{int(places)}f}%"


@register.filter
def ordinal(number: int | None) -> str:
    """1 -> '1st', 2 -> '2nd', 11 -> '11th'."""
    if number is None:
        return ""
    n = int(number)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


@register.filter
def get_item(mapping: dict, key: object) -> object:
    """{{ counts|get_item:kind }} — a dictionary value by a key held in a variable."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@dataclass
class PageLink:
    number: int | None  # None for an ellipsis
    url: str = ""
    current: bool = False


@dataclass
class Pagination:
    previous_url: str
    next_url: str
    items: list[PageLink]


def _page_url(params: QueryDict, number: int) -> str:
    query = params.copy()
    if number == 1:
        query.pop("page", None)
    else:
        query["page"] = str(number)
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag
def pagination(request: HttpRequest, page: int, pages: int) -> Pagination | None:
    """Links for GOV.UK pagination: first, last, and the pages either side of the current one."""
    if pages <= 1:
        return None
    params = request.GET
    wanted = sorted({1, pages, page - 1, page, page + 1} & set(range(1, pages + 1)))
    items: list[PageLink] = []
    previous = 0
    for number in wanted:
        if number - previous > 1:
            items.append(PageLink(None))
        items.append(PageLink(number, _page_url(params, number), number == page))
        previous = number
    return Pagination(
        previous_url=_page_url(params, page - 1) if page > 1 else "",
        next_url=_page_url(params, page + 1) if page < pages else "",
        items=items,
    )


@register.filter
def humanise_key(key: str) -> str:
    """'register_date' -> 'Register date': a data set's field name, readable."""
    text = str(key).replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]
