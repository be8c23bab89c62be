"""Admin for the accounts app: admins of assets, claims, suggestions, history (read-only),
reminders, and the access log (read-only: it is evidence).

People's gifts and skills (PersonalAsset) are deliberately not in the admin: every read of one
by someone other than the person must be logged, so they are read only through the pages that
log it (see docs/accounts.md)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .admin_site import LivingMapAdminSite
from .models import (
    AccessLog,
    AssetAdmin,
    AssetChange,
    Claim,
    ReviewReminder,
    Suggestion,
)


@admin.register(AssetAdmin)
class AssetAdminAdmin(admin.ModelAdmin):
    list_display = ("user", "asset", "granted_at", "granted_by")
    raw_id_fields = ("user", "asset", "granted_by")
    search_fields = ("user__username", "asset__name")


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):
    list_display = ("asset", "user", "status", "created_at", "decided_by")
    list_filter = ("status",)
    raw_id_fields = ("asset", "user", "decided_by")


@admin.register(Suggestion)
class SuggestionAdmin(admin.ModelAdmin):
    list_display = ("__str__", "status", "created_at", "decided_by")
    list_filter = ("status",)
    raw_id_fields = ("asset", "user", "decided_by", "result")


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(AssetChange)
class AssetChangeAdmin(ReadOnly):
    list_display = ("asset", "kind", "user", "at")
    list_filter = ("kind",)
    raw_id_fields = ("asset", "user")
    show_full_result_count = False


@admin.register(ReviewReminder)
class ReviewReminderAdmin(ReadOnly):
    list_display = ("asset", "sent_at", "answered_at", "escalated_at")
    raw_id_fields = ("asset",)


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnly):
    list_display = ("person", "record_name", "reader_name", "at", "purpose")
    raw_id_fields = ("person", "record", "reader")
    show_full_result_count = False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


# The asset admin, extended: who runs each asset, and never a person's gifts and skills.
from django.db.models import QuerySet  # noqa: E402

from livingmap.assets.admin import AssetAdmin as AssetListingAdmin  # noqa: E402
from livingmap.assets.models import Asset  # noqa: E402


class AssetAdminInline(admin.TabularInline):
    model = AssetAdmin
    fk_name = "asset"
    extra = 0
    raw_id_fields = ("user", "granted_by")
    verbose_name = "person who runs it"
    verbose_name_plural = "people who run it (group admins)"


admin.site.unregister(Asset)


@admin.register(Asset)
class AssetWithAdminsAdmin(AssetListingAdmin):
    inlines = (*AssetListingAdmin.inlines, AssetAdminInline)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Asset]:
        return super().get_queryset(request).filter(personal__isnull=True)


# Django's admin goes through the site's sign-in (rate limited) and the second factor.
admin.site.__class__ = LivingMapAdminSite
