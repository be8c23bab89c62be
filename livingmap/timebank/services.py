"""Writes for time banks: membership, offers and requests, messages, and the ledger.

Every ledger write runs in one transaction that locks the accounts it touches (in primary-key
order, so two exchanges between the same accounts can never deadlock), checks the rules on the
locked rows, inserts the movements and moves the cached balances with an F() expression. On
SQLite the transaction is BEGIN IMMEDIATE (settings), so writers are serialised by the database.

Refused exchanges raise `ExchangeRefused` (or its subclass `InsufficientCredit`) with a message a
member can read; pages and the API show it as it is.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from django.db import DatabaseError, connection, transaction
from django.db.models import BigIntegerField, Case, F, Q, Value, When
from django.utils import timezone
from django.utils.text import slugify

from livingmap.accounts.permissions import can

from .models import (
    Account,
    Broker,
    Conversation,
    Exchange,
    InterBankAgreement,
    Listing,
    Member,
    Message,
    TimeBank,
)

try:  # PostgreSQL's driver; absent on a SQLite-only install.
    from psycopg import errors as pg_errors

    _PG_RETRYABLE: tuple[type[BaseException], ...] = (
        pg_errors.SerializationFailure,
        pg_errors.DeadlockDetected,
        pg_errors.LockNotAvailable,
    )
except ImportError:  # pragma: no cover
    _PG_RETRYABLE = ()

#: SQLite primary result codes that mean "another connection holds the lock; try again".
SQLITE_BUSY = 5
SQLITE_LOCKED = 6

T = TypeVar("T")


class TimeBankError(Exception):
    """Something a member or broker asked for that the time bank refuses, with the reason."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ExchangeRefused(TimeBankError):
    """An exchange that cannot be recorded, confirmed, declined or reversed."""


class InsufficientCredit(ExchangeRefused):
    """The payer's balance would fall below their credit limit."""


class StateConflict(ExchangeRefused):
    """The exchange is no longer in a state that allows this: already confirmed, declined or
    reversed (maps to 409: asking again will not help)."""


class NotAllowed(TimeBankError):
    """The user may not do this (maps to 403)."""


# --- retries ---------------------------------------------------------------------------------


def is_retryable(exc: BaseException) -> bool:
    """True for a conflict the database asks us to retry: judged by the driver error's class
    (and SQLite's result code), never by the text of its message."""
    cause = exc.__cause__ or exc
    if _PG_RETRYABLE and isinstance(cause, _PG_RETRYABLE):
        return True
    if isinstance(cause, sqlite3.OperationalError):
        code = getattr(cause, "sqlite_errorcode", None)
        return code is not None and (code & 0xFF) in (SQLITE_BUSY, SQLITE_LOCKED)
    return False


def with_retries(fn: Callable[..., T], *args: Any, attempts: int = 60, **kwargs: Any) -> T:
    """Run `fn` (which opens its own transaction), again after a short random pause when the
    database reports a serialisation failure, deadlock or lock conflict. Inside an outer
    transaction a retry cannot help, so the error is raised at once."""
    for attempt in range(attempts):
        try:
            return fn(*args, **kwargs)
        except DatabaseError as exc:
            if connection.in_atomic_block or attempt == attempts - 1 or not is_retryable(exc):
                raise
            # Random, growing pauses (at most 50 ms) so that waiting writers do not collide again.
            time.sleep(random.uniform(0, min(0.05, 0.001 * 2**attempt)))
    raise AssertionError("unreachable")  # pragma: no cover


# --- banks and members -------------------------------------------------------------------------


@transaction.atomic
def create_bank(
    *,
    name: str,
    slug: str = "",
    area: Any = None,
    description: str = "",
    default_credit_limit_minutes: int | None = None,
    brokers: Iterable[Any] = (),
) -> TimeBank:
    """A new bank, with its own account and its first brokers."""
    bank = TimeBank.objects.create(
        name=name,
        slug=slug or slugify(name)[:100],
        area=area,
        description=description,
        default_credit_limit_minutes=default_credit_limit_minutes,
    )
    Account.objects.create(bank=bank, member=None)
    for user in brokers:
        Broker.objects.get_or_create(bank=bank, user=user)
        user.__dict__.pop("_timebank_broker_of", None)
    return bank


