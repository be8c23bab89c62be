"""Keep assets' areas right when boundaries change (the areas app sends, we listen)."""

from typing import Any

from django.dispatch import receiver

from livingmap.areas.signals import boundaries_changed

from .services import reassign_near


@receiver(boundaries_changed)
def recompute_asset_areas(sender: Any, areas: list, **kwargs: Any) -> None:
    reassign_near(areas)
