"""Permissions about time banks (see accounts/permissions.py for how rules work)."""

from __future__ import annotations

from typing import Any

from livingmap.accounts.permissions import rule
from livingmap.accounts.roles import is_officer


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and bool(
        getattr(user, "is_active", False)
    )


def brokers_bank(user: Any, bank_id: int | None) -> bool:
    """Is `user` a broker of the bank? (The set of their banks is cached on the user object.)"""
    if bank_id is None or not _signed_in(user):
        return False
    cache = getattr(user, "_timebank_broker_of", None)
    if cache is None:
        from .models import Broker

        cache = set(Broker.objects.filter(user=user).values_list("bank_id", flat=True))
        user._timebank_broker_of = cache
    return bank_id in cache


@rule("timebank.broker", "run this time bank as a broker")
def broker(user: Any, bank: Any) -> bool:
    """A broker of the bank, or an officer (officers may administer any bank)."""
    if not _signed_in(user) or bank is None:
        return False
    return is_officer(user) or brokers_bank(user, getattr(bank, "pk", None))


@rule("timebank.view_statement", "see this time bank account's statement")
def view_statement(user: Any, account: Any) -> bool:
    """The account's own member, or a broker of its bank."""
    if not _signed_in(user) or account is None:
        return False
    if getattr(account, "member_id", None) is not None and account.member.user_id == user.pk:
        return True
    return broker(user, getattr(account, "bank", None))


@rule("timebank.record_exchange", "record an exchange in this time bank")
def record_exchange(user: Any, bank: Any) -> bool:
    """An active member of the bank (for help they gave), or a broker."""
    if not _signed_in(user) or bank is None:
        return False
    from .models import Member

    return (
        broker(user, bank)
        or Member.objects.filter(
            bank_id=getattr(bank, "pk", None), user=user, status=Member.Status.ACTIVE
        ).exists()
    )


@rule("timebank.join", "ask to join this time bank")
def join(user: Any, bank: Any) -> bool:
    """Anyone signed in may ask to join; a broker approves."""
    return _signed_in(user) and bank is not None
