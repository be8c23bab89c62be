"""The time bank's part of `livingmap load_demo` (see livingmap.assets.demo.demo_loaded)."""

from __future__ import annotations

from io import StringIO

from livingmap.core.importing import ImportReport


def on_demo_loaded(sender: object, **kwargs: object) -> list[ImportReport]:
    """Load the demo time bank (members, offers, requests, exchanges) if it is not
    there yet, through the same command a broker would run."""
    from django.core.management import call_command

    from .management.commands.load_timebank_demo import bank_name, bank_slug
    from .models import Exchange, TimeBank

    slug = bank_slug()
    before = Exchange.objects.filter(bank__slug=slug).count()
    call_command("load_timebank_demo", stdout=StringIO())
    bank = TimeBank.objects.get(slug=slug)
    after = Exchange.objects.filter(bank=bank).count()
    return [
        ImportReport(
            importer="timebank-demo",
            source=f"illustrative {bank_name()} (members, offers, requests, exchanges)",
            committed=True,
            read=after,
            created=after - before,
            unchanged=before,
        )
    ]
