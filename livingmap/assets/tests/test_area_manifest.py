"""An area is data: the demo's manifest loads exactly what the loader written in code loaded, and
a second, differently shaped area loads from a manifest and files written here alone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import models

from livingmap.areas.importers.boundaries import BoundaryImporter
from livingmap.areas.importers.indicators import IMD2019Importer, PopulationImporter
from livingmap.areas.importers.postcodes import PostcodeImporter
from livingmap.areas.manifest import ManifestError, read_manifest
from livingmap.areas.models import (
    Area,
    AreaComponent,
    AreaLevel,
    Indicator,
    IndicatorPeriod,
    IndicatorValue,
    Postcode,
)
from livingmap.assets.area_loading import load_area
from livingmap.assets.demo import demo_manifests
from livingmap.assets.importers import REGISTRY
from livingmap.assets.models import Asset, AssetArea, AssetSource
from livingmap.core.importing import OGL, DatasetInfo
from livingmap.core.models import Dataset, ImportEvent

pytestmark = pytest.mark.django_db


# -- the demo, as the loader in code loaded it before the manifest ---------------------------------

#: The loader as it was in livingmap/assets/demo.py before the manifest (kept here, in the
#: tests, as the reference the manifest must match).
OLD_ATTRIBUTION = (
    "Contains National Statistics and OS data © Crown copyright and database right. "
    "Source: Trafford Data Lab."
)
OLD_LAYERS = [
    "trafford-council-libraries",
    "trafford-libraries",
    "trafford-community-hubs",
    "trafford-leisure-centres",
    "trafford-childrens-centres",
    "trafford-schools",
    "trafford-gp-practices",
    "trafford-pharmacies",
    "trafford-jobcentres",
    "trafford-post-offices",
    "trafford-allotments",
    "trafford-places-of-worship",
    "trafford-green-spaces",
    "trafford-sport-facilities",
    "trafford-land-and-buildings",
    "trafford-charities",
    "trafford-sports-clubs",
    "trafford-food-banks",
    "trafford-mental-health-services",
]


def _old_loader(data_dir: Path) -> list[Any]:
    def boundaries(file: str, level: str, vintage: int, name: str, **kw: Any) -> Any:
        dataset = DatasetInfo(
            slug=f"trafford-{level}-{vintage}",
            name=name,
            publisher="ONS / Trafford Data Lab",
            attribution=OLD_ATTRIBUTION,
            **OGL,
        )
        return BoundaryImporter(
            data_dir / "trafford-geography" / file,
            level=level,
            vintage=vintage,
            dataset=dataset,
            **kw,
        )

    postcodes = PostcodeImporter(data_dir / "trafford-geography/postcodes.csv")
    postcodes.dataset = DatasetInfo(
        slug="trafford-postcodes",
        name="Trafford postcodes",
        publisher="ONS / Trafford Data Lab",
        attribution=OLD_ATTRIBUTION,
        **OGL,
    )
    population = PopulationImporter(
        data_dir / "population/mid-year_2024_population_estimates_lsoa.csv"
    )
    population.dataset = DatasetInfo(
        **{
            **PopulationImporter.dataset.__dict__,
            "publisher": "Office for National Statistics, via Trafford Data Lab",
        }
    )
    return [
        boundaries("local_authority_2023.geojson", "lad", 2023, "Local authority boundary 2023"),
        boundaries("wards_2023.geojson", "ward", 2023, "Ward boundaries 2023"),
        boundaries("msoa_2021.geojson", "msoa", 2021, "MSOA boundaries 2021"),
        boundaries("lsoa_2021.geojson", "lsoa", 2021, "LSOA boundaries 2021"),
        boundaries("lsoa_2011.geojson", "lsoa", 2011, "LSOA boundaries 2011 (used by IMD 2019)"),
        boundaries(
            "oa_2021.geojson", "oa", 2021, "Output area boundaries 2021", name_property="area_code"
        ),
        boundaries(
            "localities_2023.geojson",
            "neighbourhood",
            2023,
            "Trafford's localities (council-defined neighbourhoods)",
        ),
        postcodes,
        population,
        IMD2019Importer(data_dir / "imd2019/imd2019_lsoa_trafford.csv"),
    ]


#: Fields that say when, not what: they differ between any two loads.
WHEN = {"created_at", "updated_at", "imported_at", "uuid"}


def _snapshot() -> dict[str, list[str]]:
    """Every record the demo loads, field by field, with each foreign key as its natural key
    (database ids differ between loads), sorted: two loads of the same data compare equal."""
    datasets = dict(Dataset.objects.values_list("id", "slug"))
    areas = {
        a["id"]: f"{a['level']}/{a['vintage']}/{a['slug']}"
        for a in Area.objects.values("id", "level", "vintage", "slug")
    }
    sources: dict[int, list[str]] = {}
    for asset_id, slug, source_id in AssetSource.objects.values_list(
        "asset_id", "dataset__slug", "source_id"
    ):
        sources.setdefault(asset_id, []).append(f"{slug}:{source_id}")
    assets = {a: "|".join(sorted(s)) for a, s in sources.items()}
    indicators = dict(Indicator.objects.values_list("id", "slug"))
    periods = {
        p.id: f"{indicators[p.indicator_id]}/{p.start}/{p.end}"
        for p in IndicatorPeriod.objects.all()
    }
    keys = {
        Dataset: datasets,
        Area: areas,
        Asset: assets,
        Indicator: indicators,
        IndicatorPeriod: periods,
    }

    def rows(model: type[models.Model], extra: Any = None) -> list[str]:
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        out = []
        for obj in model.objects.all():
            record = {}
            for f in fields:
                if f.name in WHEN:
                    continue
                value = getattr(obj, f.attname)
                if f.is_relation:
                    value = keys[f.related_model].get(value) if value is not None else None
                record[f.name] = value
            if extra:
                record.update(extra(obj))
            out.append(json.dumps(record, sort_keys=True, default=str))
        return sorted(out)

    return {
        "datasets": rows(Dataset),
        "areas": rows(Area),
        "components": rows(AreaComponent),
        "postcodes": rows(Postcode),
        "indicators": rows(Indicator),
        "indicator periods": rows(IndicatorPeriod),
        "indicator values": rows(IndicatorValue),
        "assets": rows(
            Asset,
            lambda a: {
                "sources": assets.get(a.pk),
                "categories": sorted(a.categories.values_list("slug", flat=True)),
            },
        ),
        "asset sources": rows(AssetSource),
        "asset areas": rows(AssetArea),
    }


def _empty_the_map() -> None:
    AssetArea.objects.all().delete()
    AssetSource.objects.all().delete()
    Asset.objects.all().delete()
    IndicatorValue.objects.all().delete()
    Indicator.objects.all().delete()
    AreaComponent.objects.all().delete()
    Area.objects.all().delete()
    Postcode.objects.all().delete()
    Dataset.objects.all().delete()


def test_the_demo_manifest_loads_every_record_the_loader_in_code_loaded(data_dir):
    from livingmap.assets.services import build_area_index

    # The session's database was loaded from the manifest (conftest: load_demo).
    from_manifest = _snapshot()
    assert len(from_manifest["assets"]) > 1500 and len(from_manifest["postcodes"]) == 11_264
    _empty_the_map()
    for importer in _old_loader(data_dir):
        assert not importer.run(commit=True).error, importer.name
    index = build_area_index()
    for name in OLD_LAYERS:
        report = REGISTRY[name](area_index=index).run(commit=True)
        assert not report.error, name
    from_code = _snapshot()
    for table, records in from_code.items():
        assert len(from_manifest[table]) == len(records), table
        differ = [r for r, m in zip(records, from_manifest[table], strict=True) if r != m]
        assert not differ, (table, differ[:3])


def test_the_demo_manifest_names_every_built_in_layer_with_its_provenance():
    (manifest,) = demo_manifests()
    assert manifest.name == "Trafford" and manifest.code == "E08000009"
    names = [s["importer"] for s in manifest.layers]
    assert names == OLD_LAYERS
    assert set(names) == {n for n, cls in REGISTRY.items() if cls.default_path}
    for step in manifest.layers:
        dataset = REGISTRY[step["importer"]].dataset
        assert (step["publisher"], step["licence"], step["attribution"]) == (
            dataset.publisher,
            dataset.licence,
            dataset.attribution,
        )


# -- a second area, from files written here ---------------------------------------------------------

#: A made-up district in Norfolk, drawn as squares: the west and east halves are its wards and
#: its LSOAs. Its property names are the ONS's own (LAD24CD, WD24CD, …), not the demo's.
W, MID, E, S, N = 1.20, 1.30, 1.40, 52.58, 52.68
LAD, WEST_WARD, EAST_WARD = "E07999901", "E05999901", "E05999902"
WEST_LSOA, EAST_LSOA = "E01999901", "E01999902"

#: The ONS Postcode Directory's own columns (ONSPD, February 2024), in its order.
ONSPD_HEADER = (
    "pcd,pcd2,pcds,dointr,doterm,oscty,ced,oslaua,osward,parish,usertype,oseast1m,osnrth1m,"
    "osgrdind,oshlthau,nhser,ctry,rgn,streg,pcon,eer,teclec,ttwa,pct,itl,statsward,oa01,casward,"
    "npark,lsoa01,msoa01,ur01ind,oac01,oa11,lsoa11,msoa11,wz11,sicbl,bua22,ru11ind,oac11,lat,"
    "long,lep1,lep2,pfa,imd,calncv,icb,oa21,lsoa21,msoa21"
)


def _square(west: float, east: float) -> dict[str, Any]:
    ring = [[west, S], [east, S], [east, N], [west, N], [west, S]]
    return {"type": "Polygon", "coordinates": [ring]}


def _features(*features: tuple[dict[str, str], dict[str, Any]]) -> str:
    return json.dumps(
        {
            "type": "FeatureCollection",
            "features": [{"type": "Feature", "properties": p, "geometry": g} for p, g in features],
        }
    )


def _onspd_row(pcds: str, lad: str, ward: str, lsoa: str, lon: float, lat: float) -> str:
    values = dict.fromkeys(ONSPD_HEADER.split(","), "")
    values.update(
        pcd=pcds.replace(" ", ""),
        pcd2=pcds,
        pcds=pcds,
        dointr="198001",
        oslaua=lad,
        osward=ward,
        usertype="0",
        ctry="E92000001",
        lat=f"{lat:.6f}",
        long=f"{lon:.6f}",
        lsoa21=lsoa,
    )
    return ",".join(values.values())


@pytest.fixture
def second_area(tmp_path: Path) -> Path:
    """A manifest and its files, in a folder of their own, shaped unlike the demo's."""
    files = tmp_path / "files"
    files.mkdir()
    (files / "district.geojson").write_text(
        _features(({"LAD24CD": LAD, "LAD24NM": "Southwold Marshes"}, _square(W, E)))
    )
    (files / "wards.geojson").write_text(
        _features(
            ({"WD24CD": WEST_WARD, "WD24NM": "Marsh West"}, _square(W, MID)),
            ({"WD24CD": EAST_WARD, "WD24NM": "Marsh East"}, _square(MID, E)),
        )
    )
    (files / "lsoas.geojson").write_text(
        _features(
            ({"LSOA21CD": WEST_LSOA, "LSOA21NM": "Marshes 001A"}, _square(W, MID)),
            ({"LSOA21CD": EAST_LSOA, "LSOA21NM": "Marshes 001B"}, _square(MID, E)),
        )
    )
    rows = [
        _onspd_row("NR99 1AA", LAD, WEST_WARD, WEST_LSOA, 1.25, 52.62),
        _onspd_row("NR99 1AB", LAD, WEST_WARD, WEST_LSOA, 1.26, 52.63),
        _onspd_row("NR99 2AA", LAD, EAST_WARD, EAST_LSOA, 1.35, 52.64),
        # Other areas' postcodes, as the national file holds them: to be left out.
        _onspd_row("M32 0TH", "E08000009", "E05015247", "E01006186", -2.287483, 53.458999),
        _onspd_row("NR1 1AA", "E07000148", "E05005788", "E01026766", 1.29, 52.62),
        _onspd_row("SW1A 1AA", "E09000033", "E05013806", "E01004736", -0.14, 51.50),
    ]
    (files / "onspd_extract.csv").write_text(ONSPD_HEADER + "\n" + "\n".join(rows) + "\n")
    (files / "population.csv").write_text(
        "area_code,area_name,geography,period,sex,all_ages\n"
        f"{WEST_LSOA},Marshes 001A,LSOA,2024-06-30,Persons,1520\n"
        f"{WEST_LSOA},Marshes 001A,LSOA,2024-06-30,Females,790\n"
        f"{EAST_LSOA},Marshes 001B,LSOA,2024-06-30,Persons,1610\n"
    )
    (files / "halls.csv").write_text(
        "Ref,Hall,Post code,Easting,Northing\n"
        "H1,Marsh West Village Hall,NR99 1AA,,\n"
        "H2,Reedham Reading Room,NR99 2AA,,\n"
        "H3,Nowhere Hall,,,\n"
    )
    (files / "halls.toml").write_text(
        """
[dataset]
slug = "marshes-village-halls"
name = "Southwold Marshes: village halls"
licence = "Open Government Licence v3.0"
publisher = "Southwold Marshes District Council"
attribution = "Contains public sector information from Southwold Marshes District Council."

[columns]
source_id = "Ref"
name = "Hall"
postcode = "Post code"

[fixed]
kind = "physical"
categories = ["community-hub"]
"""
    )
    manifest = tmp_path / "area.toml"
    manifest.write_text(
        f"""
[area]
name = "Southwold Marshes"
code = "{LAD}"
example_postcodes = ["NR99 1AA"]

[defaults]
publisher = "Office for National Statistics"
licence = "Open Government Licence v3.0"
attribution = "Source: Office for National Statistics licensed under the Open Government Licence v3.0. Contains OS data © Crown copyright and database right 2024."

[[boundaries]]
file = "files/district.geojson"
level = "lad"
vintage = 2024
code_property = "LAD24CD"
name_property = "LAD24NM"

[[boundaries]]
file = "files/wards.geojson"
level = "ward"
vintage = 2024
code_property = "WD24CD"
name_property = "WD24NM"
name = "Southwold Marshes wards (May 2024)"

[[boundaries]]
file = "files/lsoas.geojson"
level = "lsoa"
vintage = 2021
code_property = "LSOA21CD"
name_property = "LSOA21NM"

[[neighbourhoods]]
name = "The Marshes"
codes = ["{WEST_WARD}", "{EAST_WARD}"]

[[postcodes]]
file = "files/onspd_extract.csv"
keep = "local_authority"
name = "ONS Postcode Directory (February 2024): Southwold Marshes"

[[indicators]]
importer = "population"
file = "files/population.csv"
publisher = "Office for National Statistics"

[[layers]]
mapping = "files/halls.toml"
file = "files/halls.csv"
"""
    )
    return manifest


