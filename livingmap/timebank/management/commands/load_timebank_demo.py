"""`livingmap load_timebank_demo`: a realistic demo time bank for the loaded area (named after
it: "<area> Time Bank"), made through the
services (so every exchange is on the ledger exactly as a real one would be)."""

from __future__ import annotations

import random
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.text import slugify

from livingmap.areas.models import Area
from livingmap.areas.selectors import current_area
from livingmap.assets.models import AssetKind, Category
from livingmap.timebank import services
from livingmap.timebank.models import Member, TimeBank
from livingmap.timebank.selectors import check_ledger


def bank_name() -> str:
    """The demo bank's name: the loaded area's, "<area> Time Bank"."""
    return f"{current_area().name} Time Bank"


def bank_slug() -> str:
    return slugify(bank_name())


PEOPLE = [
    "Asha Patel",
    "Ben Okafor",
    "Carol Hughes",
    "Dev Sharma",
    "Eileen Walsh",
    "Farah Khan",
    "George Lees",
    "Hannah Brooks",
    "Imran Hussain",
    "Joan Fielding",
    "Kwame Mensah",
    "Linda Barlow",
    "Mo Rahman",
    "Nora Kelly",
    "Owen Price",
    "Priya Nair",
    "Rita Doyle",
    "Sam Whitworth",
    "Tom Ashworth",
    "Uma Begum",
    "Vera Lomax",
    "Wes Thornley",
]
#: (title, category slug, kind, availability, description)
LISTINGS = [
    (
        "Help with the garden",
        "allotment",
        "offer",
        "Weekend mornings",
        "Weeding, mowing, planting.",
    ),
    (
        "Someone to help in my garden",
        "allotment",
        "request",
        "Any time",
        "My knees aren't what they were.",
    ),
    (
        "Lifts to GP and hospital appointments",
        "health",
        "offer",
        "Weekdays",
        "I have a car and time.",
    ),
    ("A lift to the General Hospital", "health", "request", "Tuesdays", "Fortnightly appointment."),
    ("Filling in forms and letters", "advice", "offer", "Evenings", "Benefits, council tax, PIP."),
    ("Help with a PIP form", "advice", "request", "Soon, please", ""),
    (
        "Friendly phone calls",
        "community-group",
        "offer",
        "Afternoons",
        "A chat and a cuppa by phone.",
    ),
    ("Someone to chat with", "community-group", "request", "Afternoons", "I live on my own."),
    ("Guitar and ukulele lessons", "arts-culture", "offer", "Saturdays", "Beginners welcome."),
    ("Learn to knit", "arts-culture", "request", "Any evening", ""),
    ("Small DIY jobs", "business", "offer", "Weekdays", "Shelves, flat-pack, dripping taps."),
    ("Put up some shelves", "business", "request", "Weekends", ""),
]


