from typing import Any

from django.core.management.base import BaseCommand

from livingmap.assets.services import reassign_all


class Command(BaseCommand):
    help = "Recompute which areas and neighbourhoods every asset lies in."

    def handle(self, *args: Any, **options: Any) -> None:
        links = reassign_all()
        self.stdout.write(f"{links} asset–area links stored")
