from django.apps import AppConfig


class AreasConfig(AppConfig):
    name = "livingmap.areas"
    label = "areas"
    verbose_name = "Areas, neighbourhoods and need"

    def ready(self) -> None:
        from livingmap.core import text

        from .selectors import example_postcode

        # Messages about a mistyped postcode show a real postcode of the loaded area.
        text.example_postcode = example_postcode