def bank_account(bank: TimeBank) -> Account:
    return Account.objects.get(bank=bank, member__isnull=True)


def add_broker(*, by: Any, bank: TimeBank, user: Any) -> Broker:
    if not can(by, "timebank.broker", bank):
        raise NotAllowed("Only a broker of this time bank or an officer can add brokers.")
    broker, _ = Broker.objects.get_or_create(bank=bank, user=user)
    user.__dict__.pop("_timebank_broker_of", None)
    return broker


@transaction.atomic
def join_bank(
    *,
    bank: TimeBank,
    name: str,
    user: Any = None,
    kind: str = Member.Kind.PERSON,
    neighbourhood: Any = None,
    asset: Any = None,
    contact: str = "",
    approved_by: Any = None,
) -> Member:
    """Ask to join `bank` (status pending), or join at once when a broker adds the member."""
    name = (name or "").strip()
    if not name:
        raise TimeBankError("Enter the member's name.")
    if kind not in Member.Kind.values:
        raise TimeBankError("A member is a person or an organisation.")
    if user is not None and Member.objects.filter(bank=bank, user=user).exists():
        raise TimeBankError(f"You are already a member of {bank.name}.")
    if neighbourhood is not None and not neighbourhood.is_neighbourhood:
        raise TimeBankError(f"{neighbourhood.name} is not a neighbourhood.")
    approve = approved_by is not None
    if approve and not can(approved_by, "timebank.broker", bank):
        raise NotAllowed("Only a broker of this time bank can add members directly.")
    member = Member.objects.create(
        bank=bank,
        user=user,
        name=name,
        kind=kind,
        neighbourhood=neighbourhood,
        asset=asset,
        contact=contact.strip(),
        status=Member.Status.ACTIVE if approve else Member.Status.PENDING,
        approved_at=timezone.now() if approve else None,
        approved_by=approved_by if approve else None,
    )
    Account.objects.create(
        bank=bank, member=member, credit_limit_minutes=bank.default_credit_limit_minutes
    )
    return member


def set_member_status(*, by: Any, member: Member, status: str) -> Member:
    """Approve (active), suspend or mark as left. Balances are kept whatever the status."""
    if not can(by, "timebank.broker", member.bank):
        raise NotAllowed("Only a broker of this time bank can approve or suspend members.")
    if status not in Member.Status.values:
        raise TimeBankError("Unknown membership status.")
    member.status = status
    fields = ["status"]
    if status == Member.Status.ACTIVE and member.approved_at is None:
        member.approved_at, member.approved_by = timezone.now(), by
        fields += ["approved_at", "approved_by"]
    member.save(update_fields=fields)
    return member


def approve_member(*, by: Any, member: Member) -> Member:
    return set_member_status(by=by, member=member, status=Member.Status.ACTIVE)


def set_credit_limit(*, by: Any, account: Account, minutes: int | None) -> Account:
    if not can(by, "timebank.broker", account.bank):
        raise NotAllowed("Only a broker of this time bank can change credit limits.")
    if minutes is not None and (not isinstance(minutes, int) or minutes < 0):
        raise TimeBankError("A credit limit is a whole number of minutes, zero or more.")
    Account.objects.filter(pk=account.pk).update(credit_limit_minutes=minutes)
    account.credit_limit_minutes = minutes
    return account


def allow_inter_bank(*, by: Any, from_bank: TimeBank, to_bank: TimeBank) -> InterBankAgreement:
    """Let members of `from_bank` pay members of `to_bank`: brokers of both banks (or an officer)."""
    if not (can(by, "timebank.broker", from_bank) and can(by, "timebank.broker", to_bank)):
        raise NotAllowed("An inter-bank rule needs a broker of both banks, or an officer.")
    if from_bank.pk == to_bank.pk:
        raise TimeBankError("An inter-bank rule joins two different banks.")
    agreement, _ = InterBankAgreement.objects.update_or_create(
        from_bank=from_bank, to_bank=to_bank, defaults={"active": True}
    )
    return agreement


