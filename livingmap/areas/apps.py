from livingmap.core.contract import Command, LivingMapApp


class AreasConfig(LivingMapApp):
    name = "livingmap.areas"
    label = "areas"
    verbose_name = "Areas, neighbourhoods and need"

    api_prefix = "/"
    api_order = 20
    api_errors = {
        "livingmap.core.text.PostcodeError": 400,
        "livingmap.areas.selectors.PostcodeNotFound": 404,
    }
    commands = (
        Command(
            "import_boundaries",
            "Import statutory areas or neighbourhoods from a GeoJSON file.",
            order=20,
        ),
        Command("import_postcodes", "Import an ONSPD-style postcode CSV.", order=30),
        Command("import_indicators", "Import IMD 2019 or population figures for areas.", order=40),
        Command(
            "build_neighbourhood",
            "Make a neighbourhood from statutory areas, e.g. a set of wards (writes at once).",
            order=90,
        ),
    )
    missing_files = {
        "views.py": "its pages are the places app's, which sets need beside assets",
        "urls.py": "it has no pages of its own (see views.py); its API is in api.py",
        "templates/{label}/": "it has no pages of its own (see views.py)",
    }

    def ready(self) -> None:
        super().ready()
        from livingmap.core import text

        from .selectors import example_postcode

        # Messages about a mistyped postcode show a real postcode of the loaded area.
        text.example_postcode = example_postcode