def test_a_second_area_loads_from_a_manifest_and_files_alone(second_area):
    reports = load_area(second_area, commit=True)
    assert [r.error for r in reports] == [""] * 7
    assert all(r.committed for r in reports)

    lad = Area.objects.get(gss_code=LAD)
    assert (lad.name, lad.level, lad.vintage) == (
        "Southwold Marshes",
        AreaLevel.LOCAL_AUTHORITY,
        2024,
    )
    wards = Area.objects.filter(level=AreaLevel.WARD, gss_code__startswith="E059999")
    assert sorted(wards.values_list("name", flat=True)) == ["Marsh East", "Marsh West"]
    assert wards.first().source.name == "Southwold Marshes wards (May 2024)"
    assert wards.first().source.publisher == "Office for National Statistics"
    assert lad.source.name == "Local authority boundaries 2024"
    marshes = Area.objects.neighbourhoods().get(name="The Marshes")
    assert set(marshes.components.values_list("gss_code", flat=True)) >= {WEST_WARD, EAST_WARD}

    postcodes = reports[4]
    assert (postcodes.read, postcodes.created, postcodes.skipped) == (6, 3, 3)
    assert "3 postcodes of other areas left out (not in local authority E07999901)" in [
        w.reason for w in postcodes.warnings
    ]
    assert Postcode.objects.get(postcode="NR99 2AA").ward_code == EAST_WARD
    assert not Postcode.objects.filter(postcode__in=["NR1 1AA", "SW1A 1AA"]).exists()

    people = dict(
        IndicatorValue.objects.filter(
            indicator__slug="population", area__gss_code__in=[WEST_LSOA, EAST_LSOA]
        ).values_list("area__gss_code", "value")
    )
    assert people == {WEST_LSOA: 1520.0, EAST_LSOA: 1610.0}

    halls = reports[6]
    assert (halls.read, halls.created) == (3, 3)
    west_hall = Asset.objects.get(name="Marsh West Village Hall")
    assert (west_hall.lon, west_hall.lat) == (1.25, 52.62)  # placed at its postcode
    assert set(west_hall.area_links.values_list("area__gss_code", flat=True)) >= {
        LAD,
        WEST_WARD,
        WEST_LSOA,
    }
    assert west_hall.sources.get().dataset.publisher == "Southwold Marshes District Council"
    assert Asset.objects.get(name="Nowhere Hall").lon is None
    assert [w.row for w in halls.warnings] == ["line 4"], halls.warnings


