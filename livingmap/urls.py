"""Site URLs. Pages live in each app's urls.py; the JSON API in livingmap/api.py."""

from django.contrib import admin
from django.urls import include, path

from .api import api

admin.site.site_header = "Living Map administration"
admin.site.site_title = "Living Map"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("", include("livingmap.core.urls")),
    path("", include("livingmap.places.urls")),
    path("", include("livingmap.assets.urls")),
    path("", include("livingmap.accounts.urls")),
    path("", include("livingmap.insights.urls")),
    path("", include("livingmap.timebank.urls")),
    path("openreferral/", include("livingmap.openreferral.urls")),
]

handler400 = "livingmap.core.views.bad_request"
handler404 = "livingmap.core.views.page_not_found"
handler500 = "livingmap.core.views.server_error"
