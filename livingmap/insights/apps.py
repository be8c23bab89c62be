from django.apps import AppConfig


class InsightsConfig(AppConfig):
    """Assets against need: neighbourhood profiles, gaps, participation and open data downloads."""

    name = "livingmap.insights"
    label = "insights"
    verbose_name = "Insights"

    def ready(self) -> None:
        from livingmap.accounts.permissions import load_rules

        load_rules(self)
        from livingmap.assets.demo import demo_loaded

        from . import receivers  # noqa: F401
        from .demo import on_demo_loaded

        demo_loaded.connect(on_demo_loaded, dispatch_uid="insights_demo")
