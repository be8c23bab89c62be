"""Mark the precomputed aggregates stale when the data they are built from changes.

Saves and deletions of single assets send Django's model signals; boundary changes send the areas
app's `boundaries_changed`. Bulk imports send neither, and are caught by the fingerprint in
services.ensure_fresh().
"""

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from livingmap.areas.signals import boundaries_changed
from livingmap.assets.models import Asset

from .services import mark_dirty


@receiver(post_save, sender=Asset, dispatch_uid="insights_asset_saved")
@receiver(post_delete, sender=Asset, dispatch_uid="insights_asset_deleted")
def asset_changed(sender: Any, **kwargs: Any) -> None:
    mark_dirty()


@receiver(m2m_changed, sender=Asset.categories.through, dispatch_uid="insights_categories")
def categories_changed(sender: Any, action: str, **kwargs: Any) -> None:
    if action in {"post_add", "post_remove", "post_clear"}:
        mark_dirty()


@receiver(boundaries_changed, dispatch_uid="insights_boundaries")
def boundaries(sender: Any, **kwargs: Any) -> None:
    mark_dirty()
