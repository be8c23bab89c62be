from livingmap.core.contract import Command, LivingMapApp


class OpenreferralConfig(LivingMapApp):
    """Open Referral HSDS 3.0 / UK profile: the API at /openreferral/, export and import."""

    name = "livingmap.openreferral"
    label = "openreferral"
    verbose_name = "Open Referral"

    url_prefix = "openreferral/"
    commands = (
        Command(
            "import_hsds",
            "Import Open Referral (HSDS 3.0 / ORUK) data: a file, a package or a feed URL.",
            order=80,
        ),
    )
    missing_files = {
        "services.py": "its writes are imports, in importers.py (through core's import framework)",
        "templates/{label}/": "it answers in JSON only: the HSDS API is its pages",
    }

    def ready(self) -> None:
        super().ready()
        from django.db.models.signals import post_delete, post_save

        from livingmap.assets.models import Asset

        from .selectors import forget_snapshot

        post_save.connect(forget_snapshot, sender=Asset, dispatch_uid="openreferral-snapshot")
        post_delete.connect(forget_snapshot, sender=Asset, dispatch_uid="openreferral-snapshot-d")
