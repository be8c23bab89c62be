"""Background jobs of the accounts app (see core/jobs.py): the daily review reminders."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from livingmap.core.jobs import DailyAt, Scheduled, job


@job(max_attempts=3, retry_after_seconds=600)
def send_review_reminders(base_url: str = "") -> dict[str, int]:
    """Remind admins of assets due for review; escalate unanswered reminders to officers.

    Idempotent: an asset is reminded once per review period and escalated once, so a retry
    sends nothing twice. The links need the site's address: `base_url`, else the setting
    LIVINGMAP_BASE_URL."""
    from . import services

    base_url = (base_url or settings.LIVINGMAP_BASE_URL).rstrip("/")
    if not base_url:
        raise ImproperlyConfigured(
            "Set LIVINGMAP_BASE_URL to the site's address (e.g. https://map.example.org): "
            "the reminders' links need it."
        )
    run = services.send_review_reminders(base_url=base_url)
    return {"reminded": run.reminded, "escalated": run.escalated}


SCHEDULE = [Scheduled("accounts.review_reminders", send_review_reminders, DailyAt(7, 0))]
