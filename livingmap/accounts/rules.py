"""Permissions about assets, claims, suggestions, freshness and personal records.

See permissions.py for how rules work. Every predicate is cheap and safe for anonymous users.
"""

from __future__ import annotations

from typing import Any

from .permissions import rule
from .roles import Role, has_role, is_officer, roles_of


def _signed_in(user: Any) -> bool:
    return bool(roles_of(user))


def _admin_of(user: Any, asset: Any) -> bool:
    if asset is None or getattr(asset, "pk", None) is None or not _signed_in(user):
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


@rule("asset.suggest", "suggest a change to an asset or a missing asset")
def suggest(user: Any, obj: Any) -> bool:
    """Anyone, signed in or not (someone not signed in gives an email address)."""
    return True


@rule("asset.claim", "claim this asset")
def claim(user: Any, asset: Any) -> bool:
    """Anyone signed in who does not already run it."""
    return _signed_in(user) and not _admin_of(user, asset)


@rule("asset.add", "add an asset directly")
def add_asset(user: Any, obj: Any) -> bool:
    """Group admins add assets of their own (a new weekly session); officers add any."""
    return is_officer(user) or has_role(user, Role.GROUP_ADMIN)


@rule("asset.verify", "confirm this asset's details are still correct")
def verify(user: Any, asset: Any) -> bool:
    return is_officer(user) or _admin_of(user, asset)


@rule("asset.view_history", "see this asset's history")
def view_history(user: Any, asset: Any) -> bool:
    return is_officer(user) or _admin_of(user, asset)


@rule("asset.revert", "revert a change to an asset")
def revert(user: Any, asset: Any) -> bool:
    """Only officers revert (group admins edit again instead)."""
    return is_officer(user)


@rule("moderation.view_queue", "see the moderation queue")
def view_queue(user: Any, obj: Any) -> bool:
    """Officers see every suggestion; group admins the ones about their own assets."""
    return is_officer(user) or has_role(user, Role.GROUP_ADMIN)


@rule("suggestion.decide", "approve or reject this suggestion")
def decide_suggestion(user: Any, suggestion: Any) -> bool:
    """Officers decide any; an asset's admins decide suggestions about their own asset."""
    if is_officer(user):
        return True
    asset = getattr(suggestion, "asset", None)
    return asset is not None and _admin_of(user, asset)


@rule("suggestion.merge", "merge a proposed asset into an existing one")
def merge_suggestion(user: Any, suggestion: Any) -> bool:
    return is_officer(user)


@rule("claim.decide", "approve or reject claims")
def decide_claim(user: Any, claim: Any) -> bool:
    return is_officer(user)


@rule("officer.freshness", "see the freshness dashboard")
def freshness(user: Any, obj: Any) -> bool:
    return is_officer(user)


@rule("officer.jobs", "see the background jobs and their failures")
def jobs(user: Any, obj: Any) -> bool:
    """Officers and administrators: the jobs' errors can name records and settings."""
    return is_officer(user)


@rule("personal.view", "see this person's gifts and skills")
def view_personal(user: Any, record: Any) -> bool:
    """The person; connectors and officers only where the person's consent is recorded."""
    if getattr(record, "person_id", None) is None or not _signed_in(user):
        return False
    if record.person_id == user.pk:
        return True
    consented = bool(record.consent_to_connectors and record.consent_recorded_at)
    return consented and (is_officer(user) or has_role(user, Role.CONNECTOR))


@rule("personal.edit", "change or erase this personal record")
def edit_personal(user: Any, record: Any) -> bool:
    """Only the person themselves."""
    owner = getattr(record, "person_id", None)
    return owner is not None and _signed_in(user) and owner == user.pk
