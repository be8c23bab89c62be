"""An asset importer for the synthetic CSV, written as a council's own importer would be."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from livingmap.assets.importers.base import AssetImporter, AssetRecord, RowRejected
from livingmap.core.importing import DatasetInfo

from .synth import SyntheticAssets

COLUMNS = (
    "ref",
    "name",
    "category",
    "kind",
    "description",
    "address",
    "postcode",
    "lon",
    "lat",
    "website",
    "phone",
)


class SyntheticCsvImporter(AssetImporter):
    name = "bench-synthetic-csv"
    description = "Synthetic national assets (benchmark)."
    dataset = DatasetInfo(
        slug="bench-synthetic-csv",
        name="Synthetic assets for the import benchmark",
        publisher="Living Map benchmarks",
        licence="CC0",
    )
    required_columns = frozenset({"ref", "name", "category", "kind", "lon", "lat"})
    # Its transform keeps nothing for load: a large file is read beside the writing.
    load_in_parts_of = 50_000

    def transform(self, row: dict[str, Any], label: str) -> AssetRecord:
        name = self.required(row, "name")
        lon, lat = self.point(row)
        kind = self.required(row, "kind")
        if lon is None:
            raise RowRejected("no coordinates")
        return AssetRecord(
            source_id=self.required(row, "ref"),
            name=name,
            kind=kind,
            categories=[self.required(row, "category")],
            description=self.text(row, "description"),
            address=self.text(row, "address"),
            postcode=self.postcode(row, "postcode"),
            lon=lon,
            lat=lat,
            website=self.website(self.text(row, "website")),
            phone=self.text(row, "phone"),
        )


def write_csv(data: SyntheticAssets, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    lons, lats = data.lon.tolist(), data.lat.tolist()
    with tmp.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for i in range(len(data)):
            writer.writerow(
                (
                    f"S{i + 1:07d}",
                    data.name[i],
                    data.category[i],
                    data.kind[i],
                    data.description[i],
                    data.address[i],
                    data.postcode[i],
                    f"{lons[i]:.6f}",
                    f"{lats[i]:.6f}",
                    f"www.example.org/{i + 1}" if i % 3 == 0 else "",
                    f"0161 {i % 1000:03d} {i % 10000:04d}" if i % 2 == 0 else "",
                )
            )
    tmp.replace(path)
