from django.apps import AppConfig


class PlacesConfig(AppConfig):
    """Pages that set a place's assets beside its need: home, neighbourhoods, areas.

    It depends on areas and assets; neither depends on it (dependencies point one way).
    """

    name = "livingmap.places"
    label = "places"
    verbose_name = "Places"
