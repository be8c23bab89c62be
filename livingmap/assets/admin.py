"""Admin for assets, their categories, where their records came from, and their stored areas.

An asset saved here goes through `services.save_asset`, like any edit by a person: its search
words and the areas and neighbourhoods it lies in are worked out again. Where a record came from
(AssetSource) and which areas an asset is in (AssetArea) are written by imports and saves, so
they are shown, never typed.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from livingmap.areas.admin import PostcodeSearchMixin
from livingmap.areas.models import STATUTORY_LEVELS

from .models import Asset, AssetArea, AssetSource, Category, Visibility
from .services import save_asset

NEVER = admin.ShowFacets.NEVER


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "kind", "parent", "asset_count")
    list_filter = ("kind",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    autocomplete_fields = ("parent",)
    list_select_related = ("parent",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Category]:
        return super().get_queryset(request).annotate(asset_count=Count("assets"))

    @admin.display(description="Assets", ordering="asset_count")
    def asset_count(self, category: Category) -> int:
        return category.asset_count  # type: ignore[attr-defined]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AssetSourceInline(ReadOnlyInline):
    model = AssetSource
    fields = ("dataset", "source_id", "licence", "imported_at")
    readonly_fields = fields
    verbose_name = "source (data set it came from)"
    verbose_name_plural = "sources (data sets it came from)"

    def get_queryset(self, request: HttpRequest) -> QuerySet[AssetSource]:
        return super().get_queryset(request).select_related("dataset").defer("data")

    @admin.display(description="Licence")
    def licence(self, source: AssetSource) -> str:
        return source.dataset.licence


@admin.register(Asset)
class AssetAdmin(PostcodeSearchMixin, admin.ModelAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ("name", "kind", "postcode", "located", "visibility", "last_verified_at")
    list_filter = ("kind", "visibility", "categories", "legal_form", "tenure")
    # A postcode, however typed, finds the assets there (PostcodeSearchMixin); otherwise words
    # of the name, or an exact UPRN or charity number.
    search_fields = ("name", "=uprn", "=charity_number")
    autocomplete_fields = ("categories",)
    show_full_result_count = False
    show_facets = NEVER
    list_per_page = 100
    inlines = (AssetSourceInline,)
    readonly_fields = ("uuid", "public_page", "areas", "created_at", "updated_at")
    fieldsets = (
        (
            "What it is",
            {
                "fields": (
                    "name",
                    "kind",
                    "legal_form",
                    "categories",
                    "description",
                    "visibility",
                    "last_verified_at",
                )
            },
        ),
        (
            "Where it is",
            {
                "description": (
                    "Change the longitude and latitude to move it: the areas and "
                    "neighbourhoods it is in are worked out again when you save."
                ),
                "fields": ("address", "postcode", "lon", "lat", "footprint", "service_area"),
            },
        ),
        (
            "How to reach it",
            {"fields": ("website", "email", "phone", "opening_hours", "accessibility")},
        ),
        (
            "Buildings, land and identifiers",
            {"fields": ("tenure", "tenure_detail", "uprn", "charity_number", "extra")},
        ),
        ("Record", {"fields": ("uuid", "public_page", "areas", "created_at", "updated_at")}),
    )

    @admin.display(description="Located", boolean=True)
    def located(self, asset: Asset) -> bool:
        return asset.is_located

    @admin.display(description="Public page")
    def public_page(self, asset: Asset) -> SafeString | str:
        if asset.pk is None or asset.visibility != Visibility.PUBLIC or asset.kind == "gifts":
            return "Not shown to the public"
        return format_html('<a href="{0}">{0}</a>', asset.get_absolute_url())

    @admin.display(description="Areas and neighbourhoods it is in")
    def areas(self, asset: Asset) -> SafeString | str:
        if asset.pk is None:
            return "Worked out when it is saved."
        links = (
            AssetArea.objects.filter(asset=asset)
            .select_related("area")
            .only("area", "area__name", "area__level", "area__gss_code", "area__vintage")
        )
        levels = [*[str(level) for level in STATUTORY_LEVELS], "neighbourhood"]
        areas = sorted(
            (link.area for link in links),
            key=lambda a: (levels.index(a.level) if a.level in levels else 99, -a.vintage),
        )
        if not areas:
            return "None (it has no location, or lies outside every area loaded)."
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{}: {}</li>",
                ((a.get_level_display(), str(a)) for a in areas),
            ),
        )

    def save_model(self, request: HttpRequest, obj: Asset, form: Any, change: bool) -> None:
        # Categories are set before the search words are worked out from them; the form then
        # sets the same categories again in save_related, which changes nothing.
        categories = form.cleaned_data.get("categories") if "categories" in form.fields else None
        save_asset(obj, categories=categories)


@admin.register(AssetSource)
class AssetSourceAdmin(admin.ModelAdmin):
    """Where each asset's record came from: written by imports, read here."""

    list_display = ("asset", "dataset", "source_id", "imported_at")
    list_filter = ("dataset",)
    search_fields = ("=source_id", "asset__name")
    raw_id_fields = ("asset",)
    list_select_related = ("asset", "dataset")
    show_full_result_count = False
    show_facets = NEVER

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AssetArea)
class AssetAreaAdmin(admin.ModelAdmin):
    """Which areas each asset lies in: worked out on import and save, read here."""

    list_display = ("asset", "area", "area_level")
    list_filter = ("area__level",)
    search_fields = ("asset__name", "=area__gss_code", "area__name")
    raw_id_fields = ("asset", "area")
    show_full_result_count = False
    show_facets = NEVER
    list_per_page = 100

    def get_queryset(self, request: HttpRequest) -> QuerySet[AssetArea]:
        return (
            super()
            .get_queryset(request)
            .select_related("asset", "area")
            .only(
                "asset",
                "area",
                "asset__name",
                "area__name",
                "area__level",
                "area__gss_code",
                "area__vintage",
            )
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="Level", ordering="area__level")
    def area_level(self, link: AssetArea) -> str:
        return link.area.get_level_display()