# --- the ledger --------------------------------------------------------------------------------


def _lock(account_ids: Iterable[int], bank_ids: Iterable[int] = ()) -> dict[int, Account]:
    """Lock the accounts, always in primary-key order (no deadlocks between two exchanges).
    When the parties are in different banks, the banks' own accounts are locked as well."""
    ids = set(account_ids)
    bank_ids = set(bank_ids)
    if len(bank_ids) > 1:
        ids.update(_bank_account_ids(bank_ids).values())
    ids = sorted(ids)
    rows = (
        Account.objects.select_for_update(of=("self",))
        .select_related("member")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    locked = {a.pk: a for a in rows}
    missing = [i for i in ids if i not in locked]
    if missing:
        raise ExchangeRefused("That account does not exist.")
    return locked


def _bank_account_ids(bank_ids: Iterable[int]) -> dict[int, int]:
    return dict(
        Account.objects.filter(bank_id__in=set(bank_ids), member__isnull=True).values_list(
            "bank_id", "pk"
        )
    )


#: The most one exchange may record: a day. Longer help is recorded as several exchanges (one a
#: day, say), so a typing slip ("6000" for "60") cannot move weeks of credit at once.
MAX_EXCHANGE_MINUTES = 24 * 60
TOO_LONG = (
    f"One exchange can be at most 24 hours ({MAX_EXCHANGE_MINUTES:,} minutes). "
    "Record longer help as more than one exchange."
)


def _check_minutes(minutes: Any) -> int:
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise ExchangeRefused("Enter the time as a whole number of minutes.")
    if minutes <= 0:
        raise ExchangeRefused("The time must be more than zero minutes.")
    if minutes > MAX_EXCHANGE_MINUTES:
        raise ExchangeRefused(TOO_LONG)
    return minutes


def _check_party(account: Account, role: str) -> None:
    member = account.member
    if member is not None and member.status != Member.Status.ACTIVE:
        state = member.get_status_display().lower()
        raise ExchangeRefused(f"{member.name} cannot {role} time credits: membership is {state}.")


def _insufficient(name: str, balance: int, limit: int, minutes: int) -> InsufficientCredit:
    return InsufficientCredit(
        f"Insufficient time credit: {name} has {balance} minutes "
        f"and may go {limit} minutes below zero, so cannot pay {minutes} minutes."
    )


def _movements(exchange: Exchange) -> list[tuple[int, int]]:
    """The (account id, signed minutes) lines of an exchange; they always sum to zero."""
    m = exchange.minutes
    if exchange.payer.bank_id == exchange.payee.bank_id:
        return [(exchange.payer_id, -m), (exchange.payee_id, m)]
    bank_accounts = _bank_account_ids([exchange.payer.bank_id, exchange.payee.bank_id])
    # Between banks each bank's own account stands in for the other bank's member.
    return [
        (exchange.payer_id, -m),
        (bank_accounts[exchange.payer.bank_id], m),
        (bank_accounts[exchange.payee.bank_id], -m),
        (exchange.payee_id, m),
    ]


def _apply(exchange: Exchange, locked: dict[int, Account], *, enforce_limit: bool) -> None:
    """Write the movements of `exchange` and move the cached balances (accounts already locked)."""
    from .models import Movement

    lines = _movements(exchange)
    if enforce_limit:
        payer = locked[exchange.payer_id]
        limit = payer.credit_limit_minutes
        if limit is not None and payer.balance_minutes - exchange.minutes < -limit:
            raise _insufficient(payer.name, payer.balance_minutes, limit, exchange.minutes)
    Movement.objects.bulk_create(
        [Movement(exchange=exchange, account_id=aid, minutes=m) for aid, m in lines]
    )
    deltas: dict[int, int] = {}
    for aid, m in lines:
        deltas[aid] = deltas.get(aid, 0) + m
    Account.objects.filter(pk__in=list(deltas)).update(
        balance_minutes=F("balance_minutes")
        + Case(
            *[When(pk=aid, then=Value(d)) for aid, d in deltas.items()],
            default=Value(0),
            output_field=BigIntegerField(),
        )
    )
    for aid, d in deltas.items():
        if aid in locked:
            locked[aid].balance_minutes += d


def _same_bank_or_agreed(payer: Account, payee: Account) -> None:
    if payer.bank_id == payee.bank_id:
        return
    if payer.is_bank_account or payee.is_bank_account:
        raise ExchangeRefused("A bank's own account can only trade with its own members.")
    agreed = InterBankAgreement.objects.filter(
        from_bank_id=payer.bank_id, to_bank_id=payee.bank_id, active=True
    ).exists()
    if not agreed:
        raise ExchangeRefused(
            "These members are in different time banks, and no inter-bank rule lets them trade."
        )


def _member_user_id(account: Account) -> int | None:
    return account.member.user_id if account.member is not None else None


def _gave(by: Any, payee: Account) -> bool:
    """Is `by` the member who earns from this exchange (the one who gave the help)?"""
    if getattr(by, "pk", None) is None or payee.member_id is None:
        return False
    return payee.member.user_id == by.pk


def _record_on_postgres(
    *, by: Any, payer: Account, payee: Account, minutes: int, description: str
) -> Exchange | None:
    """A broker's exchange between two members of one bank, in one round trip: the same checks
    and writes as the Python path, done by the server-side function of migration 0002. Returns
    None when the Python path must decide (the parties turn out to be in different banks)."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT outcome, exchange_id, payer_balance, payee_balance, payer_limit "
            "FROM timebank_post_exchange(%s, %s, %s, %s, %s, %s)",
            [payer.pk, payee.pk, minutes, description, by.pk, now],
        )
        outcome, exchange_id, payer_balance, payee_balance, limit = cursor.fetchone()
    if outcome == "ok":
        payer.balance_minutes, payee.balance_minutes = payer_balance, payee_balance
        exchange = Exchange(
            pk=exchange_id,
            bank_id=payer.bank_id,
            payer=payer,
            payee=payee,
            minutes=minutes,
            description=description,
            status=Exchange.Status.CONFIRMED,
            recorded_by=by,
            confirmed_by=by,
            created_at=now,
            confirmed_at=now,
        )
        exchange._state.adding = False
        return exchange
    if outcome == "different_bank":
        return None
    if outcome == "no_account":
        raise ExchangeRefused("That account does not exist.")
    fresh = Account.objects.select_related("member").in_bulk([payer.pk, payee.pk])
    if outcome == "payer_inactive":
        _check_party(fresh[payer.pk], "pay")
    if outcome == "payee_inactive":
        _check_party(fresh[payee.pk], "earn")
    if outcome == "insufficient":
        raise _insufficient(fresh[payer.pk].name, payer_balance, limit, minutes)
    raise ExchangeRefused("The exchange could not be recorded; please try again.")


def _record(*, by: Any, payer: Account, payee: Account, minutes: int, description: str) -> Exchange:
    minutes = _check_minutes(minutes)
    if payer.pk == payee.pk:
        raise ExchangeRefused("The giver and the receiver must be different accounts.")
    is_broker = can(by, "timebank.broker", payer.bank)
    if not is_broker and not _gave(by, payee):
        raise NotAllowed("An exchange is recorded by the member who gave the help, or by a broker.")
    description = (description or "").strip()[:500]
    if is_broker and connection.vendor == "postgresql" and payer.bank_id == payee.bank_id:
        exchange = _record_on_postgres(
            by=by, payer=payer, payee=payee, minutes=minutes, description=description
        )
        if exchange is not None:
            return exchange
    with transaction.atomic():
        locked = _lock([payer.pk, payee.pk], [payer.bank_id, payee.bank_id])
        payer, payee = locked[payer.pk], locked[payee.pk]
        _same_bank_or_agreed(payer, payee)
        _check_party(payer, "pay")
        _check_party(payee, "earn")
        now = timezone.now()
        exchange = Exchange(
            bank_id=payer.bank_id,
            payer=payer,
            payee=payee,
            minutes=minutes,
            description=description,
            recorded_by=by,
            status=Exchange.Status.CONFIRMED if is_broker else Exchange.Status.PENDING,
            confirmed_by=by if is_broker else None,
            confirmed_at=now if is_broker else None,
        )
        exchange.save()
        if is_broker:
            _apply(exchange, locked, enforce_limit=True)
    return exchange


def record_exchange(
    *, by: Any, payer: Account, payee: Account, minutes: int, description: str = ""
) -> Exchange:
    """`payee` gave `minutes` of help to `payer`. Recorded by the giver it waits for the
    receiver to confirm; recorded by a broker it is confirmed at once."""
    return with_retries(
        _record, by=by, payer=payer, payee=payee, minutes=minutes, description=description
    )


def _pending(exchange_id: int) -> Exchange:
    exchange = (
        Exchange.objects.select_for_update(of=("self",))
        .select_related("payer__member", "payee__member")
        .get(pk=exchange_id)
    )
    if exchange.status != Exchange.Status.PENDING:
        raise StateConflict(f"This exchange is already {exchange.get_status_display().lower()}.")
    return exchange


def _may_answer(by: Any, exchange: Exchange) -> bool:
    return can(by, "timebank.broker", exchange.bank) or (
        getattr(by, "pk", None) is not None and _member_user_id(exchange.payer) == by.pk
    )


def _confirm(*, by: Any, exchange: Exchange) -> Exchange:
    with transaction.atomic():
        exchange = _pending(exchange.pk)
        if not _may_answer(by, exchange):
            raise NotAllowed("Only the member who received the help, or a broker, can confirm it.")
        locked = _lock(
            [exchange.payer_id, exchange.payee_id],
            [exchange.payer.bank_id, exchange.payee.bank_id],
        )
        exchange.payer, exchange.payee = locked[exchange.payer_id], locked[exchange.payee_id]
        _check_party(exchange.payer, "pay")
        _check_party(exchange.payee, "earn")
        _apply(exchange, locked, enforce_limit=True)
        exchange.status = Exchange.Status.CONFIRMED
        exchange.confirmed_by = by
        exchange.confirmed_at = timezone.now()
        exchange.save(update_fields=["status", "confirmed_by", "confirmed_at"])
    return exchange


def confirm_exchange(*, by: Any, exchange: Exchange) -> Exchange:
    """The receiver (or a broker) confirms a pending exchange: only now do balances move."""
    return with_retries(_confirm, by=by, exchange=exchange)


def decline_exchange(*, by: Any, exchange: Exchange) -> Exchange:
    with transaction.atomic():
        exchange = _pending(exchange.pk)
        if not _may_answer(by, exchange):
            raise NotAllowed("Only the member who received the help, or a broker, can decline it.")
        exchange.status = Exchange.Status.DECLINED
        exchange.confirmed_by = by
        exchange.save(update_fields=["status", "confirmed_by"])
    return exchange


def _reverse(*, by: Any, exchange: Exchange, reason: str) -> Exchange:
    if not can(by, "timebank.broker", exchange.bank):
        raise NotAllowed("Only a broker of this time bank can correct an exchange.")
    with transaction.atomic():
        original = Exchange.objects.select_for_update(of=("self",)).get(pk=exchange.pk)
        if original.status != Exchange.Status.CONFIRMED:
            raise StateConflict(
                f"Only a confirmed exchange can be reversed; this one is "
                f"{original.get_status_display().lower()}."
            )
        if original.reverses_id is not None:
            raise ExchangeRefused(
                "This exchange is itself a correction; record a new exchange instead."
            )
        locked = _lock(
            [original.payer_id, original.payee_id],
            [original.payer.bank_id, original.payee.bank_id],
        )
        now = timezone.now()
        reversal = Exchange(
            bank_id=original.bank_id,
            payer=locked[original.payee_id],
            payee=locked[original.payer_id],
            minutes=original.minutes,
            description=(f"Correction of exchange {original.pk}: {reason}".strip(": "))[:500],
            status=Exchange.Status.CONFIRMED,
            recorded_by=by,
            confirmed_by=by,
            confirmed_at=now,
            reverses=original,
        )
        reversal.save()
        # A correction must always go through, so the credit limit is not applied to it.
        _apply(reversal, locked, enforce_limit=False)
        original.status = Exchange.Status.REVERSED
        original.save(update_fields=["status"])
    return reversal


def reverse_exchange(*, by: Any, exchange: Exchange, reason: str = "") -> Exchange:
    """Correct a confirmed exchange with a reversing entry (the original is kept, marked
    reversed). Nothing on the ledger is ever deleted."""
    return with_retries(_reverse, by=by, exchange=exchange, reason=reason)


def _bulk(
    *,
    by: Any,
    bank: TimeBank,
    one: Account,
    others: Sequence[tuple[Account, int]],
    one_pays: bool,
    description: str,
) -> list[Exchange]:
    if not can(by, "timebank.broker", bank):
        raise NotAllowed("Only a broker of this time bank can record bulk exchanges.")
    if not others:
        raise ExchangeRefused("Choose at least one member.")
    for _account, minutes in others:
        _check_minutes(minutes)
    with transaction.atomic():
        locked = _lock([one.pk, *(a.pk for a, _m in others)])
        now = timezone.now()
        exchanges = []
        for account, minutes in others:
            payer, payee = (one, account) if one_pays else (account, one)
            payer, payee = locked[payer.pk], locked[payee.pk]
            if payer.pk == payee.pk:
                raise ExchangeRefused(f"{payer.name} cannot trade with themselves.")
            if payer.bank_id != bank.pk or payee.bank_id != bank.pk:
                raise ExchangeRefused("Every account in a bulk exchange must be in this time bank.")
            _check_party(payer, "pay")
            _check_party(payee, "earn")
            exchange = Exchange(
                bank=bank,
                payer=payer,
                payee=payee,
                minutes=minutes,
                description=(description or "").strip()[:500],
                status=Exchange.Status.CONFIRMED,
                recorded_by=by,
                confirmed_by=by,
                confirmed_at=now,
            )
            exchange.save()
            _apply(exchange, locked, enforce_limit=True)
            exchanges.append(exchange)
    return exchanges


def bulk_exchange(
    *,
    by: Any,
    bank: TimeBank,
    one: Account,
    others: Sequence[tuple[Account, int]],
    one_pays: bool,
    description: str = "",
) -> list[Exchange]:
    """A broker's bulk exchange in one transaction: `one` pays each of `others` (one-to-many,
    e.g. the bank thanks every volunteer at an event) or each of `others` pays `one`
    (many-to-one, e.g. everyone who came to a class pays the teacher). All or nothing."""
    return with_retries(
        _bulk, by=by, bank=bank, one=one, others=others, one_pays=one_pays, description=description
    )


# --- offers, requests and messages ---------------------------------------------------------------


def post_listing(
    *,
    member: Member,
    kind: str,
    title: str,
    description: str = "",
    category: Any = None,
    neighbourhood: Any = None,
    availability: str = "",
) -> Listing:
    if kind not in Listing.Kind.values:
        raise TimeBankError("A listing is an offer or a request.")
    if not member.is_active:
        raise TimeBankError("Your membership must be approved before you post offers or requests.")
    title = (title or "").strip()
    if not title:
        raise TimeBankError("Enter a title.")
    return Listing.objects.create(
        bank=member.bank,
        member=member,
        kind=kind,
        title=title[:200],
        description=(description or "").strip(),
        category=category,
        neighbourhood=neighbourhood or member.neighbourhood,
        availability=(availability or "").strip()[:200],
    )


def close_listing(*, by: Any, listing: Listing) -> Listing:
    if not (
        listing.member.user_id == getattr(by, "pk", None)
        or can(by, "timebank.broker", listing.bank)
    ):
        raise NotAllowed("Only the member who posted it, or a broker, can close a listing.")
    listing.is_open = False
    listing.save(update_fields=["is_open"])
    return listing


@transaction.atomic
def start_conversation(
    *, sender: Member, other: Member, body: str, listing: Listing | None = None
) -> Conversation:
    if sender.bank_id != other.bank_id:
        raise TimeBankError("You can only message members of the same time bank.")
    if sender.pk == other.pk:
        raise TimeBankError("You cannot message yourself.")
    if not (sender.is_active and other.is_active):
        raise TimeBankError("Both members must be active to exchange messages.")
    conversation = Conversation.objects.create(
        bank_id=sender.bank_id, listing=listing, started_by=sender, other=other
    )
    send_message(conversation=conversation, sender=sender, body=body)
    return conversation


def send_message(*, conversation: Conversation, sender: Member, body: str) -> Message:
    if not conversation.includes(sender):
        raise NotAllowed("You are not part of this conversation.")
    body = (body or "").strip()
    if not body:
        raise TimeBankError("Write a message.")
    if len(body) > 5000:
        raise TimeBankError("A message can be at most 5,000 characters.")
    return Message.objects.create(conversation=conversation, sender=sender, body=body)


def agree_to_exchange(*, conversation: Conversation, member: Member) -> Conversation:
    """One side agrees; when both have, each can see the other's contact details."""
    if not conversation.includes(member):
        raise NotAllowed("You are not part of this conversation.")
    field = "started_by_agrees" if member.pk == conversation.started_by_id else "other_agrees"
    Conversation.objects.filter(pk=conversation.pk).update(**{field: True})
    setattr(conversation, field, True)
    return conversation


