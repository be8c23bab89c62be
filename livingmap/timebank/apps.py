from django.apps import AppConfig


class TimebankConfig(AppConfig):
    """Time banks: members, offers and requests, and a double-entry ledger of time credits."""

    name = "livingmap.timebank"
    label = "timebank"
    verbose_name = "Time bank"

    def ready(self) -> None:
        from livingmap.accounts.permissions import load_rules

        load_rules(self)

        from livingmap.assets.demo import demo_loaded

        from .demo import on_demo_loaded

        demo_loaded.connect(on_demo_loaded, dispatch_uid="timebank_demo")
