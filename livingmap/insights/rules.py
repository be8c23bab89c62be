"""Permissions of the insights app (see accounts/permissions.py for how rules work).

Recording participation uses the accounts app's "asset.record_participation" rule (a group's
admins, or officers)."""

from __future__ import annotations

from typing import Any

from livingmap.accounts.permissions import rule
from livingmap.accounts.roles import is_officer


@rule("insights.view_trends", "see which activities are growing or shrinking")
def view_trends(user: Any, obj: Any = None) -> bool:
    """Officers (and administrators) see exact participation figures by activity."""
    return is_officer(user)
