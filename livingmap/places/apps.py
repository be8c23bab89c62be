from livingmap.core.contract import LivingMapApp, MenuEntry


class PlacesConfig(LivingMapApp):
    """Pages that set a place's assets beside its need: home, neighbourhoods, areas.

    It depends on areas and assets; neither depends on it (dependencies point one way).
    """

    name = "livingmap.places"
    label = "places"
    verbose_name = "Places"

    menu = (
        MenuEntry(
            "Neighbourhoods",
            "neighbourhoods",
            {"neighbourhoods", "neighbourhood", "area", "neighbourhood_profile"},
            order=20,
        ),
    )
    missing_files = {
        "models.py": "it composes pages from the areas' and assets' data and has none of its own",
        "services.py": "it only reads (nothing it shows is written here)",
        "selectors.py": "its pages call the areas' and assets' selectors",
        "api.py": "the same data is in the areas' and assets' API",
    }
