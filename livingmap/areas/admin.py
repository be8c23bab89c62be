"""Admin for areas, neighbourhoods, postcodes and indicators of need.

The tables are big nationally (2.6M postcodes, 180k output areas, 600k indicator values), so
list pages never count the whole table twice (show_full_result_count = False), never offer facet
counts, never read boundaries for a list, and only filter on choices or small tables. Statutory
boundaries come from imports and are shown, not edited. Neighbourhoods can be drawn here: paste a
GeoJSON polygon and the neighbourhood's make-up and its assets' areas are worked out on save.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from shapely.errors import ShapelyError

from livingmap.core.geo import GeometryError, geometry_from_geojson
from livingmap.core.text import PostcodeError, normalise_postcode

from .models import (
    Area,
    AreaComponent,
    AreaLevel,
    Indicator,
    IndicatorPeriod,
    IndicatorValue,
    Neighbourhood,
    Postcode,
)
from .services import compute_components, geometry_fields, notify_boundaries_changed

NEVER = admin.ShowFacets.NEVER


def _boundary_summary(area: Area) -> SafeString:
    geometry = area.geometry or {}
    polygons = geometry.get("coordinates") or []
    parts = len(polygons) if geometry.get("type") == "MultiPolygon" else 1
    url = reverse(
        "api:api_neighbourhood_boundary" if area.is_neighbourhood else "api:api_area_boundary",
        kwargs={"slug": area.slug},
    )
    return format_html(
        "{} in {} part(s); bounding box {:.5f}, {:.5f} to {:.5f}, {:.5f}. "
        '<a href="{}">Download the boundary (GeoJSON)</a>',
        geometry.get("type", "No geometry"),
        parts,
        area.min_lon,
        area.min_lat,
        area.max_lon,
        area.max_lat,
        url,
    )


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    """Every area, statutory and neighbourhood; boundaries are imported, so shown read-only."""

    list_display = ("name", "level", "gss_code", "vintage", "is_current", "origin")
    list_filter = ("level", "is_current", "origin")
    search_fields = ("name", "=gss_code", "=slug")
    show_full_result_count = False
    show_facets = NEVER
    list_per_page = 100
    autocomplete_fields = ("source",)
    raw_id_fields = ("parent",)
    fields = (
        "name",
        "slug",
        "level",
        "gss_code",
        "vintage",
        "is_current",
        "origin",
        "description",
        "source",
        "parent",
        "boundary",
        "land_area_m2",
        "point_lon",
        "point_lat",
        "updated_at",
    )
    readonly_fields = (
        "level",
        "gss_code",
        "vintage",
        "origin",
        "boundary",
        "land_area_m2",
        "point_lon",
        "point_lat",
        "updated_at",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Area]:
        # Boundaries are read only where shown (one area's page), never for a list.
        return super().get_queryset(request).defer("geometry")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # areas come from boundary imports; neighbourhoods are added below

    @admin.display(description="Boundary")
    def boundary(self, area: Area) -> SafeString:
        return _boundary_summary(area)


class GeoJSONField(forms.JSONField):
    """A GeoJSON geometry, Feature or FeatureCollection, pasted in; kept as a geometry."""

    def clean(self, value: Any) -> Any:
        data = super().clean(value)
        if isinstance(data, dict) and data.get("type") == "FeatureCollection":
            geoms = [f.get("geometry") for f in data.get("features") or []]
            if len(geoms) != 1:
                raise forms.ValidationError("Paste a FeatureCollection with exactly one feature.")
            data = geoms[0]
        elif isinstance(data, dict) and data.get("type") == "Feature":
            data = data.get("geometry")
        try:
            geometry_fields(geometry_from_geojson(data))
        except (GeometryError, ShapelyError) as exc:
            raise forms.ValidationError(f"This is not a usable boundary: {exc}.") from exc
        return data


class NeighbourhoodForm(forms.ModelForm):
    geometry = GeoJSONField(
        label="Boundary (GeoJSON)",
        help_text=(
            "A GeoJSON Polygon or MultiPolygon in longitude and latitude (WGS84), or a Feature "
            "holding one: for instance, drawn on geojson.io and pasted here."
        ),
        widget=forms.Textarea(attrs={"rows": 8, "cols": 80}),
    )

    class Meta:
        model = Neighbourhood
        fields = ("name", "slug", "description", "geometry")


@admin.register(Neighbourhood)
class NeighbourhoodAdmin(admin.ModelAdmin):
    """Neighbourhoods residents recognise: imported, built from statutory areas, or drawn here."""

    form = NeighbourhoodForm
    list_display = ("name", "slug", "origin", "vintage", "updated_at")
    list_filter = ("origin",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("origin", "vintage", "boundary", "land_area_m2", "updated_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Area]:
        return super().get_queryset(request).neighbourhoods()

    def get_fields(self, request: HttpRequest, obj: Area | None = None) -> list[str]:
        fields = ["name", "slug", "description", "geometry"]
        return fields if obj is None else [*fields, *self.readonly_fields]

    def get_readonly_fields(self, request: HttpRequest, obj: Area | None = None) -> tuple:
        return () if obj is None else self.readonly_fields

    @admin.display(description="Boundary")
    def boundary(self, area: Area) -> SafeString:
        return _boundary_summary(area)

    def save_model(self, request: HttpRequest, obj: Area, form: Any, change: bool) -> None:
        if not change:
            obj.level = AreaLevel.NEIGHBOURHOOD
            obj.origin = Area.Origin.DRAWN
            obj.vintage = timezone.now().year
        redrawn = not change or "geometry" in form.changed_data
        if redrawn:
            for key, value in geometry_fields(geometry_from_geojson(obj.geometry)).items():
                setattr(obj, key, value)
        obj.save()
        if redrawn:
            # Which statutory areas it is made of (for need), and which assets are in it now.
            compute_components([obj])
            notify_boundaries_changed([obj])


class NeighbourhoodListFilter(admin.SimpleListFilter):
    """Filter by neighbourhood (a short list), never by every area in the country."""

    title = "neighbourhood"
    parameter_name = "neighbourhood"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            (str(pk), name)
            for pk, name in Area.objects.neighbourhoods().order_by("name").values_list("pk", "name")
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(neighbourhood_id=self.value()) if self.value() else queryset


@admin.register(AreaComponent)
class AreaComponentAdmin(admin.ModelAdmin):
    """How much of each statutory area lies in each neighbourhood (worked out, not typed)."""

    list_display = ("neighbourhood", "component", "component_level", "share")
    list_filter = (NeighbourhoodListFilter, "component__level")
    search_fields = ("component__name", "=component__gss_code", "neighbourhood__name")
    raw_id_fields = ("neighbourhood", "component")
    show_full_result_count = False
    show_facets = NEVER

    def get_queryset(self, request: HttpRequest) -> QuerySet[AreaComponent]:
        return (
            super()
            .get_queryset(request)
            .select_related("neighbourhood", "component")
            .defer("neighbourhood__geometry", "component__geometry")
        )

    @admin.display(description="Level", ordering="component__level")
    def component_level(self, obj: AreaComponent) -> str:
        return obj.component.get_level_display()


class PostcodeSearchMixin:
    """Searching for a postcode finds it however it is typed ('ab12cd', ' AB1  2CD ')."""

    postcode_lookup = "postcode"

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        try:
            postcode = normalise_postcode(search_term)
        except PostcodeError:
            return super().get_search_results(request, queryset, search_term)  # type: ignore[misc]
        return queryset.filter(**{self.postcode_lookup: postcode}), False


@admin.register(Postcode)
class PostcodeAdmin(PostcodeSearchMixin, admin.ModelAdmin):
    list_display = ("postcode", "lon", "lat", "ward_code", "lsoa_code", "lad_code", "terminated")
    list_filter = ("terminated",)
    # A whole postcode is found exactly (above); otherwise the start of one ("AB1 2").
    search_fields = ("^postcode",)
    autocomplete_fields = ("source",)
    show_full_result_count = False
    show_facets = NEVER
    list_per_page = 100


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "unit", "source", "release", "rollup", "order")
    list_filter = ("rollup", "source")
    search_fields = ("name", "slug")
    list_select_related = ("source",)
    autocomplete_fields = ("source",)
    prepopulated_fields = {"slug": ("name",)}


@admin.register(IndicatorPeriod)
class IndicatorPeriodAdmin(admin.ModelAdmin):
    list_display = ("indicator", "label", "start", "end", "granularity", "release", "is_latest")
    list_filter = ("granularity", "is_latest", "indicator")
    list_select_related = ("indicator",)
    readonly_fields = ("is_latest",)
    search_fields = ("indicator__name", "label")


@admin.register(IndicatorValue)
class IndicatorValueAdmin(admin.ModelAdmin):
    list_display = ("indicator", "period", "area", "area_level", "value", "note")
    list_filter = ("indicator", "period__label", "area__level")
    search_fields = ("=area__gss_code", "area__name")
    raw_id_fields = ("area", "period")
    autocomplete_fields = ("indicator",)
    show_full_result_count = False
    show_facets = NEVER
    list_per_page = 100

    def get_queryset(self, request: HttpRequest) -> QuerySet[IndicatorValue]:
        return (
            super()
            .get_queryset(request)
            .select_related("indicator", "area", "period__indicator")
            .defer("area__geometry")
        )

    @admin.display(description="Level", ordering="area__level")
    def area_level(self, obj: IndicatorValue) -> str:
        return obj.area.get_level_display()
