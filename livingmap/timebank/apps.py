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

        from livingmap.accounts.signals import personal_data_erase, personal_data_export

        from .receivers import on_personal_data_erase, on_personal_data_export

        personal_data_export.connect(on_personal_data_export, dispatch_uid="timebank_export")
        personal_data_erase.connect(on_personal_data_erase, dispatch_uid="timebank_erase")
