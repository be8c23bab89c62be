"""The site's URLs built again, by livingmap/urls.py's own function, with whatever apps are
installed now (the contract's tests install the sample app first)."""

from livingmap.urls import build_urlpatterns

urlpatterns = build_urlpatterns()
