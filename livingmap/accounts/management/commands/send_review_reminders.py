"""livingmap send_review_reminders --base-url https://…: enqueue the review reminder task.

Run it daily (cron or a systemd timer). With the immediate task backend it runs at once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from livingmap.accounts.tasks import send_review_reminders


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
        result = send_review_reminders.enqueue(base_url=options["base_url"].rstrip("/"))
        if result.is_finished:
            value = result.return_value
            self.stdout.write(
                f"Reminded the admins of {value['reminded']} asset(s); "
                f"escalated {value['escalated']} unanswered reminder(s) to officers."
            )
        else:
            self.stdout.write(f"Queued the reminders as task {result.id}.")
