"""Areas: statutory geography keyed by ONS GSS code, the neighbourhoods residents recognise,
postcodes, and indicators of need with their provenance."""

from __future__ import annotations

from django.db import models
from django.urls import reverse

from livingmap.core.models import Dataset


class AreaLevel(models.TextChoices):
    LOCAL_AUTHORITY = "lad", "Local authority"
    WARD = "ward", "Ward"
    MSOA = "msoa", "Middle layer super output area (MSOA)"
    LSOA = "lsoa", "Lower layer super output area (LSOA)"
    OUTPUT_AREA = "oa", "Output area"
    NEIGHBOURHOOD = "neighbourhood", "Neighbourhood"


STATUTORY_LEVELS = [level for level in AreaLevel if level != AreaLevel.NEIGHBOURHOOD]


class AreaQuerySet(models.QuerySet):
    def statutory(self) -> AreaQuerySet:
        return self.exclude(level=AreaLevel.NEIGHBOURHOOD)

    def neighbourhoods(self) -> AreaQuerySet:
        return self.filter(level=AreaLevel.NEIGHBOURHOOD)

    def current(self) -> AreaQuerySet:
        return self.filter(is_current=True)

    def containing_bbox(self, lon: float, lat: float) -> AreaQuerySet:
        """Areas whose bounding box holds the point: the indexed first step of a lookup."""
        return self.filter(min_lon__lte=lon, max_lon__gte=lon, min_lat__lte=lat, max_lat__gte=lat)


class Area(models.Model):
    """A statutory area (ward, LSOA, …) of one boundary vintage, or a neighbourhood.

    Neighbourhoods are areas too, so that assets are assigned to them, and looked up, the same way;
    they have no GSS code, a name residents use, and say where they came from (`origin`).
    """

    class Origin(models.TextChoices):
        STATUTORY = "statutory", "Statutory boundary"
        IMPORTED = "imported", "Imported boundary"
        BUILT = "built", "Built from statutory areas"
        DRAWN = "drawn", "Drawn (uploaded GeoJSON)"

    level = models.CharField(max_length=20, choices=AreaLevel.choices)
    gss_code = models.CharField("GSS code", max_length=9, blank=True)
    vintage = models.PositiveSmallIntegerField(help_text="Year of the boundary set, e.g. 2021.")
    is_current = models.BooleanField(
        default=True, help_text="The newest vintage of its level; assets are shown against it."
    )
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    origin = models.CharField(max_length=20, choices=Origin.choices, default=Origin.STATUTORY)
    source = models.ForeignKey(Dataset, null=True, blank=True, on_delete=models.SET_NULL)
    geometry = models.JSONField(help_text="GeoJSON geometry in WGS84 (longitude, latitude).")
    min_lon = models.FloatField()
    min_lat = models.FloatField()
    max_lon = models.FloatField()
    max_lat = models.FloatField()
    point_lon = models.FloatField(help_text="A point inside the area, for labels.")
    point_lat = models.FloatField()
    land_area_m2 = models.FloatField(null=True, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    components = models.ManyToManyField(
        "self",
        through="AreaComponent",
        through_fields=("neighbourhood", "component"),
        symmetrical=False,
        related_name="+",
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = AreaQuerySet.as_manager()

    class Meta:
        ordering = ["level", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["level", "gss_code", "vintage"],
                condition=~models.Q(gss_code=""),
                name="area_unique_code_per_vintage",
            )
        ]
        indexes = [
            models.Index(fields=["gss_code"]),
            models.Index(fields=["level", "is_current", "name"]),
            models.Index(fields=["min_lon", "max_lon", "min_lat", "max_lat"]),
        ]

    def __str__(self) -> str:
        if self.gss_code:
            return f"{self.name} ({self.gss_code}, {self.vintage})"
        return self.name

    def get_absolute_url(self) -> str:
        if self.is_neighbourhood:
            return reverse("neighbourhood", kwargs={"slug": self.slug})
        return reverse("area", kwargs={"slug": self.slug})

    @property
    def is_neighbourhood(self) -> bool:
        return self.level == AreaLevel.NEIGHBOURHOOD


class Neighbourhood(Area):
    """Neighbourhoods only (a proxy, for the admin and for code that means 'neighbourhood')."""

    class Meta:
        proxy = True
        ordering = ["name"]


class AreaComponent(models.Model):
    """How much of a statutory area lies in a neighbourhood (share of its land, 0–1).

    Worked out when a neighbourhood is saved; used to roll indicators up to neighbourhoods.
    """

    neighbourhood = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    component = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="in_neighbourhoods")
    share = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["neighbourhood", "component"], name="unique_component")
        ]

    def __str__(self) -> str:
        return f"{self.component} in {self.neighbourhood} ({self.share:.0%})"


