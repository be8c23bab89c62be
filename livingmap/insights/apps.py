from django.apps import AppConfig


class InsightsConfig(AppConfig):
    """Assets against need: neighbourhood profiles, gaps, participation and open data downloads."""

    name = "livingmap.insights"
    label = "insights"
    verbose_name = "Insights"

    def ready(self) -> None:
        from livingmap.accounts.permissions import load_rules

        load_rules(self)
