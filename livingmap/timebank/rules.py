"""Permissions about time banks (see accounts/permissions.py for how rules work)."""

from __future__ import annotations

from typing import Any

from livingmap.accounts.permissions import rule
from livingmap.accounts.roles import is_officer, staff_powers_source, staff_powers_withheld


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and bool(
        getattr(user, "is_active", False)
    )


def _banks_brokered(user: Any) -> set[int]:
    """The banks `user` brokers (cached on the user object), second factor or not."""
    cache = getattr(user, "_timebank_broker_of", None)
    if cache is None:
        from .models import Broker

        cache = set(Broker.objects.filter(user=user).values_list("bank_id", flat=True))
        user._timebank_broker_of = cache
    return cache


@staff_powers_source
def is_a_broker(user: Any) -> bool:
    """Brokering is a staff power: it needs the second factor, as an officer's powers do."""
    return _signed_in(user) and bool(_banks_brokered(user))


def brokers_bank(user: Any, bank_id: int | None) -> bool:
    """Is `user` a broker of the bank, in a session that has passed the second factor?"""
    if bank_id is None or not _signed_in(user):
        return False
    return bank_id in _banks_brokered(user) and not staff_powers_withheld(user)


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
