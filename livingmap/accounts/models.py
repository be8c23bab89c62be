from __future__ import annotations

from django.conf import settings
from django.db import models


class AssetAdmin(models.Model):
    """A person who runs an asset and may keep its listing up to date (an approved claim)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="asset_admin_of"
    )
    asset = models.ForeignKey("assets.Asset", on_delete=models.CASCADE, related_name="admins")
    granted_at = models.DateTimeField(auto_now_add=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "asset"], name="one_admin_row_per_user_asset")
        ]

    def __str__(self) -> str:
        return f"{self.user} runs {self.asset}"