def test_a_dry_run_of_an_area_runs_every_step_on_the_ones_before_and_keeps_nothing(second_area):
    events = ImportEvent.objects.count()
    reports = load_area(second_area, commit=False)
    assert [r.error for r in reports] == [""] * 7
    assert not any(r.committed for r in reports)
    # Each step saw the ones before: the postcodes found, the halls placed at them.
    assert reports[6].created == 3 and reports[5].created == 2
    assert not Area.objects.filter(gss_code=LAD).exists()
    assert not Asset.objects.filter(name="Marsh West Village Hall").exists()
    assert not Dataset.objects.filter(slug="marshes-village-halls").exists()
    # Every step's report is still kept, as a dry run.
    kept = ImportEvent.objects.order_by("-pk")[: len(reports)]
    assert ImportEvent.objects.count() == events + len(reports)
    assert {e.status for e in kept} == {ImportEvent.Status.DRY_RUN}


def test_a_step_that_fails_undoes_every_step_before_it(second_area):
    (second_area.parent / "files/population.csv").write_text("area_code,sex\nE01999901,Persons\n")
    reports = load_area(second_area, commit=True)
    assert len(reports) == 6 and "all_ages" in reports[-1].error
    assert not any(r.committed for r in reports)
    assert not Area.objects.filter(gss_code__in=[LAD, WEST_WARD]).exists()
    assert not Postcode.objects.filter(postcode="NR99 1AA").exists()
    assert ImportEvent.objects.order_by("-pk").first().status == ImportEvent.Status.FAILED


