from django.apps import AppConfig


class OpenreferralConfig(AppConfig):
    """Open Referral HSDS 3.0 / UK profile: the API at /openreferral/, export and import."""

    name = "livingmap.openreferral"
    label = "openreferral"
    verbose_name = "Open Referral"

    def ready(self) -> None:
        from livingmap.accounts.permissions import load_rules

        load_rules(self)
