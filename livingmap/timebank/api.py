"""JSON API routes of the timebank app, mounted by livingmap/api.py at /api/timebank/.

Every route needs a signed-in session (anonymous callers get 401). Errors are {"detail": ...}:
400 for a refused exchange (with the reason), 409 for insufficient time credit, 403 when the
caller may not do it, 404 when there is no such thing (or the caller may not see it).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from ninja.security import django_auth
from pydantic import Field

from livingmap.accounts.permissions import SECOND_FACTOR_MESSAGE, can, needs_second_factor
from livingmap.core.schemas import errors

from . import selectors, services
from .models import Account, Exchange, Listing, TimeBank

router = Router(tags=["Time bank"], auth=django_auth)

#: The statuses each operation can answer with, besides 400 and 429 (livingmap/core/schemas.py):
#: 401 without sign-in, 403 when the caller may not (and, for a write, without the CSRF token),
#: 404 for no such thing (or not the caller's to see), 409 for too little time credit, 413 for
#: a body over the size limit, 422 for a parameter of the wrong type.
READ = errors(401, 403, 404, 422)
WRITE = errors(401, 403, 404, 409, 413, 422)
#: OpenAPI links: from an exchange just recorded (or a correction) to what can be done with it.
EXCHANGE_LINKS = {
    "responses": {
        201: {
            "links": {
                name: {
                    "operationId": f"livingmap_timebank_api_{view}",
                    "parameters": {"exchange_id": "$response.body#/id"},
                }
                for name, view in (
                    ("GetExchange", "exchange_detail"),
                    ("ConfirmExchange", "confirm"),
                    ("DeclineExchange", "decline"),
                    ("ReverseExchange", "reverse"),
                )
            }
        }
    }
}


class BankOut(Schema):
    id: int
    name: str
    slug: str
    member_id: int
    member_status: str
    account_id: int
    balance_minutes: int


class BalanceOut(Schema):
    account_id: int
    bank: str
    name: str
    balance_minutes: int
    credit_limit_minutes: int | None


class StatementLineOut(Schema):
    when: dt.datetime
    exchange_id: int
    description: str
    other_party: str
    minutes: int
    balance: int


class StatementOut(Schema):
    account_id: int
    opening_minutes: int
    closing_minutes: int
    lines: list[StatementLineOut]


class ListingOut(Schema):
    id: int
    kind: str
    title: str
    description: str
    category: str | None
    neighbourhood: str | None
    availability: str
    member: str
    created_at: dt.datetime


class ExchangeIn(Schema):
    payer_account: int = Field(description="The account of whoever received the help (pays).")
    payee_account: int = Field(description="The account of whoever gave the help (earns).")
    minutes: int = Field(
        description=(
            "Whole minutes, more than zero and at most 1,440 (24 hours): longer help is "
            "recorded as more than one exchange. Outside that range: 400 with the reason."
        ),
        # In the OpenAPI document; the service refuses anything else with its own message.
        json_schema_extra={"minimum": 1, "maximum": services.MAX_EXCHANGE_MINUTES},
    )
    description: str = ""


class ReverseIn(Schema):
    reason: str = ""


class ExchangeOut(Schema):
    id: int
    bank_id: int
    payer_account: int
    payee_account: int
    minutes: int
    description: str
    status: str
    reverses: int | None
    created_at: dt.datetime
    confirmed_at: dt.datetime | None


def _exchange_out(ex: Exchange) -> dict[str, Any]:
    return {
        "id": ex.pk,
        "bank_id": ex.bank_id,
        "payer_account": ex.payer_id,
        "payee_account": ex.payee_id,
        "minutes": ex.minutes,
        "description": ex.description,
        "status": ex.status,
        "reverses": ex.reverses_id,
        "created_at": ex.created_at,
        "confirmed_at": ex.confirmed_at,
    }


def _listing_out(item: Listing) -> dict[str, Any]:
    return {
        "id": item.pk,
        "kind": item.kind,
        "title": item.title,
        "description": item.description,
        "category": item.category.name if item.category_id else None,
        "neighbourhood": item.neighbourhood.name if item.neighbourhood_id else None,
        "availability": item.availability,
        "member": item.member.name,
        "created_at": item.created_at,
    }


def _refuse(exc: services.TimeBankError) -> HttpError:
    if isinstance(exc, services.NotAllowed):
        return HttpError(403, exc.message)
    if isinstance(exc, services.InsufficientCredit | services.StateConflict):
        return HttpError(409, exc.message)
    return HttpError(400, exc.message)


def _account(request: HttpRequest, account_id: int) -> Account:
    account = Account.objects.select_related("bank", "member").filter(pk=account_id).first()
    if account is not None and needs_second_factor(
        request.user, "timebank.view_statement", account
    ):
        raise HttpError(403, SECOND_FACTOR_MESSAGE)
    if account is None or not can(request.user, "timebank.view_statement", account):
        raise HttpError(404, "No such account, or it is not yours to see.")
    return account


def _bank_for_member(request: HttpRequest, bank_id: int) -> TimeBank:
    bank = get_object_or_404(TimeBank, pk=bank_id)
    member = selectors.member_of(bank, request.user)
    if not ((member and member.is_active) or can(request.user, "timebank.broker", bank)):
        raise HttpError(403, "Only members of this time bank can see its offers and requests.")
    return bank


def _exchange(request: HttpRequest, exchange_id: int) -> Exchange:
    ex = (
        Exchange.objects.select_related("bank", "payer__member", "payee__member")
        .filter(pk=exchange_id)
        .first()
    )
    sides = (ex.payer, ex.payee) if ex is not None else ()
    if not any(can(request.user, "timebank.view_statement", side) for side in sides):
        if any(needs_second_factor(request.user, "timebank.view_statement", s) for s in sides):
            raise HttpError(403, SECOND_FACTOR_MESSAGE)
        raise HttpError(404, "No such exchange, or it is not yours to see.")
    return ex


@router.get(
    "/banks", response={200: list[BankOut], **errors(401)}, summary="The time banks you belong to"
)
def my_banks(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "id": m.bank.pk,
            "name": m.bank.name,
            "slug": m.bank.slug,
            "member_id": m.pk,
            "member_status": m.status,
            "account_id": m.account.pk,
            "balance_minutes": m.account.balance_minutes,
        }
        for m in selectors.memberships(request.user)
    ]


@router.get(
    "/accounts/{account_id}/balance",
    response={200: BalanceOut, **READ},
    summary="An account's balance",
)
def balance(request: HttpRequest, account_id: int) -> dict[str, Any]:
    account = _account(request, account_id)
    return {
        "account_id": account.pk,
        "bank": account.bank.name,
        "name": account.name,
        "balance_minutes": account.balance_minutes,
        "credit_limit_minutes": account.credit_limit_minutes,
    }


@router.get(
    "/accounts/{account_id}/statement",
    response={200: StatementOut, **READ},
    summary="An account's statement",
)
def statement(
    request: HttpRequest,
    account_id: int,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> dict[str, Any]:
    account = _account(request, account_id)
    if start and end and end < start:
        raise HttpError(400, "The end date must be on or after the start date.")
    st = selectors.statement(account, start, end)
    return {
        "account_id": account.pk,
        "opening_minutes": st.opening,
        "closing_minutes": st.closing,
        "lines": [line.__dict__ for line in st.lines],
    }


@router.get(
    "/banks/{bank_id}/offers", response={200: list[ListingOut], **READ}, summary="Open offers"
)
def offers(request: HttpRequest, bank_id: int) -> list[dict[str, Any]]:
    bank = _bank_for_member(request, bank_id)
    return [_listing_out(x) for x in selectors.listings(bank, kind=Listing.Kind.OFFER)[:500]]


@router.get(
    "/banks/{bank_id}/requests", response={200: list[ListingOut], **READ}, summary="Open requests"
)
def requests_(request: HttpRequest, bank_id: int) -> list[dict[str, Any]]:
    bank = _bank_for_member(request, bank_id)
    return [_listing_out(x) for x in selectors.listings(bank, kind=Listing.Kind.REQUEST)[:500]]


@router.post(
    "/exchanges",
    response={201: ExchangeOut, **WRITE},
    openapi_extra=EXCHANGE_LINKS,
    summary="Record an exchange",
)
def record(request: HttpRequest, payload: ExchangeIn) -> Status:
    """Recorded by the member who gave the help it waits for the receiver to confirm; recorded
    by a broker it is confirmed at once."""
    accounts = Account.objects.select_related("bank", "member").in_bulk(
        [payload.payer_account, payload.payee_account]
    )
    if payload.payer_account not in accounts or payload.payee_account not in accounts:
        raise HttpError(404, "No such account.")
    try:
        ex = services.record_exchange(
            by=request.user,
            payer=accounts[payload.payer_account],
            payee=accounts[payload.payee_account],
            minutes=payload.minutes,
            description=payload.description,
        )
    except services.TimeBankError as exc:
        raise _refuse(exc) from exc
    return Status(201, _exchange_out(ex))


@router.get("/exchanges/{exchange_id}", response={200: ExchangeOut, **READ}, summary="One exchange")
def exchange_detail(request: HttpRequest, exchange_id: int) -> dict[str, Any]:
    return _exchange_out(_exchange(request, exchange_id))


@router.post(
    "/exchanges/{exchange_id}/confirm", response={200: ExchangeOut, **WRITE}, summary="Confirm"
)
def confirm(request: HttpRequest, exchange_id: int) -> dict[str, Any]:
    ex = _exchange(request, exchange_id)
    try:
        return _exchange_out(services.confirm_exchange(by=request.user, exchange=ex))
    except services.TimeBankError as exc:
        raise _refuse(exc) from exc


@router.post(
    "/exchanges/{exchange_id}/decline", response={200: ExchangeOut, **WRITE}, summary="Decline"
)
def decline(request: HttpRequest, exchange_id: int) -> dict[str, Any]:
    ex = _exchange(request, exchange_id)
    try:
        return _exchange_out(services.decline_exchange(by=request.user, exchange=ex))
    except services.TimeBankError as exc:
        raise _refuse(exc) from exc


@router.post(
    "/exchanges/{exchange_id}/reverse",
    response={201: ExchangeOut, **WRITE},
    openapi_extra=EXCHANGE_LINKS,
    summary="Correct (brokers)",
)
def reverse(request: HttpRequest, exchange_id: int, payload: ReverseIn) -> Status:
    ex = _exchange(request, exchange_id)
    try:
        fix = services.reverse_exchange(by=request.user, exchange=ex, reason=payload.reason)
    except services.TimeBankError as exc:
        raise _refuse(exc) from exc
    return Status(201, _exchange_out(fix))
