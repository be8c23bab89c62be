from django.core.management.base import BaseCommand

from ...selectors import things


class Command(BaseCommand):
    help = "Count the sample app's things."

    def handle(self, *args: object, **options: object) -> None:
        self.stdout.write(f"{len(things())} sample things")
