"""Background jobs of the insights app (see core/jobs.py): rebuilding the aggregates."""

from __future__ import annotations

from dataclasses import asdict

from livingmap.core.jobs import DailyAt, Scheduled, job


@job(max_attempts=3, retry_after_seconds=60)
def refresh_insights(only_if_stale: bool = True) -> dict[str, float]:
    """Rebuild the neighbourhood profiles and gaps (idempotent: one transaction, and with
    `only_if_stale` nothing is done when they already match the data)."""
    from . import services

    return asdict(services.refresh_aggregates(only_if_stale=only_if_stale))


SCHEDULE = [
    Scheduled(
        "insights.nightly_rebuild", refresh_insights, DailyAt(2, 30), {"only_if_stale": False}
    )
]
