"""An area is data: a manifest (TOML) names the files that make it, in the order they load.

The manifest says what the area is called and coded, then its boundaries (each with level and
vintage), its neighbourhoods, its postcodes, its indicators of need and its asset layers, each
with the publisher, licence and attribution shown on "About the data". File paths are relative
to the manifest. docs/importers.md describes the format; `livingmap load_area MANIFEST` loads
one. This module reads the manifest and builds the geography's importers; the asset layers are
built by livingmap.assets.areas (assets depend on areas, not the other way round).
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from livingmap.core.importing import OGL, DatasetInfo, Importer, ImportReport, SourceError

from .models import AreaLevel

#: Keys of a step that describe its data set (the rest say what to load and how).
PROVENANCE_KEYS = (
    "name",
    "publisher",
    "licence",
    "licence_url",
    "attribution",
    "source_url",
    "release",
)
SECTIONS = ("area", "defaults", "boundaries", "neighbourhoods", "postcodes", "indicators", "layers")
STEP_KEYS = {
    "boundaries": {
        "file",
        "level",
        "vintage",
        "slug",
        "code_property",
        "name_property",
        "description_property",
        *PROVENANCE_KEYS,
    },
    "neighbourhoods": {
        "file",
        "vintage",
        "slug",
        "name_property",
        "description_property",
        "drawn",
        "codes",
        "description",
        *PROVENANCE_KEYS,
    },
    "postcodes": {"file", "slug", "keep", "buffer_metres", *PROVENANCE_KEYS},
    "indicators": {"importer", "file", *PROVENANCE_KEYS},
    "layers": {"importer", "mapping", "file", *PROVENANCE_KEYS},
}


class ManifestError(SourceError):
    """The manifest cannot be used; the message lists every problem found."""


@dataclass
class Manifest:
    path: Path
    name: str
    code: str
    #: Real postcodes of the area for examples: the first in hints, the last in error messages.
    example_postcodes: list[str] = field(default_factory=list)
    defaults: dict[str, str] = field(default_factory=dict)
    boundaries: list[dict[str, Any]] = field(default_factory=list)
    neighbourhoods: list[dict[str, Any]] = field(default_factory=list)
    postcodes: list[dict[str, Any]] = field(default_factory=list)
    indicators: list[dict[str, Any]] = field(default_factory=list)
    layers: list[dict[str, Any]] = field(default_factory=list)

    def file(self, step: dict[str, Any]) -> Path:
        """A step's file, relative to the manifest."""
        return (self.path.parent / step["file"]).resolve()

    def dataset(self, step: dict[str, Any], *, slug: str, name: str) -> DatasetInfo:
        """The data set a step loads: the step's own provenance, else the manifest's defaults."""
        values = {**OGL, **self.defaults, **{k: step[k] for k in PROVENANCE_KEYS if k in step}}
        values.setdefault("name", name)
        return DatasetInfo(slug=slug, **values)

    def override(self, step: dict[str, Any], dataset: DatasetInfo | None) -> DatasetInfo | None:
        """An importer's own data set with what the step says of it (its slug kept)."""
        given = {k: step[k] for k in PROVENANCE_KEYS if k in step}
        if dataset is None or not given:
            return dataset
        return dataclasses.replace(dataset, **given)


