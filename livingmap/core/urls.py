from django.urls import path

from . import views

urlpatterns = [
    path("about/data/", views.about_data, name="about_data"),
]
