"""Membership, brokers and permissions, offers and requests, suggested matches, messages with
contact details kept back until both agree, and statistics."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from livingmap.accounts.permissions import can
from livingmap.areas.models import Area
from livingmap.assets.models import Asset, Category
from livingmap.timebank import selectors, services
from livingmap.timebank.models import Member

from .conftest import make_bank, make_user

pytestmark = pytest.mark.django_db


def test_permission_grid(tb):
    officer = make_user("officer")
    officer.groups.add(Group.objects.get_or_create(name="officer")[0])
    stranger = make_user("stranger")
    other_bank = make_bank(0)
    account = tb.account(0)
    assert can(tb.broker, "timebank.broker", tb.bank)
    assert not can(tb.broker, "timebank.broker", other_bank.bank)
    assert can(officer, "timebank.broker", other_bank.bank)
    assert not can(tb.users[0], "timebank.broker", tb.bank)
    assert not can(None, "timebank.broker", tb.bank)
    assert can(tb.users[0], "timebank.view_statement", account)
    assert not can(tb.users[1], "timebank.view_statement", account)
    assert can(tb.broker, "timebank.view_statement", account)
    assert not can(stranger, "timebank.view_statement", account)
    assert can(tb.users[0], "timebank.record_exchange", tb.bank)
    assert not can(stranger, "timebank.record_exchange", tb.bank)
    assert can(stranger, "timebank.join", tb.bank)


def test_join_then_approval_and_organisation_member(tb):
    user = make_user()
    hood = Area.objects.neighbourhoods().first()
    member = services.join_bank(bank=tb.bank, user=user, name="Newcomer", neighbourhood=hood)
    assert member.status == Member.Status.PENDING and member.account.credit_limit_minutes is None
    with pytest.raises(services.NotAllowed):
        services.approve_member(by=user, member=member)
    services.approve_member(by=tb.broker, member=member)
    member.refresh_from_db()
    assert member.status == Member.Status.ACTIVE and member.approved_by == tb.broker
    asset = Asset.objects.public().first()
    org = services.join_bank(
        bank=tb.bank, name=asset.name, kind="organisation", asset=asset, approved_by=tb.broker
    )
    assert org.account.bank == tb.bank and org.user is None
    with pytest.raises(services.TimeBankError, match="not a neighbourhood"):
        services.join_bank(
            bank=tb.bank,
            name="X",
            neighbourhood=Area.objects.exclude(level="neighbourhood").first(),
        )


def test_suggested_matches_same_neighbourhood_first(tb):
    hoods = list(Area.objects.neighbourhoods().order_by("name")[:2])
    assert len(hoods) == 2, "the Trafford demo has localities"
    gardening = Category.objects.get(slug="allotment")
    request = services.post_listing(
        member=tb.members[0],
        kind="request",
        title="Garden help",
        category=gardening,
        neighbourhood=hoods[0],
    )
    far = services.post_listing(
        member=tb.members[1],
        kind="offer",
        title="Gardener",
        category=gardening,
        neighbourhood=hoods[1],
    )
    near = services.post_listing(
        member=tb.members[2],
        kind="offer",
        title="Weeding",
        category=gardening,
        neighbourhood=hoods[0],
    )
    services.post_listing(
        member=tb.members[2],
        kind="offer",
        title="Lifts",
        category=Category.objects.get(slug="health"),
    )
    services.post_listing(member=tb.members[0], kind="offer", title="My own", category=gardening)
    assert selectors.suggested_matches(request) == [near, far]
    assert selectors.suggested_matches(near) == [request]


def test_contact_details_hidden_until_both_agree(tb):
    a, b = tb.members[0], tb.members[1]
    listing = services.post_listing(member=b, kind="offer", title="Dog walking")
    conv = services.start_conversation(
        sender=a, other=b, body="Could you walk Rex on Friday?", listing=listing
    )
    services.send_message(conversation=conv, sender=b, body="Yes, happy to.")
    assert [m.body for m in conv.messages.all()] == [
        "Could you walk Rex on Friday?",
        "Yes, happy to.",
    ]
    assert selectors.contact_for(conv, a) is None and selectors.contact_for(conv, b) is None
    services.agree_to_exchange(conversation=conv, member=a)
    assert selectors.contact_for(conv, a) is None
    services.agree_to_exchange(conversation=conv, member=b)
    conv.refresh_from_db()
    assert selectors.contact_for(conv, a) == "member1@example.org"
    assert selectors.contact_for(conv, b) == "member0@example.org"
    assert selectors.contact_for(conv, tb.members[2]) is None
    with pytest.raises(services.NotAllowed):
        services.send_message(conversation=conv, sender=tb.members[2], body="Hi")


def test_statistics_by_month_and_neighbourhood():
    hood = Area.objects.neighbourhoods().order_by("name").first()
    tb = make_bank(3, neighbourhood=hood)
    services.record_exchange(by=tb.broker, payer=tb.account(0), payee=tb.account(1), minutes=90)
    wrong = services.record_exchange(
        by=tb.broker, payer=tb.account(0), payee=tb.account(2), minutes=600
    )
    services.reverse_exchange(by=tb.broker, exchange=wrong)
    stats = selectors.statistics(tb.bank)
    (month,) = stats["by_month"]
    assert (month.members, month.active_members, month.exchanges, month.hours) == (3, 2, 1, 1.5)
    (nb,) = stats["by_neighbourhood"]
    assert (nb.label, nb.members, nb.exchanges, nb.minutes) == (hood.name, 3, 1, 90)
