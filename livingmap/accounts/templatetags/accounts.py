"""Template helpers for accounts: what the person may do with an asset, shown on its page."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def asset_actions(context: template.Context, asset: Any) -> dict[str, Any]:
    """What the signed-in person may do with this asset, and how fresh it is."""
    from ..permissions import can
    from ..selectors import is_stale, review_due_on

    request = context.get("request")
    user = getattr(request, "user", None)
    return {
        "can_edit": can(user, "asset.edit", asset),
        "can_claim": can(user, "asset.claim", asset),
        "can_verify": can(user, "asset.verify", asset),
        "can_history": can(user, "asset.view_history", asset),
        "signed_in": bool(user and user.is_authenticated),
        "stale": is_stale(asset),
        "review_due": review_due_on(asset),
    }


@register.filter
def field_label(labels: dict[str, str], field: str) -> str:
    return labels.get(field, field.replace("_", " ").capitalize())


@register.filter
def show_value(value: Any, blank: str = "(blank)") -> str:
    """A stored value for people: lists joined, blanks said (as `blank`)."""
    if value in (None, "", []):
        return blank
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)
