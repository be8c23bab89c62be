from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from .models import Asset
from .selectors import AssetQuery, get_public_asset, search_assets


def asset_search(request: HttpRequest) -> HttpResponse:
    results = search_assets(AssetQuery(words=request.GET.get("q", "")))
    return render(request, "assets/search.html", {"results": results})


def asset_detail(request: HttpRequest, uuid: str) -> HttpResponse:
    try:
        asset = get_public_asset(uuid)
    except Asset.DoesNotExist as exc:
        raise Http404("No such asset") from exc
    return render(request, "assets/detail.html", {"asset": asset})
