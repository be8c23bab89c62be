"""Site-wide pages that belong to no domain: about the data."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .models import Dataset


def about_data(request: HttpRequest) -> HttpResponse:
    datasets = Dataset.objects.order_by("publisher", "name")
    return render(request, "core/about_data.html", {"datasets": datasets})
