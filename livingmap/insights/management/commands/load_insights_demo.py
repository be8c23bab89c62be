from typing import Any

from django.core.management.base import BaseCommand

from livingmap.insights.demo import load_insights_demo


class Command(BaseCommand):
    help = "Record a year of realistic participation for a few real community assets of the area."

    def handle(self, *args: Any, **options: Any) -> None:
        written = load_insights_demo()
        self.stdout.write(f"Recorded {written} months of participation.")