def read_manifest(path: str | Path) -> Manifest:
    """The manifest at `path`, checked; ManifestError lists every problem at once."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ManifestError(f"there is no manifest at {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{path} cannot be read ({exc})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{path.name} is not valid TOML: {exc}") from exc
    problems: list[str] = []
    for key in data:
        if key not in SECTIONS:
            problems.append(f"unknown section [{key}] (the sections are {', '.join(SECTIONS)})")
    area = data.get("area")
    if not isinstance(area, dict):
        problems.append("[area] is missing: give the area's name and code")
        area = {}
    if not isinstance(area.get("example_postcodes", []), list):
        problems.append("[area] example_postcodes must be a list of postcodes")
        area["example_postcodes"] = []
    for key in area:
        if key not in ("name", "code", "example_postcodes"):
            problems.append(f"[area] has no key '{key}' (it has name, code, example_postcodes)")
    for key in ("name", "code"):
        if not isinstance(area.get(key), str) or not area.get(key, "").strip():
            problems.append(f"[area] needs {key}")
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict) or any(k not in PROVENANCE_KEYS for k in defaults):
        problems.append(f"[defaults] may hold only {', '.join(PROVENANCE_KEYS)}")
        defaults = {}
    manifest = Manifest(
        path=path.resolve(),
        name=str(area.get("name", "")).strip(),
        code=str(area.get("code", "")).strip().upper(),
        example_postcodes=[str(p).strip() for p in area.get("example_postcodes", [])],
        defaults={k: str(v) for k, v in defaults.items()},
    )
    for section, keys in STEP_KEYS.items():
        steps = data.get(section, [])
        if isinstance(steps, dict):  # [postcodes] written as one table
            steps = [steps]
        if not isinstance(steps, list) or not all(isinstance(s, dict) for s in steps):
            problems.append(f"[[{section}]] must be tables")
            continue
        for number, step in enumerate(steps, start=1):
            where = f"[[{section}]] {number}"
            problems += [f"{where}: unknown key '{k}'" for k in step if k not in keys]
            problems += _check_step(manifest, section, step, where)
        setattr(manifest, section, steps)
    if problems:
        raise ManifestError(f"{path.name}: " + "; ".join(problems))
    return manifest


def _check_step(manifest: Manifest, section: str, step: dict[str, Any], where: str) -> list[str]:
    problems = []
    needs_file = not (section == "neighbourhoods" and "codes" in step) and not (
        section in ("layers", "indicators") and "importer" in step and "file" not in step
    )
    if needs_file:
        if not isinstance(step.get("file"), str):
            problems.append(f"{where}: give the file")
        elif not manifest.file(step).is_file():
            problems.append(f"{where}: {step['file']} is not there (paths are from the manifest)")
    if section == "boundaries":
        if step.get("level") not in AreaLevel.values:
            problems.append(f"{where}: level must be one of {', '.join(AreaLevel.values)}")
        if not isinstance(step.get("vintage"), int):
            problems.append(f"{where}: vintage must be a year (a whole number)")
    if (
        section == "neighbourhoods"
        and "codes" in step
        and (not step.get("name") or not isinstance(step["codes"], list))
    ):
        problems.append(f"{where}: a neighbourhood built from codes needs name and codes")
    if section == "postcodes":
        if step.get("keep", "all") not in ("all", "local_authority", "boundary"):
            problems.append(f"{where}: keep must be all, local_authority or boundary")
        if not isinstance(step.get("buffer_metres", 0), int | float):
            problems.append(f"{where}: buffer_metres must be a number")
    if section == "indicators" and step.get("importer") not in INDICATOR_IMPORTERS:
        problems.append(f"{where}: importer must be one of {', '.join(INDICATOR_IMPORTERS)}")
    if section == "layers" and ("importer" in step) == ("mapping" in step):
        problems.append(f"{where}: give either a mapping file or a registered importer")
    if section == "layers" and "mapping" in step:
        mapping = manifest.path.parent / str(step["mapping"])
        if not mapping.is_file():
            problems.append(f"{where}: mapping {step['mapping']} is not there")
    return problems


def _indicator_importers() -> dict[str, type[Importer]]:
    from .importers.indicators import IMD2019Importer, PopulationImporter

    return {"imd2019": IMD2019Importer, "population": PopulationImporter}


INDICATOR_IMPORTERS = _indicator_importers()


class NeighbourhoodFromCodes:
    """A step that makes a neighbourhood from current statutory areas (build_neighbourhood),
    with a report like an import's."""

    def __init__(self, step: dict[str, Any]) -> None:
        self.step = step
        self.name = f"neighbourhood:{step['name']}"

    def run(self, *, commit: bool = False, progress: Any = None) -> ImportReport:
        from .models import Area
        from .services import build_neighbourhood

        codes = [str(c) for c in self.step["codes"]]
        report = ImportReport(importer=self.name, source=", ".join(codes), committed=commit)
        report.read = len(codes)
        areas = list(Area.objects.statutory().current().filter(gss_code__in=codes))
        missing = sorted(set(codes) - {a.gss_code for a in areas})
        if missing:
            report.error = f"no current area has the code(s) {', '.join(missing)}"
            return report
        _area, outcome = build_neighbourhood(
            name=self.step["name"], components=areas, description=self.step.get("description", "")
        )
        setattr(report, outcome, getattr(report, outcome) + 1)
        return report


def geography_importers(manifest: Manifest) -> list[Any]:
    """The area's boundaries, neighbourhoods, postcodes and indicators, in load order: each
    has `run(commit=…)` returning an ImportReport."""
    from .importers.boundaries import BoundaryImporter
    from .importers.postcodes import PostcodeImporter

    steps: list[Any] = []
    for step in manifest.boundaries:
        level, vintage = step["level"], step["vintage"]
        steps.append(
            BoundaryImporter(
                manifest.file(step),
                level=level,
                vintage=vintage,
                dataset=manifest.dataset(
                    step,
                    slug=step.get("slug", f"boundaries-{level}-{vintage}"),
                    name=f"{AreaLevel(level).label} boundaries {vintage}",
                ),
                **{
                    k: step[k]
                    for k in ("code_property", "name_property", "description_property")
                    if k in step
                },
            )
        )
    for step in manifest.neighbourhoods:
        if "codes" in step:
            steps.append(NeighbourhoodFromCodes(step))
            continue
        vintage = step.get("vintage", 0)
        steps.append(
            BoundaryImporter(
                manifest.file(step),
                level=AreaLevel.NEIGHBOURHOOD,
                vintage=vintage,
                origin="drawn" if step.get("drawn") else "",
                dataset=manifest.dataset(
                    step,
                    slug=step.get("slug", f"boundaries-neighbourhood-{vintage}"),
                    name="Neighbourhoods",
                ),
                **{k: step[k] for k in ("name_property", "description_property") if k in step},
            )
        )
    for step in manifest.postcodes:
        importer = PostcodeImporter(
            manifest.file(step),
            keep=step.get("keep", "all"),
            area_code=manifest.code,
            buffer_metres=float(step.get("buffer_metres", 0)),
        )
        importer.dataset = manifest.dataset(
            step, slug=step.get("slug", "postcodes"), name="Postcodes"
        )
        steps.append(importer)
    for step in manifest.indicators:
        cls = INDICATOR_IMPORTERS[step["importer"]]
        importer = cls(manifest.file(step) if "file" in step else None)
        importer.dataset = manifest.override(step, cls.dataset)
        steps.append(importer)
    return steps
