"""The Open Referral API (HSDS 3.0 / UK profile) and exports, under /openreferral/."""

from django.urls import path

from . import views

app_name = "openreferral"

urlpatterns = [
    path("", views.index, name="index"),
    path("openapi.json", views.openapi, name="openapi"),
    path("schemas/<path:name>", views.schema, name="schema"),
    path("services", views.services, name="services"),
    path("services/<str:pk>", views.service, name="service"),
    path("service_at_locations", views.service_at_locations, name="service_at_locations"),
    path("service_at_locations/<str:pk>", views.service_at_location, name="service_at_location"),
    path("organizations", views.organizations, name="organizations"),
    path("organizations/<str:pk>", views.organization, name="organization"),
    path("taxonomies", views.taxonomies, name="taxonomies"),
    path("taxonomies/<str:pk>", views.taxonomy, name="taxonomy"),
    path("taxonomy_terms", views.taxonomy_terms, name="taxonomy_terms"),
    path("taxonomy_terms/<str:pk>", views.taxonomy_term, name="taxonomy_term"),
    path("export/hsds.json", views.export_json, name="export_json"),
    path("export/datapackage.zip", views.export_datapackage, name="export_datapackage"),
]