class Postcode(models.Model):
    """A postcode's point and the statutory areas it lies in (ONSPD-style)."""

    postcode = models.CharField(max_length=8, unique=True, help_text="Normalised: 'AB1 2CD'.")
    lon = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    oa_code = models.CharField(max_length=9, blank=True)
    lsoa_code = models.CharField(max_length=9, blank=True)
    msoa_code = models.CharField(max_length=9, blank=True)
    ward_code = models.CharField(max_length=9, blank=True)
    lad_code = models.CharField(max_length=9, blank=True)
    terminated = models.BooleanField(default=False)
    source = models.ForeignKey(Dataset, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["postcode"]

    def __str__(self) -> str:
        return self.postcode

    @property
    def codes(self) -> list[str]:
        fields = (self.oa_code, self.lsoa_code, self.msoa_code, self.ward_code, self.lad_code)
        return [c for c in fields if c]


class Indicator(models.Model):
    """A measure of need or population, with where it came from and how to roll it up."""

    class Rollup(models.TextChoices):
        SUM = "sum", "Sum over the neighbourhood's areas (counts, e.g. population)"
        RANK = (
            "population_weighted_rank",
            ("Population-weighted average of area ranks (MHCLG's 'average rank' measure)"),
        )
        DECILE = (
            "decile_distribution",
            ("Share of residents living in areas of each decile (deciles are never averaged)"),
        )

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    unit = models.CharField(max_length=50, help_text="e.g. people, rank (1 = most deprived)")
    source = models.ForeignKey(Dataset, on_delete=models.PROTECT)
    release = models.CharField(max_length=100)
    rollup = models.CharField(max_length=40, choices=Rollup.choices)
    lower_is_more_deprived = models.BooleanField(default=False)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class IndicatorPeriod(models.Model):
    """The time one release of an indicator is about: a reference date (mid-year population on
    30 June 2024), a year (IMD 2019) or a financial year (April to March). Each release adds a
    period; the newest (by its end, then its start) is the one pages show, marked `is_latest`."""

    class Granularity(models.TextChoices):
        DATE = "date", "A reference date"
        YEAR = "year", "A calendar year"
        FINANCIAL_YEAR = "financial_year", "A financial year (1 April to 31 March)"

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="periods")
    start = models.DateField(
        help_text="First day the figures are about (the date itself for a reference date)."
    )
    end = models.DateField(help_text="Last day the figures are about.")
    granularity = models.CharField(max_length=20, choices=Granularity.choices)
    label = models.CharField(max_length=50, help_text='As people read it: "mid-2024", "2019".')
    source = models.ForeignKey(Dataset, null=True, blank=True, on_delete=models.SET_NULL)
    release = models.CharField(
        max_length=100, blank=True, help_text="The publisher's release the figures came from."
    )
    is_latest = models.BooleanField(
        default=False, help_text="The indicator's newest period: the one pages show."
    )

    class Meta:
        ordering = ["indicator", "-end", "-start"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "start", "end"], name="one_period_per_span"
            ),
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")), name="period_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.slug} {self.label}"

    @property
    def key(self) -> str:
        """How the API and downloads name the period: its end date (2024-06-30), or the year or
        financial year it is ("2019", "2024-25")."""
        if self.granularity == self.Granularity.YEAR:
            return str(self.start.year)
        if self.granularity == self.Granularity.FINANCIAL_YEAR:
            return f"{self.start.year}-{str(self.end.year)[2:]}"
        return self.end.isoformat()


class IndicatorValueQuerySet(models.QuerySet):
    def latest_period(self) -> IndicatorValueQuerySet:
        """Only the values of each indicator's newest period (what pages show)."""
        return self.filter(period__is_latest=True)


class IndicatorValue(models.Model):
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="values")
    period = models.ForeignKey(IndicatorPeriod, on_delete=models.CASCADE, related_name="values")
    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="indicator_values")
    value = models.FloatField()
    note = models.CharField(
        max_length=200, blank=True, help_text="How a derived value was made, if it was."
    )

    objects = IndicatorValueQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "period", "area"], name="one_value_per_area_and_period"
            )
        ]
        indexes = [models.Index(fields=["area", "indicator"])]

    def __str__(self) -> str:
        return f"{self.indicator.slug} {self.area} ({self.period.label}): {self.value:g}"


class LoadedArea(models.Model):
    """An area loaded from a manifest (`livingmap load_area`): what the site calls it and the
    real postcodes it shows as examples. The instance's default area is settings.LIVINGMAP_AREA
    (a GSS code) if set, else the first area loaded (see selectors.current_area)."""

    gss_code = models.CharField("GSS code", max_length=9, unique=True)
    name = models.CharField(max_length=200, help_text="Shown in the header and page titles.")
    example_postcodes = models.JSONField(
        default=list,
        blank=True,
        help_text="Real postcodes of the area: the first is shown in hints, the last in messages.",
    )
    manifest = models.CharField(max_length=500, blank=True, help_text="The manifest loaded.")
    loaded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.gss_code})"
