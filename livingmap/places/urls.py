from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("neighbourhoods/", views.neighbourhood_list, name="neighbourhoods"),
    path("neighbourhoods/<slug:slug>/", views.neighbourhood_detail, name="neighbourhood"),
    path("areas/<slug:slug>/", views.area_detail, name="area"),
]
