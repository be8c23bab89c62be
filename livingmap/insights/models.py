"""Insights: aggregates precomputed for fast profiles, and groups' participation figures."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from livingmap.areas.models import Area
from livingmap.assets.models import Asset, Category


class AreaAssetCount(models.Model):
    """How many public assets of a kind (or of a category) lie in an area.

    One row per (area, kind) with category empty, and per (area, category) with kind empty.
    Rebuilt by services.refresh_aggregates(); only public assets are counted.
    """

    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, blank=True)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    count = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["area", "kind"]), models.Index(fields=["kind", "area"])]

    def __str__(self) -> str:
        return f"{self.area_id} {self.kind or self.category_id}: {self.count}"


class ProfileSnapshot(models.Model):
    """A neighbourhood's (or, with no area, the whole area's) profile figures, precomputed."""

    area = models.OneToOneField(
        Area, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    data = models.JSONField(default=dict)
    refreshed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Profile of {self.area_id or 'the whole area'}"


class LsoaCentre(models.Model):
    """A stand-in for an LSOA's population-weighted centre: the mean of its postcodes' points
    (or a point inside it when it holds no postcode). ONS population-weighted centroids are not
    in the demo data, so this is a proxy, and says so (`method`)."""

    class Method(models.TextChoices):
        POSTCODES = "postcodes", "Mean of the postcodes' points (postcode-weighted)"
        INTERIOR = "interior", "A point inside the boundary (it has no postcodes)"

    area = models.OneToOneField(Area, on_delete=models.CASCADE, related_name="+")
    lon = models.FloatField()
    lat = models.FloatField()
    method = models.CharField(max_length=20, choices=Method.choices)
    postcodes = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"Centre of {self.area_id} ({self.lon:.5f}, {self.lat:.5f})"


class InsightsState(models.Model):
    """One row: the fingerprint of the data the aggregates were built from, and a dirty flag
    set by signal receivers, so pages refresh the aggregates only when the data changed."""

    fingerprint = models.CharField(max_length=200, blank=True)
    dirty = models.BooleanField(default=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    seconds = models.FloatField(default=0, help_text="How long the last refresh took.")

    def __str__(self) -> str:
        return f"Insights aggregates ({'dirty' if self.dirty else self.fingerprint})"


class ActivityCategory(models.TextChoices):
    """A small taxonomy of activities, so that every group's figures add up by kind."""

    SPORT = "sport", "Sport and exercise"
    WALKING = "walking", "Walking and outdoors"
    FOOD = "food", "Food, cooking and lunch clubs"
    SOCIAL = "social", "Social clubs and meet-ups"
    ARTS = "arts", "Arts, crafts and music"
    LEARNING = "learning", "Learning and skills"
    GROWING = "growing", "Gardening, growing and environment"
    HEALTH = "health", "Health and wellbeing"
    FAMILIES = "families", "Children, young people and families"
    ADVICE = "advice", "Advice and support"
    FAITH = "faith", "Faith and worship"
    VOLUNTEERING = "volunteering", "Volunteering"


class Activity(models.Model):
    """Something a group runs that people take part in (a weekly walk, a lunch club)."""

    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="activities")
    name = models.CharField(max_length=200)
    category = models.CharField(
        max_length=30,
        choices=ActivityCategory.choices,
        help_text="The kind of activity, so the area can add up every group's figures for it.",
    )
    illustrative = models.BooleanField(
        default=False,
        help_text="Made-up figures for the demo (livingmap load_insights_demo), shown as such.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "activities"
        constraints = [
            models.UniqueConstraint(fields=["asset", "name"], name="unique_activity_per_asset")
        ]

    def __str__(self) -> str:
        return self.name


class ParticipationRecord(models.Model):
    """How many people took part in an activity in one month (`month` is its first day)."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="records")
    month = models.DateField()
    participants = models.PositiveIntegerField(validators=[MinValueValidator(0)])
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["month"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "month"], name="one_record_per_month")
        ]
        indexes = [models.Index(fields=["month"])]

    def __str__(self) -> str:
        return f"{self.activity} {self.month:%Y-%m}: {self.participants}"

    def clean(self) -> None:
        if self.month and self.month.day != 1:
            raise ValidationError({"month": "Give the first day of the month."})


class ParticipationSplit(models.Model):
    """Of a month's participants, how many live in a neighbourhood (optional; the splits of a
    record never add up to more than its total — services check this)."""

    record = models.ForeignKey(ParticipationRecord, on_delete=models.CASCADE, related_name="splits")
    neighbourhood = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    participants = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["record", "neighbourhood"], name="one_split_per_hood")
        ]

    def __str__(self) -> str:
        return f"{self.record}: {self.participants} from {self.neighbourhood_id}"
