"""What HSDS has and an Asset lacks, kept so imported records round-trip with no field lost.

An imported HSDS service becomes an Asset (through the assets app's import services) and an
HsdsService holding the normalised HSDS JSON of the service as the source gave it (organisation,
locations, schedules, eligibility, fees, contacts, …), keyed to the asset and to its source id.
Small index tables (keys, term links, schedules) make the API's filters and id look-ups queries
rather than JSON scans. Organisations and taxonomies from a feed are kept whole as well.

Living Map's own assets need none of this: they are mapped to HSDS on the fly (see mapping.py).
"""

from __future__ import annotations

from django.db import models

from livingmap.assets.models import Asset


class HsdsService(models.Model):
    """One imported HSDS service: the asset it became and its full HSDS object."""

    asset = models.OneToOneField(Asset, on_delete=models.CASCADE, related_name="hsds")
    #: The service's id in the source: the id it keeps in our API and exports.
    hsds_id = models.UUIDField(unique=True)
    #: The data set (feed) it came from: Dataset slug.
    source = models.CharField(max_length=100)
    organization_id = models.UUIDField(null=True, blank=True, db_index=True)
    minimum_age = models.FloatField(null=True, blank=True)
    maximum_age = models.FloatField(null=True, blank=True)
    modified = models.DateTimeField(db_index=True)
    data = models.JSONField(help_text="The normalised HSDS 3.0 service object, fully nested.")

    class Meta:
        verbose_name = "HSDS service"

    def __str__(self) -> str:
        return f"{self.hsds_id} ({self.source})"


class HsdsKey(models.Model):
    """An id inside an imported service (service_at_location, location) -> that service."""

    class Kind(models.TextChoices):
        SERVICE_AT_LOCATION = "sal", "service_at_location"
        LOCATION = "location", "location"

    key = models.UUIDField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    service = models.ForeignKey(HsdsService, on_delete=models.CASCADE, related_name="keys")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="unique_hsds_key")]
        ordering = ["service_id", "position"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.key}"


class HsdsTermLink(models.Model):
    """An imported service (or one of its parts) carries this taxonomy term."""

    service = models.ForeignKey(HsdsService, on_delete=models.CASCADE, related_name="term_links")
    term_id = models.UUIDField(db_index=True)
    taxonomy_id = models.UUIDField(null=True, blank=True, db_index=True)

    def __str__(self) -> str:
        return f"term {self.term_id}"


class HsdsSchedule(models.Model):
    """A regular opening of an imported service, for the day/start_time/end_time filters."""

    service = models.ForeignKey(HsdsService, on_delete=models.CASCADE, related_name="schedules")
    byday = models.CharField(max_length=50, blank=True)
    opens_at = models.TimeField(null=True, blank=True)
    closes_at = models.TimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.byday} {self.opens_at}-{self.closes_at}"


class HsdsOrganization(models.Model):
    """An organisation from a feed, kept whole (without its services, which are assets)."""

    id = models.UUIDField(primary_key=True)
    source = models.CharField(max_length=100)
    name = models.CharField(max_length=300)
    data = models.JSONField()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = "HSDS organization"

    def __str__(self) -> str:
        return self.name


class HsdsTaxonomy(models.Model):
    id = models.UUIDField(primary_key=True)
    source = models.CharField(max_length=100)
    name = models.CharField(max_length=300)
    data = models.JSONField()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = "HSDS taxonomy"
        verbose_name_plural = "HSDS taxonomies"

    def __str__(self) -> str:
        return self.name


class HsdsTaxonomyTerm(models.Model):
    id = models.UUIDField(primary_key=True)
    source = models.CharField(max_length=100)
    name = models.CharField(max_length=300)
    taxonomy_id = models.UUIDField(null=True, blank=True, db_index=True)
    parent_id = models.UUIDField(null=True, blank=True, db_index=True)
    data = models.JSONField()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = "HSDS taxonomy term"

    def __str__(self) -> str:
        return self.name
