"""Background tasks of the accounts app (django-tasks)."""

from __future__ import annotations

from django_tasks import task


@task()
def send_review_reminders(base_url: str = "") -> dict[str, int]:
    """Remind admins of assets due for review; escalate unanswered reminders to officers."""
    from . import services

    run = services.send_review_reminders(base_url=base_url)
    return {"reminded": run.reminded, "escalated": run.escalated}
