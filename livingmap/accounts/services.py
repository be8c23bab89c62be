"""Writes about people and their assets."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from django.utils import timezone


def record_sign_of_life(asset: object, kind: str, when: datetime | None = None) -> None:
    """Something shows the asset is alive (its admins edited it, it recorded participation, it
    got a grant, a connector referred someone to it): count it as verified at `when`.

    Never moves last_verified_at backwards. `kind` says what the sign was (e.g. "participation").
    """
    from livingmap.assets.models import Asset

    when = when or timezone.now()
    Asset.objects.filter(pk=asset.pk).filter(
        Q(last_verified_at__isnull=True) | Q(last_verified_at__lt=when)
    ).update(last_verified_at=when)
