from django.urls import path

from . import views

urlpatterns = [path("things/", views.things, name="sample_things")]
