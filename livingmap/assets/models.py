"""Assets: everything an area has to build on, from the ABCD families, with provenance."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.urls import reverse

from livingmap.areas.models import Area
from livingmap.core.ids import uuid7
from livingmap.core.models import Dataset


class AssetKind(models.TextChoices):
    """The families of Asset-Based Community Development, plus money."""

    GIFTS = "gifts", "People's gifts and skills"
    ASSOCIATION = "association", "Community groups and associations"
    INSTITUTION = "institution", "Services and institutions"
    PHYSICAL = "physical", "Buildings, land and green space"
    ECONOMY = "economy", "Local economy and enterprise"
    CULTURE = "culture", "Culture and heritage"
    MONEY = "money", "Funds and grants"


class LegalForm(models.TextChoices):
    INFORMAL = "informal", "Informal group (no legal form)"
    CHARITY = "charity", "Registered charity"
    CIC = "cic", "Community interest company"
    COOPERATIVE = "coop", "Co-operative"
    MUTUAL = "mutual", "Mutual or community benefit society"
    SOCIAL_ENTERPRISE = "social_enterprise", "Social enterprise"
    BUSINESS = "business", "Business"
    PUBLIC_BODY = "public", "Public body"
    FAITH = "faith", "Faith organisation"
    UNKNOWN = "", "Not known"


class Tenure(models.TextChoices):
    FREEHOLD = "freehold", "Freehold"
    LEASEHOLD = "leasehold", "Leasehold"
    UNKNOWN = "", "Not known"


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public"
    PRIVATE = "private", "Private (never on public pages or the API)"


class Category(models.Model):
    """A term in Living Map's category taxonomy (e.g. Libraries, Food banks)."""

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(
        max_length=20, choices=AssetKind.choices, help_text="The family its assets usually are."
    )
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class AssetQuerySet(models.QuerySet):
    def public(self) -> AssetQuerySet:
        """What anyone may see: never individuals' gifts and skills or other private records."""
        return self.filter(visibility=Visibility.PUBLIC).exclude(kind=AssetKind.GIFTS)

    def located(self) -> AssetQuerySet:
        return self.filter(lat__isnull=False)

    def in_area(self, area: Area) -> AssetQuerySet:
        return self.filter(area_links__area=area)


class Asset(models.Model):
    """One asset, however many data sets it arrives in."""

    # Time-ordered (version 7), so new assets go in at the end of the unique index.
    uuid = models.UUIDField(default=uuid7, unique=True, editable=False)
    name = models.CharField(max_length=300)
    kind = models.CharField(max_length=20, choices=AssetKind.choices)
    legal_form = models.CharField(max_length=20, choices=LegalForm.choices, blank=True)
    categories = models.ManyToManyField(Category, blank=True, related_name="assets")
    description = models.TextField(blank=True)
    # Where it is.
    address = models.CharField(max_length=300, blank=True)
    postcode = models.CharField(max_length=8, blank=True)
    lon = models.FloatField(null=True, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lat_cell = models.IntegerField(
        null=True, blank=True, editable=False, help_text="Latitude bucket for radius search."
    )
    footprint = models.JSONField(
        null=True, blank=True, help_text="GeoJSON polygon of the site, where known."
    )
    # Where it serves, if not just where it is (GeoJSON).
    service_area = models.JSONField(null=True, blank=True)
    # How to reach it.
    website = models.URLField(max_length=500, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=50, blank=True)
    opening_hours = models.TextField(blank=True)
    accessibility = models.TextField(blank=True)
    # Buildings and land.
    tenure = models.CharField(max_length=20, choices=Tenure.choices, blank=True)
    tenure_detail = models.CharField(max_length=200, blank=True)
    # Indexed only where present (see Meta): most assets have neither, and an index of blanks
    # costs every import without ever being read.
    uprn = models.CharField("UPRN", max_length=12, blank=True)
    charity_number = models.CharField(max_length=20, blank=True)
    extra = models.JSONField(
        default=dict, blank=True, help_text="Attributes with no column of their own."
    )
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    # Freshness: verified means someone confirmed it is right, not just that it was edited.
    last_verified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Words for full-text search: name, categories, description, address (kept by services).
    search_text = models.TextField(blank=True, editable=False)

    objects = AssetQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["lat_cell", "lon"], name="asset_lat_cell_lon"),
            models.Index(fields=["kind", "name"]),
            models.Index(fields=["postcode"]),
            models.Index(fields=["uprn"], condition=~Q(uprn=""), name="asset_uprn_given"),
            models.Index(
                fields=["charity_number"],
                condition=~Q(charity_number=""),
                name="asset_charity_number_given",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        from livingmap.core.geo import lat_cell

        if self.kind == AssetKind.GIFTS:
            self.visibility = Visibility.PRIVATE
        self.lat_cell = lat_cell(self.lat)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("asset", kwargs={"uuid": self.uuid})

    @property
    def is_located(self) -> bool:
        return self.lat is not None and self.lon is not None


class AssetSource(models.Model):
    """Where an asset's record came from: one row per data set it appears in."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="sources")
    # Indexed by the unique (dataset, source_id) constraint; a second index would only slow imports.
    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="+", db_index=False)
    source_id = models.CharField(max_length=200, help_text="Its id in that data set.")
    imported_at = models.DateTimeField(auto_now=True)
    data = models.JSONField(default=dict, help_text="The fields as that data set gave them.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["dataset", "source_id"], name="unique_source_record")
        ]

    def __str__(self) -> str:
        return f"{self.dataset.slug}:{self.source_id}"


class AssetArea(models.Model):
    """An area or neighbourhood an asset lies in, worked out when it was saved or imported."""

    # Both keys lead a composite index below (the unique constraint and the area index); single
    # column indexes would be redundant and cost every import a third and fourth index write.
    asset = models.ForeignKey(
        Asset, on_delete=models.CASCADE, related_name="area_links", db_index=False
    )
    area = models.ForeignKey(
        Area, on_delete=models.CASCADE, related_name="asset_links", db_index=False
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["asset", "area"], name="unique_asset_area")]
        indexes = [models.Index(fields=["area", "asset"])]

    def __str__(self) -> str:
        return f"{self.asset} in {self.area}"
