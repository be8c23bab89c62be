"""Files for the open data page, which any app may give (`LivingMapApp.downloads`).

A `Download` is one file: its title and description, a generator of its text (streamed, so a
million rows never sit in memory), and the data sets in it, whose licences and attribution the
page shows beside it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property

from . import contract
from .models import Dataset

OGL = "Open Government Licence v3.0"
OGL_URL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
ODBL_URL = "https://opendatacommons.org/licenses/odbl/1-0/"
CC_BY = "Creative Commons Attribution 4.0"
CC_BY_URL = "https://creativecommons.org/licenses/by/4.0/"
#: Where a data set names several licences ("A; B") but gives one address, these say which is
#: which.
LICENCE_URLS = {OGL: OGL_URL, "Open Database Licence (ODbL) v1.0": ODBL_URL, CC_BY: CC_BY_URL}


@dataclass(frozen=True)
class Licence:
    name: str
    url: str = ""


def dataset_licences(ds: Dataset) -> list[Licence]:
    """The licences a data set names: "A; B" is two (the allotments: OGL and ODbL)."""
    names = [n.strip() for n in ds.licence.split(";") if n.strip()]
    return [
        Licence(n, LICENCE_URLS.get(n) or (ds.licence_url if len(names) == 1 else ""))
        for n in names
    ]


@dataclass
class Download:
    """One file on the open data page. Its licences and attribution are those of `sources`,
    the data sets actually in it, so the page is always true to the file; figures recorded on
    Living Map itself (participation) carry `own_licence` instead."""

    slug: str
    title: str
    description: str
    fmt: str
    content_type: str
    build: Callable[[], Iterator[str]]
    sources: Callable[[], list[Dataset]] | None = None
    own_licence: Licence | None = None
    own_attribution: str = ""
    derived: bool = False

    @property
    def filename(self) -> str:
        """livingmap-assets.csv, livingmap-assets.geojson: the slug without its format."""
        ext = self.fmt.lower()
        return f"livingmap-{self.slug.removesuffix('-' + ext)}.{ext}"

    @cached_property
    def datasets(self) -> list[Dataset]:
        return self.sources() if self.sources else []

    @cached_property
    def licences(self) -> list[Licence]:
        """Every licence of the data in it, once each (with its address where one is known)."""
        named = [self.own_licence] if self.own_licence else []
        named += [licence for ds in self.datasets for licence in dataset_licences(ds)]
        found: dict[str, Licence] = {}
        for licence in named:
            if licence.name not in found or (licence.url and not found[licence.name].url):
                found[licence.name] = licence
        return list(found.values())

    @cached_property
    def attributions(self) -> list[str]:
        """The words each data set in it asks us to show, once each."""
        texts = [self.own_attribution] + [ds.attribution for ds in self.datasets]
        return list(dict.fromkeys(t.strip() for t in texts if t and t.strip()))


def every_download() -> list[Download]:
    """Every app's files, in INSTALLED_APPS order (see LivingMapApp.downloads)."""
    return contract.downloads()


def get_download(slug: str) -> Download | None:
    return next((d for d in every_download() if d.slug == slug), None)
