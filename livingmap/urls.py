"""Site URLs: the admin, the JSON API (livingmap/api.py), then every app's pages.

Each app's `urls.py` is mounted at the prefix its `AppConfig` declares (`url_prefix`, see
livingmap/core/contract.py), in INSTALLED_APPS order; nothing here names an app.
"""

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from ninja import NinjaAPI

from livingmap.core.contract import url_includes

from .api import api, build_api

admin.site.site_header = "Living Map administration"
admin.site.site_title = "Living Map"


def build_urlpatterns(api: NinjaAPI | None = None) -> list[URLPattern | URLResolver]:
    """The site's URL patterns from the installed apps (the tests build them again, and the API
    with them, with a test app installed)."""
    return [
        path("admin/", admin.site.urls),
        path("api/", (api or build_api()).urls),
        *(path(prefix, include(module)) for prefix, module in url_includes()),
    ]


urlpatterns = build_urlpatterns(api)

handler400 = "livingmap.core.views.bad_request"
handler404 = "livingmap.core.views.page_not_found"
handler500 = "livingmap.core.views.server_error"
