from django.apps import AppConfig


class OpenreferralConfig(AppConfig):
    """Open Referral HSDS 3.0 / UK profile: the API at /openreferral/, export and import."""

    name = "livingmap.openreferral"
    label = "openreferral"
    verbose_name = "Open Referral"

    def ready(self) -> None:
        from livingmap.accounts.permissions import load_rules

        load_rules(self)

        from django.db.models.signals import post_delete, post_save

        from livingmap.assets.models import Asset

        from .selectors import forget_snapshot

        post_save.connect(forget_snapshot, sender=Asset, dispatch_uid="openreferral-snapshot")
        post_delete.connect(forget_snapshot, sender=Asset, dispatch_uid="openreferral-snapshot-d")
