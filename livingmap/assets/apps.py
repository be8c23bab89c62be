from django.db.models.signals import post_migrate

from livingmap.core.contract import Command, LivingMapApp, MenuEntry, demo_loaders


class AssetsConfig(LivingMapApp):
    name = "livingmap.assets"
    label = "assets"
    verbose_name = "Assets"

    api_prefix = "/"
    api_order = 10
    api_errors = {"livingmap.assets.selectors.SearchError": 400}
    receivers = ("livingmap.assets.receivers",)  # the areas app's boundaries_changed
    menu = (MenuEntry("Find assets", "asset_search", {"asset", "asset_search"}, order=10),)
    commands = (
        Command(
            "load_demo",
            "Load the demo areas in data/areas/: areas, need and every asset layer "
            "(writes at once).",
            order=10,
        ),
        Command(
            "load_area",
            "Load an area from its manifest: boundaries, postcodes, need and asset layers.",
            order=15,
        ),
        Command(
            "import_assets",
            "Import one of the built-in asset layers (run with --list to see them).",
            order=50,
        ),
        Command(
            "import_csv", "Import any asset register (CSV) described by a mapping file.", order=60
        ),
        Command(
            "import_osm", "Import OpenStreetMap GeoJSON with a tag-to-category mapping.", order=70
        ),
        Command(
            "reassign_areas",
            "Recompute which areas and neighbourhoods every asset falls in (writes at once).",
            order=100,
        ),
    )

    def ready(self) -> None:
        super().ready()
        from livingmap.areas.api import count_assets_with

        from .demo import demo_loaded
        from .search import ensure_search_triggers
        from .selectors import asset_counts_for_areas

        # After every migrate (of any app): a remade assets_asset table loses its triggers.
        post_migrate.connect(ensure_search_triggers, dispatch_uid="assets_search_triggers")
        # The areas API knows nothing of assets; this app's selector counts them for it.
        count_assets_with(asset_counts_for_areas)
        # `livingmap load_demo` sends demo_loaded; every app's declared demo loader hears it.
        for label, loader in demo_loaders():
            demo_loaded.connect(loader, dispatch_uid=f"{label}_demo")
