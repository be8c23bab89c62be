from django.urls import path

from . import views

urlpatterns = [
    path("assets/", views.asset_search, name="asset_search"),
    path("assets/<uuid:uuid>/", views.asset_detail, name="asset"),
]
