"""Reads for accounts: what a person may see, queues, freshness, duplicates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from .models import (
    AssetAdmin,
    AssetChange,
    Claim,
    PersonalAsset,
    ReviewReminder,
    Status,
    Suggestion,
)
from .roles import is_officer


def review_cutoff(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(days=settings.LIVINGMAP_REVIEW_AFTER_DAYS)


def stale_cutoff(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(days=settings.LIVINGMAP_STALE_AFTER_DAYS)


def is_stale(asset: Any, now: datetime | None = None) -> bool:
    """Stale: never verified, or not for LIVINGMAP_STALE_AFTER_DAYS (as search ranks it)."""
    return asset.last_verified_at is None or asset.last_verified_at < stale_cutoff(now)


def review_due_on(asset: Any) -> datetime | None:
    if asset.last_verified_at is None:
        return None
    return asset.last_verified_at + timedelta(days=settings.LIVINGMAP_REVIEW_AFTER_DAYS)


def assets_due_for_review(*, now: datetime | None = None) -> QuerySet:
    """Assets with admins, not verified within the review period, with no reminder sent in it."""
    from livingmap.assets.models import Asset

    cutoff = review_cutoff(now)
    recent = ReviewReminder.objects.filter(asset=OuterRef("pk"), sent_at__gte=cutoff)
    return (
        Asset.objects.filter(Exists(AssetAdmin.objects.filter(asset=OuterRef("pk"))))
        .filter(Q(last_verified_at__isnull=True) | Q(last_verified_at__lt=cutoff))
        .exclude(Exists(recent))
        .order_by("last_verified_at", "pk")
    )


@dataclass
class FreshnessRow:
    neighbourhood: str
    kind: str
    fresh: int
    due: int
    stale: int

    @property
    def total(self) -> int:
        return self.fresh + self.due + self.stale


#: The row of assets in no current neighbourhood (unlocated, or outside every neighbourhood).
NO_NEIGHBOURHOOD = "Not in any neighbourhood"


def _freshness_counts(now: datetime | None = None) -> dict[str, Count]:
    due, stale = review_cutoff(now), stale_cutoff(now)
    never_or_old = Q(last_verified_at__isnull=True) | Q(last_verified_at__lt=stale)
    return {
        "fresh": Count("pk", filter=Q(last_verified_at__gte=due), distinct=True),
        "due": Count(
            "pk", filter=Q(last_verified_at__lt=due, last_verified_at__gte=stale), distinct=True
        ),
        "stale": Count("pk", filter=never_or_old, distinct=True),
    }


def freshness(now: datetime | None = None) -> list[FreshnessRow]:
    """Public assets by neighbourhood and kind: fresh, due for review, stale; then, by kind,
    those in no neighbourhood (row `NO_NEIGHBOURHOOD`), so every public asset is in a row. An
    asset in two overlapping neighbourhoods is in both of their rows. Two queries."""
    from livingmap.areas.models import AreaLevel
    from livingmap.assets.models import Asset, AssetArea, AssetKind

    counts = _freshness_counts(now)
    in_neighbourhood = Q(area__level=AreaLevel.NEIGHBOURHOOD, area__is_current=True)
    rows = (
        Asset.objects.public()
        .filter(area_links__area__level=AreaLevel.NEIGHBOURHOOD, area_links__area__is_current=True)
        .values("area_links__area__name", "kind")
        .annotate(**counts)
        .order_by("area_links__area__name", "kind")
    )
    outside = (
        Asset.objects.public()
        .exclude(Exists(AssetArea.objects.filter(in_neighbourhood, asset=OuterRef("pk"))))
        .values("kind")
        .annotate(**counts)
        .order_by("kind")
    )
    labels = dict(AssetKind.choices)
    return [
        FreshnessRow(
            r["area_links__area__name"],
            labels.get(r["kind"], r["kind"]),
            r["fresh"],
            r["due"],
            r["stale"],
        )
        for r in rows
    ] + [
        FreshnessRow(
            NO_NEIGHBOURHOOD, labels.get(r["kind"], r["kind"]), r["fresh"], r["due"], r["stale"]
        )
        for r in outside
    ]


def freshness_totals(now: datetime | None = None) -> FreshnessRow:
    """Every public asset counted once: fresh, due for review, stale."""
    from livingmap.assets.models import Asset

    totals = Asset.objects.public().aggregate(**_freshness_counts(now))
    return FreshnessRow("All", "All kinds", totals["fresh"], totals["due"], totals["stale"])


def moderation_queue(user: Any) -> QuerySet[Suggestion]:
    """Pending suggestions this person may decide: all for officers, own assets for admins."""
    pending = Suggestion.objects.filter(status=Status.PENDING).select_related("asset", "user")
    if is_officer(user):
        return pending
    return pending.filter(asset__admins__user=user)


def pending_claims() -> QuerySet[Claim]:
    return Claim.objects.filter(status=Status.PENDING).select_related("asset", "user")


def history(asset: Any) -> QuerySet[AssetChange]:
    return AssetChange.objects.filter(asset=asset).select_related("user")


def likely_duplicates(proposed: dict[str, Any], limit: int = 5) -> list[Any]:
    """Existing public assets that may be the one proposed: a matching name at the same
    postcode first, then assets whose name shares the proposal's longest word."""
    from livingmap.assets.models import Asset
    from livingmap.core.text import names_match

    name = (proposed.get("name") or "").strip()
    found: list[Any] = []
    postcode = (proposed.get("postcode") or "").strip().upper()
    if postcode:
        found.extend(Asset.objects.public().filter(postcode=postcode)[:50])
    words = sorted((w for w in name.split() if len(w) > 3), key=len, reverse=True)
    if words:
        found.extend(Asset.objects.public().filter(name__icontains=words[0])[:50])
    seen: set[int] = set()
    scored = []
    for asset in found:
        if asset.pk in seen:
            continue
        seen.add(asset.pk)
        score = (2 if name and names_match(name, asset.name) else 0) + (
            1 if postcode and asset.postcode == postcode else 0
        )
        if score:
            scored.append((-score, asset.name, asset))
    return [a for _, _, a in sorted(scored, key=lambda t: (t[0], t[1]))[:limit]]


def personal_records_visible_to(user: Any) -> QuerySet[PersonalAsset]:
    """Records a connector or officer may open: only those whose person consented."""
    from .roles import Role, has_role

    records = PersonalAsset.objects.select_related("asset", "person")
    if not (is_officer(user) or has_role(user, Role.CONNECTOR)):
        return records.filter(person=user)
    return records.filter(
        Q(person=user) | Q(consent_to_connectors=True, consent_recorded_at__isnull=False)
    )


def assets_run_by(user: Any) -> QuerySet:
    from livingmap.assets.models import Asset

    return Asset.objects.filter(admins__user=user).order_by("name")


def account_for_email(email: str) -> Any | None:
    """The account an email address signs in to, matched case-insensitively: on its username
    (sign-up makes the address the username) or, failing that, its email. An exact match wins
    over one differing only in case."""
    from django.contrib.auth import get_user_model

    email = (email or "").strip()
    if not email:
        return None
    User = get_user_model()
    found = list(User.objects.filter(Q(username__iexact=email) | Q(email__iexact=email))[:10])
    if not found:
        return None
    wanted = email.lower()
    return min(
        found,
        key=lambda u: (
            u.get_username() != email,
            u.get_username().lower() != wanted,
            (u.email or "").lower() != wanted,
            u.pk,
        ),
    )
