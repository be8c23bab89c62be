from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from .models import Area
from .selectors import neighbourhood_indicators, neighbourhoods


def neighbourhood_list(request: HttpRequest) -> HttpResponse:
    return render(request, "areas/neighbourhood_list.html", {"neighbourhoods": neighbourhoods()})


def neighbourhood_detail(request: HttpRequest, slug: str) -> HttpResponse:
    hood = get_object_or_404(Area.objects.neighbourhoods(), slug=slug)
    return render(
        request,
        "areas/neighbourhood_detail.html",
        {"neighbourhood": hood, "indicators": neighbourhood_indicators(hood)},
    )


def area_detail(request: HttpRequest, slug: str) -> HttpResponse:
    area = get_object_or_404(Area.objects.statutory(), slug=slug)
    return render(request, "areas/area_detail.html", {"area": area})
