"""Permissions about assets (see permissions.py for how rules work)."""

from __future__ import annotations

from typing import Any

from .permissions import rule
from .roles import is_officer


def _admin_of(user: Any, asset: Any) -> bool:
    if asset is None or not getattr(user, "is_authenticated", False):
        return False
    from .models import AssetAdmin

    return AssetAdmin.objects.filter(user=user, asset=asset).exists()


@rule("asset.edit", "edit this asset's listing")
def edit_asset(user: Any, asset: Any) -> bool:
    """Officers and administrators edit any asset; group admins edit their own."""
    return is_officer(user) or _admin_of(user, asset)


@rule("asset.record_participation", "record participation for this asset")
def record_participation(user: Any, asset: Any) -> bool:
    """A group records its own participation figures; officers may for any group."""
    return is_officer(user) or _admin_of(user, asset)
