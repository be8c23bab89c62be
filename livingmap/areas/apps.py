from django.apps import AppConfig


class AreasConfig(AppConfig):
    name = "livingmap.areas"
    label = "areas"
    verbose_name = "Areas, neighbourhoods and need"
