from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "livingmap.core"
    label = "core"
    verbose_name = "Data sets and imports"
