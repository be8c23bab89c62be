"""Pages of the insights app."""

from django.urls import path

from . import views

urlpatterns = [
    path("neighbourhoods/<slug:slug>/profile/", views.profile, name="neighbourhood_profile"),
    path(
        "neighbourhoods/<slug:slug>/profile.csv",
        views.profile_csv,
        name="neighbourhood_profile_csv",
    ),
    path("gaps/", views.gaps, name="gaps"),
    path("participation/", views.participation, name="participation"),
    path("participation/trends/", views.trends, name="participation_trends"),
    path(
        "participation/groups/<uuid:uuid>/",
        views.group_participation,
        name="group_participation",
    ),
    path(
        "participation/groups/<uuid:uuid>/share.csv",
        views.group_participation_csv,
        name="group_participation_csv",
    ),
    path("participation/groups/<uuid:uuid>/record/", views.record, name="record_participation"),
    path("open-data/", views.open_data, name="open_data"),
    path("open-data/<slug:slug>/", views.open_data_download, name="open_data_download"),
]
