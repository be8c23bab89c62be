"""Realistic demo participation for a few real community assets of the demo area, written through the
services (so the same checks apply). Deterministic: the same figures every run."""

from __future__ import annotations

import random
from datetime import date

from django.db import transaction
from django.utils import timezone

from livingmap.areas.models import Area
from livingmap.assets.models import Asset
from livingmap.core.importing import ImportReport

from .models import ActivityCategory as C
from .services import add_activity, record_participation

#: (category slug of the asset, words in its name or "", activity name, activity category,
#:  typical monthly participants, monthly growth)
PLAN = [
    ("food-bank", "", "Food parcels and pantry", C.FOOD, 120, 0.02),
    ("community-hub", "", "Warm space and lunch club", C.SOCIAL, 60, 0.01),
    ("community-hub", "", "Digital skills drop-in", C.LEARNING, 18, -0.03),
    ("library", "", "Rhyme time for under-fives", C.FAMILIES, 35, 0.0),
    ("library", "", "Knit and natter", C.ARTS, 9, -0.02),
    ("sports-club", "", "Junior training", C.SPORT, 45, 0.015),
    ("sports-club", "", "Walking football", C.SPORT, 14, 0.04),
    ("allotment", "", "Community growing day", C.GROWING, 11, 0.03),
    ("mental-health", "", "Peer support group", C.HEALTH, 7, 0.0),
    ("place-of-worship", "", "Community meal", C.FOOD, 40, -0.01),
]


def _months(n: int, end: date) -> list[date]:
    out, y, m = [], end.year, end.month
    for _ in range(n):
        out.append(date(y, m, 1))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return list(reversed(out))


@transaction.atomic
def load_insights_demo(months: int = 12, groups_per_plan: int = 2) -> int:
    """Record `months` months of participation (up to last month) for a few assets of each
    kind in PLAN; returns the number of monthly records written."""
    rng = random.Random(2026)
    today = timezone.localdate()
    last = date(today.year, today.month, 1)
    last = date(last.year - 1, 12, 1) if last.month == 1 else date(last.year, last.month - 1, 1)
    span = _months(months, last)
    hoods = list(Area.objects.neighbourhoods().order_by("name"))
    written = 0
    for category, words, name, activity_category, base, growth in PLAN:
        assets = Asset.objects.public().filter(categories__slug=category)
        if words:
            assets = assets.filter(name__icontains=words)
        for asset in assets.order_by("name")[:groups_per_plan]:
            activity = add_activity(asset, name, activity_category, illustrative=True)
            home = [h for h in hoods if asset.area_links.filter(area=h).exists()]
            for i, month in enumerate(span):
                expected = base * (1 + growth) ** i * rng.uniform(0.8, 1.2)
                people = max(0, round(expected))
                splits = {}
                if home and people:
                    local = round(people * rng.uniform(0.5, 0.8))
                    splits[home[0]] = local
                    others = [h for h in hoods if h != home[0]]
                    if others and people - local > 2:
                        splits[rng.choice(others)] = rng.randint(1, min(4, people - local))
                record_participation(activity, month, people, splits)
                written += 1
    return written


def on_demo_loaded(sender: object, **kwargs: object) -> list[ImportReport]:
    """Receiver of livingmap.assets.demo.demo_loaded: the participation demo, then aggregates."""
    from .services import refresh_aggregates

    written = load_insights_demo()
    refresh_aggregates()
    return [
        ImportReport(
            importer="insights-demo",
            source="illustrative monthly participation for real groups",
            committed=True,
            read=written,
            created=written,
        )
    ]
