"""Factories for time bank tests: a bank in a real Trafford neighbourhood, with members."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from livingmap.timebank import services
from livingmap.timebank.models import Account, Member, TimeBank

_seq = itertools.count(1)


def make_user(name: str = "") -> Any:
    """A user with no usable password (hashing one is slow; tests sign in with force_login)."""
    n = next(_seq)
    return get_user_model().objects.create_user(username=f"{name or 'user'}-{n}")


@dataclass
class Bank:
    bank: TimeBank
    broker: Any
    members: list[Member] = field(default_factory=list)
    users: list[Any] = field(default_factory=list)

    def account(self, i: int) -> Account:
        return self.members[i].account

    @property
    def own(self) -> Account:
        return services.bank_account(self.bank)


def make_bank(
    n_members: int = 3,
    *,
    name: str = "",
    credit_limit: int | None = None,
    neighbourhood: Any = None,
) -> Bank:
    broker = make_user("broker")
    bank = services.create_bank(
        name=name or f"Test Time Bank {next(_seq)}",
        brokers=[broker],
        default_credit_limit_minutes=credit_limit,
    )
    result = Bank(bank=bank, broker=broker)
    for i in range(n_members):
        user = make_user(f"member{i}")
        member = services.join_bank(
            bank=bank,
            user=user,
            name=f"Member {i}",
            neighbourhood=neighbourhood,
            contact=f"member{i}@example.org",
            approved_by=broker,
        )
        result.members.append(member)
        result.users.append(user)
    return result


@pytest.fixture
def tb(db) -> Bank:
    return make_bank(3)


def sign_in(client: Any, user: Any) -> Any:
    """Sign in and pass two-factor sign-in, as a broker must before using broker powers."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client.force_login(user)
    device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client
