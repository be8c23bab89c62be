"""Reads for time banks: balances, statements, listings and matches, statistics, and the ledger's
invariant check (used by the tests and by `livingmap timebank_check`)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import (
    Account,
    Conversation,
    Exchange,
    Listing,
    Member,
    Message,
    Movement,
    TimeBank,
)

#: Exchanges that stand: confirmed and not a correction (reversed ones and their reversals
#: cancel out, so statistics leave both out).
STANDING = Q(status=Exchange.Status.CONFIRMED, reverses__isnull=True)


def banks() -> QuerySet[TimeBank]:
    return TimeBank.objects.select_related("area").annotate(
        member_count=Count("members", filter=Q(members__status=Member.Status.ACTIVE))
    )


def memberships(user: Any) -> QuerySet[Member]:
    if not getattr(user, "is_authenticated", False):
        return Member.objects.none()
    return Member.objects.filter(user=user).select_related("bank", "account", "neighbourhood")


def member_of(bank: TimeBank, user: Any) -> Member | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Member.objects.filter(bank=bank, user=user).select_related("account").first()


def bank_members(bank: TimeBank, status: str | None = None) -> QuerySet[Member]:
    qs = Member.objects.filter(bank=bank).select_related("account", "neighbourhood", "user")
    return qs.filter(status=status) if status else qs


def balance_minutes(account: Account) -> int:
    """The balance, from the ledger itself (the sum of the account's movements)."""
    return Movement.objects.filter(account=account).aggregate(s=Coalesce(Sum("minutes"), 0))["s"]


def format_minutes(minutes: int) -> str:
    """'-2 h 30 min', '45 min', '3 h'."""
    sign = "-" if minutes < 0 else ""
    hours, mins = divmod(abs(int(minutes)), 60)
    if hours and mins:
        return f"{sign}{hours} h {mins} min"
    if hours:
        return f"{sign}{hours} h"
    return f"{sign}{mins} min"


# --- statements and exports ---------------------------------------------------------------------


@dataclass
class StatementLine:
    when: dt.datetime
    exchange_id: int
    description: str
    other_party: str
    minutes: int
    balance: int


@dataclass
class Statement:
    account: Account
    start: dt.date | None
    end: dt.date | None
    opening: int
    closing: int
    lines: list[StatementLine] = field(default_factory=list)


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def statement(
    account: Account, start: dt.date | None = None, end: dt.date | None = None
) -> Statement:
    """Every movement on `account` from `start` to `end` (inclusive dates) with a running balance."""
    movements = Movement.objects.filter(account=account)
    opening = 0
    if start is not None:
        opening = movements.filter(created_at__lt=_day_start(start)).aggregate(
            s=Coalesce(Sum("minutes"), 0)
        )["s"]
        movements = movements.filter(created_at__gte=_day_start(start))
    if end is not None:
        movements = movements.filter(created_at__lt=_day_start(end + dt.timedelta(days=1)))
    movements = movements.select_related(
        "exchange__payer__member",
        "exchange__payee__member",
        "exchange__payer__bank",
        "exchange__payee__bank",
    ).order_by("pk")
    running = opening
    lines = []
    for m in movements:
        ex = m.exchange
        other = ex.payee if m.minutes < 0 else ex.payer
        running += m.minutes
        lines.append(
            StatementLine(
                when=m.created_at,
                exchange_id=ex.pk,
                description=ex.description,
                other_party=other.name if other.pk != account.pk else "",
                minutes=m.minutes,
                balance=running,
            )
        )
    return Statement(
        account=account, start=start, end=end, opening=opening, closing=running, lines=lines
    )


STATEMENT_CSV_HEADER = ["date", "exchange", "description", "other party", "minutes", "balance"]


def statement_csv_rows(st: Statement) -> Iterator[list[Any]]:
    yield STATEMENT_CSV_HEADER
    for line in st.lines:
        yield [
            timezone.localtime(line.when).isoformat(timespec="seconds"),
            line.exchange_id,
            line.description,
            line.other_party,
            line.minutes,
            line.balance,
        ]


def bank_exchanges(bank: TimeBank, status: str | None = None) -> QuerySet[Exchange]:
    qs = Exchange.objects.filter(bank=bank).select_related(
        "payer__member", "payee__member", "payer__bank", "payee__bank"
    )
    return qs.filter(status=status) if status else qs


EXCHANGES_CSV_HEADER = [
    "exchange",
    "recorded",
    "confirmed",
    "status",
    "giver (earns)",
    "receiver (pays)",
    "minutes",
    "description",
    "reverses",
]


def exchanges_csv_rows(bank: TimeBank) -> Iterator[list[Any]]:
    yield EXCHANGES_CSV_HEADER
    for ex in bank_exchanges(bank).order_by("pk").iterator(chunk_size=2000):
        yield [
            ex.pk,
            timezone.localtime(ex.created_at).isoformat(timespec="seconds"),
            timezone.localtime(ex.confirmed_at).isoformat(timespec="seconds")
            if ex.confirmed_at
            else "",
            ex.status,
            ex.payee.name,
            ex.payer.name,
            ex.minutes,
            ex.description,
            ex.reverses_id or "",
        ]


def pending_for(member: Member) -> QuerySet[Exchange]:
    """Exchanges waiting for this member (who received the help) to confirm."""
    return Exchange.objects.filter(
        payer__member=member, status=Exchange.Status.PENDING
    ).select_related("payee__member")


def recent_exchanges(account: Account, limit: int = 20) -> QuerySet[Exchange]:
    return (
        Exchange.objects.filter(Q(payer=account) | Q(payee=account))
        .select_related("payer__member", "payee__member", "payer__bank", "payee__bank")
        .order_by("-created_at", "-pk")[:limit]
    )


# --- offers, requests and matches -------------------------------------------------------------


def listings(
    bank: TimeBank,
    kind: str | None = None,
    category: Any = None,
    neighbourhood: Any = None,
    open_only: bool = True,
) -> QuerySet[Listing]:
    qs = Listing.objects.filter(bank=bank, member__status=Member.Status.ACTIVE).select_related(
        "member", "category", "neighbourhood"
    )
    if open_only:
        qs = qs.filter(is_open=True)
    if kind:
        qs = qs.filter(kind=kind)
    if category is not None:
        qs = qs.filter(category=category)
    if neighbourhood is not None:
        qs = qs.filter(neighbourhood=neighbourhood)
    return qs


def suggested_matches(listing: Listing, limit: int = 10) -> list[Listing]:
    """For a request, open offers in the same category (for an offer, requests): from the same
    neighbourhood first, then the rest of the bank, newest first. Never the member's own."""
    other_kind = (
        Listing.Kind.OFFER if listing.kind == Listing.Kind.REQUEST else Listing.Kind.REQUEST
    )
    if listing.category_id is None:
        return []
    qs = (
        listings(listing.bank, kind=other_kind)
        .filter(category_id=listing.category_id)
        .exclude(member_id=listing.member_id)
        .annotate(
            near=Case(
                When(neighbourhood_id=listing.neighbourhood_id, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
            if listing.neighbourhood_id
            else Value(1, output_field=IntegerField())
        )
        .order_by("near", "-created_at", "-pk")
    )
    return list(qs[:limit])


def conversations_of(member: Member) -> QuerySet[Conversation]:
    return (
        Conversation.objects.filter(Q(started_by=member) | Q(other=member))
        .select_related("started_by", "other", "listing")
        .order_by("-created_at")
    )


def contact_for(conversation: Conversation, viewer: Member) -> str | None:
    """The other member's contact details, only once both have agreed to the exchange."""
    if not conversation.includes(viewer) or not conversation.contacts_revealed:
        return None
    other = (
        conversation.other if viewer.pk == conversation.started_by_id else conversation.started_by
    )
    return other.contact or ""


# --- statistics -----------------------------------------------------------------------------------


@dataclass
class PeriodStats:
    label: str
    members: int = 0
    active_members: int = 0
    exchanges: int = 0
    minutes: int = 0

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)


def statistics(bank: TimeBank) -> dict[str, list[PeriodStats]]:
    """Members, active members (gave or received in the period), standing exchanges and hours,
    by calendar month (local time) and by neighbourhood (of the member who gave the help)."""
    rows = list(
        Exchange.objects.filter(STANDING, bank=bank).values_list(
            "confirmed_at",
            "minutes",
            "payer__member_id",
            "payee__member_id",
            "payee__member__neighbourhood__name",
        )
    )
    members = list(
        Member.objects.filter(bank=bank, approved_at__isnull=False).values_list(
            "pk", "approved_at", "neighbourhood__name"
        )
    )
    by_month: dict[str, PeriodStats] = {}
    active: dict[str, set[int]] = defaultdict(set)
    for when, minutes, payer, payee, _nb in rows:
        key = timezone.localtime(when).strftime("%Y-%m")
        s = by_month.setdefault(key, PeriodStats(key))
        s.exchanges += 1
        s.minutes += minutes
        active[key].update(m for m in (payer, payee) if m is not None)
    for key, s in by_month.items():
        s.active_members = len(active[key])
        month_end = dt.date(int(key[:4]), int(key[5:]), 1) + dt.timedelta(days=32)
        cutoff = _day_start(month_end.replace(day=1))
        s.members = sum(1 for _pk, approved, _nb in members if approved < cutoff)
    by_nb: dict[str, PeriodStats] = {}
    nb_of = {pk: nb or "No neighbourhood" for pk, _a, nb in members}
    for _pk, _approved, nb in members:
        by_nb.setdefault(
            nb or "No neighbourhood", PeriodStats(nb or "No neighbourhood")
        ).members += 1
    nb_active: dict[str, set[int]] = defaultdict(set)
    for _when, minutes, payer, payee, nb in rows:
        label = nb or "No neighbourhood"
        s = by_nb.setdefault(label, PeriodStats(label))
        s.exchanges += 1
        s.minutes += minutes
        for m in (payer, payee):
            if m is not None:
                nb_active[nb_of.get(m, "No neighbourhood")].add(m)
    for label, s in by_nb.items():
        s.active_members = len(nb_active[label])
    return {
        "by_month": [by_month[k] for k in sorted(by_month)],
        "by_neighbourhood": sorted(by_nb.values(), key=lambda s: s.label),
    }


# --- the ledger's invariants -----------------------------------------------------------------------


def check_ledger(bank: TimeBank | None = None) -> list[str]:
    """Every way the ledger could be wrong, as sentences; an empty list means it is sound:
    1. the movements of every exchange sum to zero;
    2. confirmed and reversed exchanges have movements, pending and declined ones none;
    3. each account's cached balance equals the sum of its movements;
    4. the balances of each bank, its own account included, sum to zero;
    5. every reversed exchange has exactly one correction, of the same minutes the other way."""
    problems: list[str] = []
    exchanges = Exchange.objects.all()
    accounts = Account.objects.all()
    if bank is not None:
        exchanges = exchanges.filter(bank=bank)
        accounts = accounts.filter(bank=bank)
    unbalanced = (
        Movement.objects.filter(exchange__in=exchanges)
        .values("exchange_id")
        .annotate(total=Sum("minutes"))
        .exclude(total=0)
    )
    for row in unbalanced:
        problems.append(f"exchange {row['exchange_id']}: movements sum to {row['total']}, not 0")
    posted = exchanges.annotate(lines=Count("movements"))
    for ex in posted.filter(
        status__in=[Exchange.Status.CONFIRMED, Exchange.Status.REVERSED], lines=0
    ).values_list("pk", flat=True):
        problems.append(f"exchange {ex}: confirmed but has no movements")
    for ex in posted.filter(
        status__in=[Exchange.Status.PENDING, Exchange.Status.DECLINED], lines__gt=0
    ).values_list("pk", flat=True):
        problems.append(f"exchange {ex}: not confirmed but has movements")
    drifted = accounts.annotate(ledger=Coalesce(Sum("movements__minutes"), 0)).exclude(
        balance_minutes=F("ledger")
    )
    for pk, cached, ledger in drifted.values_list("pk", "balance_minutes", "ledger"):
        problems.append(f"account {pk}: cached balance {cached} but movements sum to {ledger}")
    for row in accounts.values("bank_id").annotate(total=Sum("balance_minutes")).exclude(total=0):
        problems.append(f"bank {row['bank_id']}: balances sum to {row['total']}, not 0")
    for row in (
        accounts.values("bank_id")
        .annotate(total=Coalesce(Sum("movements__minutes"), 0))
        .exclude(total=0)
    ):
        problems.append(f"bank {row['bank_id']}: movements sum to {row['total']}, not 0")
    reversed_ = exchanges.filter(status=Exchange.Status.REVERSED).select_related("reversed_by")
    for ex in reversed_:
        fix = getattr(ex, "reversed_by", None)
        if fix is None:
            problems.append(f"exchange {ex.pk}: marked reversed but has no correction")
        elif (fix.payer_id, fix.payee_id, fix.minutes) != (ex.payee_id, ex.payer_id, ex.minutes):
            problems.append(f"exchange {ex.pk}: its correction {fix.pk} does not mirror it")
    return problems


# --- a person's own data (accounts.signals.personal_data_export) ----------------------------------


def personal_data(user: Any) -> list[dict[str, Any]]:
    """Everything the time banks hold about a person, for their "download my data": each
    membership with its balance, offers and requests, exchanges and the messages they sent."""

    def when(value: dt.datetime | None) -> str | None:
        return value.isoformat() if value else None

    out = []
    for member in memberships(user):
        account = member.account
        exchanges = (
            Exchange.objects.filter(Q(payer=account) | Q(payee=account))
            .select_related("payer__member", "payee__member", "payer__bank", "payee__bank")
            .order_by("created_at", "pk")
        )
        out.append(
            {
                "bank": member.bank.name,
                "name": member.name,
                "kind": member.kind,
                "neighbourhood": member.neighbourhood.name if member.neighbourhood_id else None,
                "contact": member.contact,
                "status": member.status,
                "joined": when(member.joined_at),
                "approved": when(member.approved_at),
                "balance_minutes": account.balance_minutes,
                "credit_limit_minutes": account.credit_limit_minutes,
                "offers_and_requests": [
                    {
                        "kind": item.kind,
                        "title": item.title,
                        "description": item.description,
                        "availability": item.availability,
                        "open": item.is_open,
                        "posted": when(item.created_at),
                    }
                    for item in Listing.objects.filter(member=member).order_by("created_at", "pk")
                ],
                "exchanges": [
                    {
                        "you": "gave help" if ex.payee_id == account.pk else "received help",
                        "other_party": (ex.payer if ex.payee_id == account.pk else ex.payee).name,
                        "minutes": ex.minutes,
                        "description": ex.description,
                        "status": ex.status,
                        "recorded": when(ex.created_at),
                        "confirmed": when(ex.confirmed_at),
                    }
                    for ex in exchanges
                ],
                "messages_you_sent": [
                    {"sent": when(m.sent_at), "message": m.body}
                    for m in Message.objects.filter(sender=member).order_by("sent_at", "pk")
                ],
            }
        )
    return out
