from livingmap.core.contract import Command, LivingMapApp


class CoreConfig(LivingMapApp):
    name = "livingmap.core"
    label = "core"
    verbose_name = "Data sets and imports"

    commands = (
        Command(
            "import_history", "List past imports and show one's data-quality report.", order=110
        ),
    )
    missing_files = {
        "services.py": "core holds frameworks (importing.py, downloads.py), not writes of its own",
        "selectors.py": "its one page reads Dataset rows straight from the model's QuerySet",
        "api.py": "it has nothing of its own to serve as JSON",
    }