# --- a person erasing their data (accounts.signals.personal_data_erase) ---------------------------

#: The name an erased person's membership keeps in the ledger.
FORMER_MEMBER = "Former member"
#: What an exchange an erased person recorded or took part in says instead of its description
#: (free text, which may name them: "Rosa's sewing").
DESCRIPTION_REMOVED = "Description removed when a member left"


@transaction.atomic
def forget_person(*, user: Any) -> int:
    """A person erased their account: remove or anonymise what the time banks hold about them,
    keeping every ledger sound (movements still sum to zero, balances still match them).

    For each of their memberships as a person: the member is renamed "Former member", their
    contact details are cleared and they are marked left; their offers and requests and the
    messages they sent are deleted; exchanges of theirs still waiting for confirmation are
    declined (they have no movements). Confirmed exchanges, the account and its balance stay,
    so the other members' balances and the bank's statistics stay true; but the description of
    every exchange they took part in or recorded (free text, which may name them) is replaced by
    DESCRIPTION_REMOVED. An organisation whose contact person this was keeps its name and
    membership; only the link to the person and the contact details go. Returns how many
    memberships were changed."""
    members = list(Member.objects.select_for_update().filter(user=user))
    people = [m for m in members if m.kind == Member.Kind.PERSON]
    theirs = Q(payer__member__in=people) | Q(payee__member__in=people)
    Exchange.objects.filter(theirs, status=Exchange.Status.PENDING).update(
        status=Exchange.Status.DECLINED
    )
    Exchange.objects.filter(theirs | Q(recorded_by=user)).exclude(description="").update(
        description=DESCRIPTION_REMOVED
    )
    Listing.objects.filter(member__in=people).delete()
    Message.objects.filter(sender__in=people).delete()
    for member in members:
        member.user = None
        member.contact = ""
        if member.kind == Member.Kind.PERSON:
            member.name = FORMER_MEMBER
            member.status = Member.Status.LEFT
        member.save(update_fields=["user", "contact", "name", "status"])
    return len(members)
