"""The assets domain's record, declared once (see livingmap/core/records.py).

Every place that lists an asset's fields reads this declaration: the record importers return
(`services.AssetRecord`), the fields an import may set and writes in bulk, the mapping
language's [columns] and [fixed] (importers/mapping.py), the forms people edit and suggest
changes with (accounts), and the benchmark's synthetic register (bench/).
"""

from __future__ import annotations

from livingmap.core.records import (
    RecordField,
    RecordSchema,
    clean_charity_number,
    clean_email,
    clean_postcode_strictly,
    clean_url,
    digits_cleaner,
    register_schema,
)

from .models import AssetKind, LegalForm, Tenure, Visibility


def _choices(enum: type) -> tuple[tuple[str, str], ...]:
    return tuple((str(v), str(label)) for v, label in enum.choices)  # type: ignore[attr-defined]


F = RecordField

ASSET_SCHEMA = register_schema(
    RecordSchema(
        "assets",
        [
            F(
                "source_id",
                "text",
                "Id in the data set",
                "the row's id in your register (a column, or a list of columns)",
                required=True,
                max_length=200,
                stored=False,
                joins=True,
                joiner="/",
            ),
            F(
                "name",
                "text",
                "Name",
                "the asset's name (required)",
                required=True,
                max_length=300,
                editable=True,
                joiner=" ",
            ),
            F(
                "kind",
                "choice",
                "Kind",
                "a column whose values are our kinds (or see [[values]])",
                required=True,
                choices=_choices(AssetKind),
                fixable=True,
                editable=True,
            ),
            F(
                "legal_form",
                "choice",
                "Legal form",
                "a column whose values are our legal forms (or see [[values]])",
                choices=_choices(LegalForm),
                fixable=True,
            ),
            F(
                "description",
                "long_text",
                "Description",
                "what it is or does",
                input_max_length=5000,
                joins=True,
                fixable=True,
                editable=True,
            ),
            F(
                "categories",
                "slugs",
                "Categories",
                "a column of our category slugs, several separated by ';' or ','",
                stored=False,
                fixable=True,
                editable=True,
            ),
            F(
                "address",
                "text",
                "Address",
                "the address (a list of columns is joined with ', ')",
                max_length=300,
                joins=True,
                editable=True,
            ),
            F(
                "postcode",
                "postcode",
                "Postcode",
                "its postcode",
                clean=clean_postcode_strictly,
                max_length=8,
                input_max_length=10,
                editable=True,
            ),
            F("lon", "number", "Longitude", "longitude (WGS84 decimal degrees)"),
            F("lat", "number", "Latitude", "latitude (WGS84 decimal degrees)"),
            F(
                "footprint",
                "geojson",
                "Footprint",
                "GeoJSON polygon of the site",
                from_column=False,
            ),
            F(
                "website",
                "url",
                "Website",
                "web address",
                clean=clean_url,
                max_length=500,
                fixable=True,
                editable=True,
            ),
            F(
                "email",
                "email",
                "Email",
                "email address",
                clean=clean_email,
                max_length=254,
                fixable=True,
                editable=True,
            ),
            F(
                "phone",
                "phone",
                "Phone",
                "telephone number",
                max_length=50,
                fixable=True,
                editable=True,
            ),
            F(
                "opening_hours",
                "long_text",
                "Opening hours",
                "opening times",
                input_max_length=2000,
                fixable=True,
                editable=True,
            ),
            F(
                "accessibility",
                "long_text",
                "Accessibility",
                "access notes",
                input_max_length=2000,
                fixable=True,
                editable=True,
            ),
            F(
                "tenure",
                "choice",
                "Tenure",
                "a column whose values are our tenures (or see [[values]])",
                choices=_choices(Tenure),
                fixable=True,
            ),
            F(
                "tenure_detail",
                "text",
                "Tenure detail",
                "more about the tenure (e.g. 'Leasehold out')",
                max_length=200,
                fixable=True,
            ),
            F(
                "uprn",
                "identifier",
                "UPRN",
                "Unique Property Reference Number",
                clean=digits_cleaner("UPRN", 12),
                max_length=12,
            ),
            F(
                "charity_number",
                "identifier",
                "Charity number",
                "registered charity number",
                clean=clean_charity_number,
                max_length=20,
            ),
            F(
                "visibility",
                "choice",
                "Visibility",
                choices=_choices(Visibility),
                default=str(Visibility.PUBLIC),
                from_column=False,
            ),
            F(
                "extra",
                "mapping",
                "Other attributes",
                "attributes with no field of their own ([extra])",
                stored=False,
                from_column=False,
            ),
        ],
    )
)

#: Fields an import sets on the stored asset, in the order its bulk writes use.
STORED_FIELDS = ASSET_SCHEMA.names(stored=True)
#: The public fields people edit and suggest changes to (categories as a list of slugs).
EDITABLE_FIELDS = ASSET_SCHEMA.names(editable=True)
#: Fields checked on every imported record (each unusable value a warning with its row). The
#: postcode is checked where it is read (it names the record: `importers.mapping`), not again.
CHECKED_FIELDS = tuple(f.name for f in ASSET_SCHEMA if f.clean is not None and f.name != "postcode")
