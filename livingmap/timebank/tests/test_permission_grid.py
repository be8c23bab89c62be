"""The time bank's actions for every role, including each staff role signed in without the
second factor (a broker, an officer, an administrator with a password only): they hold no
broker power until they pass it. The accounts app's grid covers its own actions."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, Group, User

from livingmap.accounts.permissions import RULES, can
from livingmap.timebank import services

from .conftest import make_bank, make_user

pytestmark = pytest.mark.django_db

ROLES = (
    "anonymous",
    "stranger",
    "member",
    "pending",
    "broker",
    "broker_password_only",
    "officer",
    "officer_password_only",
    "administrator",
    "administrator_password_only",
)
Y, N = True, False

#: action -> (object, allowed per role in ROLES order). Objects: "bank"; "account" (the
#: member's own account); "other_account" (another member's); None.
EXPECTED = {
    #                                       anon str  mem  pend brok b_pw off  o_pw adm  a_pw
    "timebank.broker": ("bank", (N, N, N, N, Y, N, Y, N, Y, N)),
    "timebank.view_statement": ("account", (N, N, Y, N, Y, N, Y, N, Y, N)),
    "timebank.record_exchange": ("bank", (N, N, Y, N, Y, N, Y, N, Y, N)),
    "timebank.join": ("bank", (N, Y, Y, Y, Y, Y, Y, Y, Y, Y)),
    "insights.view_trends": (None, (N, N, N, N, N, N, Y, N, Y, N)),
}
OTHER_ACCOUNT = {"timebank.view_statement": (N, N, N, N, Y, N, Y, N, Y, N)}


def _as(user: User, *, verified: bool) -> User:
    """The user as a web request sees them (django-otp's OTPMiddleware sets is_verified)."""
    fresh = User.objects.get(pk=user.pk)
    fresh.is_verified = lambda: verified
    return fresh


@pytest.fixture
def grid():
    tb = make_bank(2)
    officer = make_user("officer")
    officer.groups.add(Group.objects.get(name="officer"))
    administrator = make_user("root")
    administrator.is_superuser = True
    administrator.save()
    pending = make_user("pending")
    services.join_bank(bank=tb.bank, user=pending, name="Pending")
    users = {
        "anonymous": AnonymousUser(),
        "stranger": _as(make_user("stranger"), verified=False),
        "member": _as(tb.users[0], verified=False),
        "pending": _as(pending, verified=False),
        "broker": _as(tb.broker, verified=True),
        "broker_password_only": _as(tb.broker, verified=False),
        "officer": _as(officer, verified=True),
        "officer_password_only": _as(officer, verified=False),
        "administrator": _as(administrator, verified=True),
        "administrator_password_only": _as(administrator, verified=False),
    }
    objects = {None: None, "bank": tb.bank, "account": tb.account(0)}
    return users, objects, tb


def test_every_action_of_this_app_has_an_expectation():
    ours = {
        a
        for a in RULES
        if RULES[a].predicate.__module__ in ("livingmap.timebank.rules", "livingmap.insights.rules")
    }
    assert ours == set(EXPECTED)


@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_grid(grid, action):
    users, objects, tb = grid
    key, expected = EXPECTED[action]
    got = {role: can(users[role], action, objects[key]) for role in ROLES}
    assert got == dict(zip(ROLES, expected, strict=True))
    if action in OTHER_ACCOUNT:
        got = {role: can(users[role], action, tb.account(1)) for role in ROLES}
        assert got == dict(zip(ROLES, OTHER_ACCOUNT[action], strict=True))


def test_a_broker_who_is_a_member_keeps_a_members_actions_without_the_second_factor(grid):
    tb = grid[2]
    own = services.join_bank(bank=tb.bank, user=tb.broker, name="Broker", approved_by=tb.broker)
    broker = _as(tb.broker, verified=False)
    assert can(broker, "timebank.record_exchange", tb.bank)
    assert can(broker, "timebank.view_statement", own.account)
    assert not can(broker, "timebank.view_statement", tb.account(1))
    assert not can(broker, "timebank.broker", tb.bank)
