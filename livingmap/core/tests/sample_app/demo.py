from livingmap.core.importing import ImportReport

LOADED: list[bool] = []


def on_demo_loaded(sender: object, **kwargs: object) -> list[ImportReport]:
    LOADED.append(True)
    return []