class Command(BaseCommand):
    help = (
        "Create the demo time bank of the loaded area ('<area> Time Bank': members, offers, "
        "requests and exchanges)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if TimeBank.objects.filter(slug=bank_slug()).exists():
            self.stdout.write(f"The {bank_name()} demo is already loaded.")
            return
        with transaction.atomic():
            counts = self._load()
        problems = check_ledger(TimeBank.objects.get(slug=bank_slug()))
        self.stdout.write(
            self.style.SUCCESS(
                f"{bank_name()}: {counts['members']} members, {counts['listings']} offers "
                f"and requests, {counts['exchanges']} exchanges; ledger "
                f"{'sound' if not problems else 'PROBLEMS: ' + '; '.join(problems)}."
            )
        )

    def _load(self) -> dict[str, int]:
        rng = random.Random(2026)
        users = get_user_model().objects
        broker = users.filter(username="timebank-broker").first() or users.create_user(
            username="timebank-broker", first_name="Time Bank", last_name="Broker"
        )
        if not broker.has_usable_password():
            broker.set_unusable_password()
            broker.save()
        area = Area.objects.filter(level="lad").order_by("-is_current").first()
        hoods = list(Area.objects.neighbourhoods().order_by("name"))
        bank = services.create_bank(
            name=bank_name(),
            slug=bank_slug(),
            area=area,
            description=(
                f"Neighbours helping neighbours across {current_area().name}: give an hour, get an "
                "hour back. "
                "(An illustrative demo: its members, offers and exchanges are made up.)"
            ),
            default_credit_limit_minutes=600,
            brokers=[broker],
        )
        members: list[Member] = []
        for i, name in enumerate(PEOPLE):
            first, last = name.split(" ", 1)
            user = users.filter(username=f"demo-{first.lower()}").first() or users.create_user(
                username=f"demo-{first.lower()}", first_name=first, last_name=last
            )
            members.append(
                services.join_bank(
                    bank=bank,
                    user=user,
                    name=name,
                    neighbourhood=hoods[i % len(hoods)] if hoods else None,
                    contact=f"{first.lower()}@example.org",
                    approved_by=broker,
                )
            )
        from livingmap.assets.models import Asset

        for asset in Asset.objects.public().filter(kind=AssetKind.ASSOCIATION).order_by("name")[:2]:
            members.append(
                services.join_bank(
                    bank=bank,
                    name=asset.name,
                    kind=Member.Kind.ORGANISATION,
                    asset=asset,
                    neighbourhood=hoods[0] if hoods else None,
                    approved_by=broker,
                )
            )
        # Two people still waiting for a broker's approval.
        for name in ("Yusuf Ali", "Zoe Platt"):
            services.join_bank(bank=bank, name=name, neighbourhood=hoods[-1] if hoods else None)
        categories = {c.slug: c for c in Category.objects.all()}
        listings = 0
        for i, (title, slug, kind, when, text) in enumerate(LISTINGS):
            services.post_listing(
                member=members[(i * 5) % len(PEOPLE)],
                kind=kind,
                title=title,
                description=text,
                category=categories.get(slug),
                availability=when,
            )
            listings += 1
        people = members[: len(PEOPLE)]
        exchanges = 0
        tasks = [
            "Gardening",
            "Lift to the GP",
            "Form filling",
            "Phone befriending",
            "DIY",
            "Music lesson",
        ]
        for _ in range(60):
            giver, receiver = rng.sample(people, 2)
            try:
                services.record_exchange(
                    by=broker,
                    payer=receiver.account,
                    payee=giver.account,
                    minutes=rng.choice([30, 45, 60, 60, 90, 120]),
                    description=rng.choice(tasks),
                )
                exchanges += 1
            except services.InsufficientCredit:
                continue
        # A member records help they gave; the receiver confirms one and leaves one pending.
        first = services.record_exchange(
            by=people[0].user, payer=people[1].account, payee=people[0].account, minutes=60,
            description="Helped with the shopping",
        )  # fmt: skip
        services.confirm_exchange(by=people[1].user, exchange=first)
        services.record_exchange(
            by=people[2].user, payer=people[3].account, payee=people[2].account, minutes=45,
            description="Fixed a bike puncture",
        )  # fmt: skip
        # The bank thanks the volunteers at a litter pick (one to many) ...
        own = services.bank_account(bank)
        exchanges += len(
            services.bulk_exchange(
                by=broker, bank=bank, one=own, others=[(m.account, 120) for m in people[4:10]],
                one_pays=True, description="Stretford Meadows litter pick",
            )
        )  # fmt: skip
        # ... and a cooking class: everyone who came pays the teacher (many to one).
        exchanges += len(
            services.bulk_exchange(
                by=broker, bank=bank, one=people[11].account,
                others=[(m.account, 30) for m in people[12:18]], one_pays=False,
                description="Cooking on a budget class",
            )
        )  # fmt: skip
        # A mistake, put right by a reversing entry.
        wrong = services.record_exchange(
            by=broker, payer=people[5].account, payee=people[6].account, minutes=600,
            description="Entered as 600 instead of 60",
        )  # fmt: skip
        services.reverse_exchange(by=broker, exchange=wrong, reason="wrong number of minutes")
        return {
            "members": len(members),
            "listings": listings,
            "exchanges": bank.exchanges.count(),
        }
