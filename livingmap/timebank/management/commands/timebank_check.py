"""`livingmap timebank_check`: check the time bank ledger's invariants; exit 1 on any problem."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from livingmap.timebank.models import Exchange, TimeBank
from livingmap.timebank.selectors import check_ledger


class Command(BaseCommand):
    help = (
        "Check the time bank ledger: every exchange's movements sum to zero, every cached balance "
        "equals its movements, every bank's balances sum to zero, every reversal mirrors its exchange."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--bank", help="Only this bank (its slug).")

    def handle(self, *args: Any, bank: str | None = None, **options: Any) -> None:
        target = None
        if bank:
            target = TimeBank.objects.filter(slug=bank).first()
            if target is None:
                raise CommandError(f"No time bank with the slug {bank!r}.")
        problems = check_ledger(target)
        exchanges = Exchange.objects.filter(bank=target) if target else Exchange.objects.all()
        if problems:
            for p in problems:
                self.stderr.write(p)
            raise CommandError(f"{len(problems)} problem(s) in the time bank ledger.")
        self.stdout.write(
            self.style.SUCCESS(f"The ledger is sound: {exchanges.count()} exchanges checked.")
        )
