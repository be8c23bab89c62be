"""Pages of the time bank: for members (offers, requests, messages, balance, statement) and for
brokers (members and approvals, bulk exchanges, reports and exports). Thin: the services decide
what is allowed and say why not; the selectors read."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from livingmap.accounts.guards import guard
from livingmap.accounts.permissions import can, require
from livingmap.core.text import spreadsheet_safe

from . import selectors, services
from .forms import (
    BulkForm,
    CreditLimitForm,
    JoinForm,
    ListingForm,
    MessageForm,
    RecordForm,
    StatementRangeForm,
)
from .models import Account, Conversation, Exchange, Listing, Member, TimeBank


def _bank(slug: str) -> TimeBank:
    return get_object_or_404(TimeBank, slug=slug)


def _active_member(request: HttpRequest, bank: TimeBank) -> Member:
    member = selectors.member_of(bank, request.user)
    if member is None or not member.is_active:
        raise PermissionDenied("Only approved members of this time bank can do this.")
    return member


def _csv(filename: str, rows: Any) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    for row in rows:  # members' own words: never a formula when a broker opens it
        writer.writerow([spreadsheet_safe(value) for value in row])
    return response


def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "timebank/home.html",
        {"banks": selectors.banks(), "memberships": selectors.memberships(request.user)},
    )


def bank_detail(request: HttpRequest, slug: str) -> HttpResponse:
    bank = _bank(slug)
    member = selectors.member_of(bank, request.user)
    context: dict[str, Any] = {
        "bank": bank,
        "member": member,
        "is_broker": can(request.user, "timebank.broker", bank),
    }
    if (member is not None and member.is_active) or context["is_broker"]:
        kind = request.GET.get("kind") or None
        if kind not in (None, *Listing.Kind.values):
            kind = None
        context["listings"] = selectors.listings(bank, kind=kind)[:100]
        context["kind"] = kind
    if member is not None and member.is_active:
        context["pending"] = selectors.pending_for(member)
        context["conversations"] = selectors.conversations_of(member)[:20]
        context["my_listings"] = member.listings.filter(is_open=True)
    if member is None and request.user.is_authenticated:
        context["join_form"] = JoinForm(initial={"name": request.user.get_full_name()})
    return render(request, "timebank/bank.html", context)


@login_required
@require_POST
def join(request: HttpRequest, slug: str) -> HttpResponse:
    bank = _bank(slug)
    form = JoinForm(request.POST)
    if form.is_valid():
        try:
            services.join_bank(bank=bank, user=request.user, **form.cleaned_data)
        except services.TimeBankError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, f"You have asked to join {bank.name}. A broker will approve you."
            )
            return redirect("timebank_bank", slug=bank.slug)
    return render(request, "timebank/bank.html", {"bank": bank, "join_form": form}, status=400)


@login_required
def listing_new(request: HttpRequest, slug: str) -> HttpResponse:
    bank = _bank(slug)
    member = _active_member(request, bank)
    form = ListingForm(request.POST or None, initial={"neighbourhood": member.neighbourhood_id})
    if request.method == "POST" and form.is_valid():
        try:
            listing = services.post_listing(member=member, **form.cleaned_data)
        except services.TimeBankError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("timebank_listing", slug=bank.slug, pk=listing.pk)
    status = 400 if form.errors else 200
    return render(
        request, "timebank/listing_form.html", {"bank": bank, "form": form}, status=status
    )


@login_required
def listing_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    bank = _bank(slug)
    member = _active_member(request, bank)
    listing = get_object_or_404(
        Listing.objects.select_related("member", "category", "neighbourhood"), pk=pk, bank=bank
    )
    form = MessageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            conversation = services.start_conversation(
                sender=member, other=listing.member, body=form.cleaned_data["body"], listing=listing
            )
        except services.TimeBankError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("timebank_conversation", slug=bank.slug, pk=conversation.pk)
    return render(
        request,
        "timebank/listing.html",
        {
            "bank": bank,
            "listing": listing,
            "member": member,
            "matches": selectors.suggested_matches(listing),
            "form": form,
        },
        status=400 if form.errors else 200,
    )


@login_required
def conversation(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    bank = _bank(slug)
    member = _active_member(request, bank)
    conv = get_object_or_404(
        Conversation.objects.select_related("started_by", "other", "listing"), pk=pk, bank=bank
    )
    if not conv.includes(member):
        raise PermissionDenied("This conversation is between two other members.")
    form = MessageForm(request.POST or None)
    if request.method == "POST":
        if "agree" in request.POST:
            services.agree_to_exchange(conversation=conv, member=member)
            return redirect("timebank_conversation", slug=bank.slug, pk=conv.pk)
        if form.is_valid():
            services.send_message(conversation=conv, sender=member, body=form.cleaned_data["body"])
            return redirect("timebank_conversation", slug=bank.slug, pk=conv.pk)
    other = conv.other if member.pk == conv.started_by_id else conv.started_by
    i_agreed = conv.started_by_agrees if member.pk == conv.started_by_id else conv.other_agrees
    return render(
        request,
        "timebank/conversation.html",
        {
            "bank": bank,
            "conversation": conv,
            "other": other,
            "i_agreed": i_agreed,
            "contact": selectors.contact_for(conv, member),
            "messages_list": conv.messages.select_related("sender"),
            "form": form,
        },
        status=400 if form.errors else 200,
    )


@login_required
def record(request: HttpRequest, slug: str) -> HttpResponse:
    bank = _bank(slug)
    is_broker = can(request.user, "timebank.broker", bank)
    giver = None
    if not is_broker:
        giver = _active_member(request, bank).account
    form = RecordForm(request.POST or None, bank=bank, giver=giver)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ex = services.record_exchange(
                by=request.user,
                payer=data["payer"],
                payee=data.get("payee") or giver,
                minutes=data["minutes"],
                description=data["description"],
            )
        except services.TimeBankError as exc:
            form.add_error("minutes" if "minutes" in exc.message else None, exc.message)
        else:
            if ex.status == Exchange.Status.CONFIRMED:
                messages.success(request, "The exchange is recorded and confirmed.")
            else:
                messages.success(request, f"Recorded. {ex.payer.name} will be asked to confirm it.")
            return redirect("timebank_bank", slug=bank.slug)
    return render(
        request,
        "timebank/record.html",
        {"bank": bank, "form": form, "is_broker": is_broker},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def answer_exchange(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    ex = get_object_or_404(Exchange.objects.select_related("bank"), pk=pk)
    try:
        if action == "confirm":
            services.confirm_exchange(by=request.user, exchange=ex)
            messages.success(request, "Thank you: the exchange is confirmed.")
        else:
            services.decline_exchange(by=request.user, exchange=ex)
            messages.success(request, "The exchange is declined.")
    except services.NotAllowed as exc:
        raise PermissionDenied(exc.message) from exc
    except services.TimeBankError as exc:
        messages.error(request, exc.message)
    return redirect("timebank_bank", slug=ex.bank.slug)


def _statement_account(request: HttpRequest, bank: TimeBank) -> Account:
    account_id = request.GET.get("account")
    if account_id:
        if not account_id.isdigit():
            raise PermissionDenied("No such account.")
        account = get_object_or_404(
            Account.objects.select_related("member", "bank"), pk=int(account_id), bank=bank
        )
    else:
        member = selectors.member_of(bank, request.user)
        if member is None:
            raise PermissionDenied("You are not a member of this time bank.")
        account = member.account
    require(request.user, "timebank.view_statement", account)
    return account


@login_required
def statement(request: HttpRequest, slug: str) -> HttpResponse:
    bank = _bank(slug)
    account = _statement_account(request, bank)
    form = StatementRangeForm(request.GET or None)
    start = end = None
    if form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    st = selectors.statement(account, start, end)
    if request.GET.get("format") == "csv":
        return _csv(f"statement-{bank.slug}-{account.pk}.csv", selectors.statement_csv_rows(st))
    return render(
        request,
        "timebank/statement.html",
        {"bank": bank, "account": account, "statement": st, "form": form},
    )


@login_required
def broker_dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    bank = _bank(slug)
    # Permission, then two-factor sign-in for an officer (accounts.guards).
    if (stop := guard(request, "timebank.broker", bank)) is not None:
        return stop
    return render(
        request,
        "timebank/broker.html",
        {
            "bank": bank,
            "pending_members": selectors.bank_members(bank, Member.Status.PENDING),
            "members": selectors.bank_members(bank).exclude(status=Member.Status.PENDING),
            "own_account": services.bank_account(bank),
            "stats": selectors.statistics(bank),
            "recent": selectors.bank_exchanges(bank)[:30],
            "problems": selectors.check_ledger(bank),
        },
    )


@login_required
@require_POST
def member_status(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    bank = _bank(slug)
    member = get_object_or_404(Member, pk=pk, bank=bank)
    try:
        services.set_member_status(
            by=request.user, member=member, status=request.POST.get("status", "")
        )
    except services.NotAllowed as exc:
        raise PermissionDenied(exc.message) from exc
    except services.TimeBankError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{member.name}: {member.get_status_display().lower()}.")
    return redirect("timebank_broker", slug=bank.slug)


@login_required
@require_POST
def reverse(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    bank = _bank(slug)
    ex = get_object_or_404(Exchange, pk=pk, bank=bank)
    try:
        services.reverse_exchange(
            by=request.user, exchange=ex, reason=request.POST.get("reason", "")
        )
    except services.NotAllowed as exc:
        raise PermissionDenied(exc.message) from exc
    except services.TimeBankError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Exchange {ex.pk} is corrected by a reversing entry.")
    return redirect("timebank_broker", slug=bank.slug)


@login_required
@require_http_methods(["GET", "POST"])
def credit_limit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """A broker changes how far below zero one member's balance may go."""
    bank = _bank(slug)
    if (stop := guard(request, "timebank.broker", bank)) is not None:
        return stop
    member = get_object_or_404(Member.objects.select_related("account"), pk=pk, bank=bank)
    account = member.account
    form = CreditLimitForm(
        request.POST if request.method == "POST" else None,
        initial={"limit": account.credit_limit_minutes},
    )
    if request.method == "POST" and form.is_valid():
        limit = form.cleaned_data["limit"]
        try:
            services.set_credit_limit(by=request.user, account=account, minutes=limit)
        except services.NotAllowed as exc:
            raise PermissionDenied(exc.message) from exc
        except services.TimeBankError as exc:
            form.add_error("limit", exc.message)
        else:
            said = "no limit" if limit is None else f"{limit:,} minutes below zero"
            messages.success(request, f"{member.name}: credit limit set to {said}.")
            return redirect("timebank_broker", slug=bank.slug)
    return render(
        request,
        "timebank/credit_limit.html",
        {"bank": bank, "member": member, "account": account, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
def bulk(request: HttpRequest, slug: str) -> HttpResponse:
    bank = _bank(slug)
    # Permission, then two-factor sign-in for an officer (accounts.guards).
    if (stop := guard(request, "timebank.broker", bank)) is not None:
        return stop
    form = BulkForm(request.POST or None, bank=bank)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            done = services.bulk_exchange(
                by=request.user,
                bank=bank,
                one=data["one"],
                others=[(a, data["minutes"]) for a in data["others"] if a.pk != data["one"].pk],
                one_pays=data["direction"] == "pays",
                description=data["description"],
            )
        except services.TimeBankError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"{len(done)} exchanges recorded together.")
            return redirect("timebank_broker", slug=bank.slug)
    return render(
        request,
        "timebank/bulk.html",
        {"bank": bank, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
def exchanges_csv(request: HttpRequest, slug: str) -> HttpResponse:
    bank = _bank(slug)
    # Permission, then two-factor sign-in for an officer (accounts.guards).
    if (stop := guard(request, "timebank.broker", bank)) is not None:
        return stop
    return _csv(f"exchanges-{bank.slug}.csv", selectors.exchanges_csv_rows(bank))


@login_required
def statistics_csv(request: HttpRequest, slug: str) -> HttpResponse:
    bank = _bank(slug)
    # Permission, then two-factor sign-in for an officer (accounts.guards).
    if (stop := guard(request, "timebank.broker", bank)) is not None:
        return stop
    stats = selectors.statistics(bank)

    def rows() -> Any:
        yield [
            "breakdown",
            "period or neighbourhood",
            "members",
            "active members",
            "exchanges",
            "hours",
        ]
        for key, label in (("by_month", "month"), ("by_neighbourhood", "neighbourhood")):
            for s in stats[key]:
                yield [label, s.label, s.members, s.active_members, s.exchanges, s.hours]

    return _csv(f"statistics-{bank.slug}.csv", rows())
