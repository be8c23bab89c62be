from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AssetsConfig(AppConfig):
    name = "livingmap.assets"
    label = "assets"
    verbose_name = "Assets"

    def ready(self) -> None:
        from . import receivers  # noqa: F401 - connects to the areas app's signals
        from .search import ensure_search_triggers

        # After every migrate (of any app): a remade assets_asset table loses its triggers.
        post_migrate.connect(ensure_search_triggers, dispatch_uid="assets_search_triggers")
