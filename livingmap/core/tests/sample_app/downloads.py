from collections.abc import Iterator

from livingmap.core.downloads import CC_BY, CC_BY_URL, Download, Licence

from . import selectors


def _csv() -> Iterator[str]:
    yield "thing\n"
    for thing in selectors.things():
        yield f"{thing}\n"


def downloads() -> list[Download]:
    return [
        Download(
            "sample-things-csv",
            "Sample things",
            "Every sample thing.",
            "CSV",
            "text/csv",
            _csv,
            own_licence=Licence(CC_BY, CC_BY_URL),
        )
    ]
