"""livingmap send_review_reminders --base-url https://…: queue the review reminders now.

The scheduler already queues them daily (accounts/tasks.py); this is for a run by hand. With
the immediate task backend it runs at once and prints what it did."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from livingmap.accounts.tasks import send_review_reminders
from livingmap.core.jobs import enqueue


class Command(BaseCommand):
    help = "Email the admins of assets due for review; tell officers about unanswered reminders."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--base-url",
            required=True,
            help="The site's address, for the links in the emails (e.g. https://map.example.org): "
            "without it they would be paths no email program can open.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        run = enqueue(send_review_reminders, base_url=options["base_url"].rstrip("/"))
        run.refresh_from_db()
        if run.status == run.Status.SUCCEEDED:
            value = run.result
            self.stdout.write(
                f"Reminded the admins of {value['reminded']} asset(s); "
                f"escalated {value['escalated']} unanswered reminder(s) to officers."
            )
        else:
            self.stdout.write(f"Queued the reminders (job run {run.pk}): the worker sends them.")
