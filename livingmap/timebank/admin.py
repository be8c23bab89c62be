"""Admin: banks, brokers and members are editable; the ledger is read-only (insert-only by design:
exchanges are recorded and corrected through the services, never edited or deleted here)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from .models import (
    Account,
    Broker,
    Exchange,
    InterBankAgreement,
    Listing,
    Member,
    Movement,
    TimeBank,
)


@admin.register(TimeBank)
class TimeBankAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "area", "default_credit_limit_minutes"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Broker)
class BrokerAdmin(admin.ModelAdmin):
    list_display = ["user", "bank", "since"]
    list_select_related = ["user", "bank"]
    raw_id_fields = ["user"]


@admin.register(Member)
class MemberAdmin(admin.ModelAdmin):
    list_display = ["name", "bank", "kind", "status", "neighbourhood"]
    list_filter = ["bank", "status", "kind"]
    search_fields = ["name"]
    raw_id_fields = ["user", "asset", "approved_by"]


@admin.register(InterBankAgreement)
class InterBankAgreementAdmin(admin.ModelAdmin):
    list_display = ["from_bank", "to_bank", "active"]


@admin.register(Listing)
class ListingAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "bank", "member", "is_open"]
    list_filter = ["bank", "kind", "is_open"]
    raw_id_fields = ["member"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["pk", "bank", "member", "balance_minutes", "credit_limit_minutes"]
    list_filter = ["bank"]
    list_select_related = ["bank", "member"]
    show_full_result_count = False


@admin.register(Exchange)
class ExchangeAdmin(ReadOnlyAdmin):
    list_display = ["pk", "bank", "payee", "payer", "minutes", "status", "created_at"]
    list_filter = ["bank", "status"]
    list_select_related = ["bank", "payer__member", "payee__member", "payer__bank", "payee__bank"]
    show_full_result_count = False


@admin.register(Movement)
class MovementAdmin(ReadOnlyAdmin):
    list_display = ["pk", "exchange_id", "account_id", "minutes", "created_at"]
    show_full_result_count = False
