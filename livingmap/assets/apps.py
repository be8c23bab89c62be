from django.apps import AppConfig


class AssetsConfig(AppConfig):
    name = "livingmap.assets"
    label = "assets"
    verbose_name = "Assets"

    def ready(self) -> None:
        from . import receivers  # noqa: F401 - connects to the areas app's signals
