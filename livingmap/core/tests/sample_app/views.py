from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from livingmap.accounts.permissions import require

from . import selectors


def things(request: HttpRequest) -> HttpResponse:
    require(request.user, "sample_app.see")
    return render(request, "sample_app/things.html", {"things": selectors.things()})