def test_load_area_command_is_a_dry_run_unless_told_to_commit(second_area, capsys):
    call_command("load_area", str(second_area), "--quiet")
    out = capsys.readouterr().out
    assert "DRY RUN of 7 steps" in out and "postcodes" in out
    assert not Area.objects.filter(gss_code=LAD).exists()
    call_command("load_area", str(second_area), "--commit", "--quiet")
    assert "Southwold Marshes: 7 steps loaded." in capsys.readouterr().out
    assert Area.objects.filter(gss_code=LAD).exists()


def test_a_manifest_that_cannot_be_used_is_refused_with_every_problem(tmp_path):
    bad = tmp_path / "area.toml"
    bad.write_text(
        '[area]\nname = "X"\n[[boundaries]]\nfile = "missing.geojson"\nlevel = "county"\n'
        '[[layers]]\nimporter = "x"\nmapping = "y.toml"\n[extra]\n'
    )
    with pytest.raises(ManifestError) as refused:
        read_manifest(bad)
    message = str(refused.value)
    for problem in (
        "unknown section [extra]",
        "[area] needs code",
        "missing.geojson is not there",
        "level must be one of",
        "vintage must be a year",
        "give either a mapping file or a registered importer",
    ):
        assert problem in message
    with pytest.raises(CommandError, match="there is no manifest"):
        call_command("load_area", str(tmp_path / "none.toml"))
    bad.write_text("[area\n")
    with pytest.raises(CommandError, match="not valid TOML"):
        call_command("load_area", str(bad))
