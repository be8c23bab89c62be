"""A member's own data: "download my data" includes their time-bank membership, and "erase my
data" anonymises it while the ledger stays sound (accounts.signals, connected in apps.py)."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from livingmap.timebank import selectors, services
from livingmap.timebank.models import Exchange, Listing, Member, Message, TimeBank

from .conftest import sign_in

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"


@pytest.fixture
def trafford(db) -> TimeBank:
    call_command("load_timebank_demo")
    return TimeBank.objects.get(slug="trafford-time-bank")


def _resident_joins(client, bank: TimeBank) -> Member:
    """A resident joins the Trafford Time Bank through its pages, as the tester did, and uses it:
    an offer, a message, help given (waiting for confirmation) and help received."""
    user = get_user_model().objects.create_user(
        username="resident@example.org", email="resident@example.org", password=PASSWORD
    )
    client.force_login(user)
    response = client.post(
        reverse("timebank_join", args=[bank.slug]),
        {"name": "Rosa Quinn", "kind": "person", "contact": "07700 900000"},
    )
    assert response.status_code == 302
    member = Member.objects.get(bank=bank, user=user)
    broker = bank.brokers.get().user
    services.approve_member(by=broker, member=member)
    other = Member.objects.get(bank=bank, name="Asha Patel")
    services.post_listing(member=member, kind="offer", title="Rosa's sewing repairs")
    services.start_conversation(sender=member, other=other, body="Rosa here, call 07700 900000")
    services.record_exchange(
        by=user, payer=other.account, payee=member.account, minutes=45, description="Sewing"
    )
    services.record_exchange(
        by=broker, payer=member.account, payee=other.account, minutes=60, description="Lift"
    )
    return Member.objects.select_related("account").get(pk=member.pk)


def test_download_my_data_includes_the_time_bank(client, trafford):
    member = _resident_joins(client, trafford)
    data = json.loads(client.get(reverse("account_my_data_download")).content)
    [bank] = data["time_banks"]
    assert bank["bank"] == "Trafford Time Bank" and bank["name"] == "Rosa Quinn"
    assert bank["contact"] == "07700 900000" and bank["status"] == "active"
    assert bank["balance_minutes"] == member.account.balance_minutes == -60
    assert [x["title"] for x in bank["offers_and_requests"]] == ["Rosa's sewing repairs"]
    assert sorted((x["you"], x["minutes"], x["status"]) for x in bank["exchanges"]) == [
        ("gave help", 45, "pending"),
        ("received help", 60, "confirmed"),
    ]
    assert {x["other_party"] for x in bank["exchanges"]} == {"Asha Patel"}
    assert bank["messages_you_sent"][0]["message"] == "Rosa here, call 07700 900000"


def test_erasing_an_account_anonymises_the_membership_and_keeps_the_ledger_sound(client, trafford):
    member = _resident_joins(client, trafford)
    other = Member.objects.select_related("account").get(bank=trafford, name="Asha Patel")
    balances = {a.pk: a.balance_minutes for a in trafford.accounts.all()}
    response = client.post(reverse("account_erase"), {"password": PASSWORD})
    assert response.status_code == 200

    member.refresh_from_db()
    assert member.user is None and member.name == services.FORMER_MEMBER
    assert member.contact == "" and member.status == Member.Status.LEFT
    assert not Listing.objects.filter(member=member).exists()
    assert not Message.objects.filter(sender=member).exists()
    # what was waiting is cancelled; what happened stays, so every balance is as it was
    mine = Exchange.objects.filter(payee=member.account) | Exchange.objects.filter(
        payer=member.account
    )
    assert sorted(mine.values_list("status", flat=True)) == ["confirmed", "declined"]
    assert {a.pk: a.balance_minutes for a in trafford.accounts.all()} == balances
    assert selectors.check_ledger(trafford) == []

    # brokers and other members no longer see the person
    sign_in(client, trafford.brokers.get().user)
    for url in (
        reverse("timebank_broker", args=[trafford.slug]),
        reverse("timebank_exchanges_csv", args=[trafford.slug]),
    ):
        page = client.get(url).content.decode()
        assert "Rosa" not in page and "07700 900000" not in page, url
    assert not selectors.pending_for(other).filter(payee=member.account).exists()


def test_an_organisation_keeps_its_membership_when_its_contact_erases_their_account(trafford):
    user = get_user_model().objects.create_user(username="contact@example.org")
    org = Member.objects.filter(bank=trafford, kind=Member.Kind.ORGANISATION).first()
    Member.objects.filter(pk=org.pk).update(user=user, contact="contact@example.org")
    services.post_listing(member=org, kind="offer", title="Use of our hall")
    assert services.forget_person(user=user) == 1
    org.refresh_from_db()
    assert org.user is None and org.contact == ""
    assert org.status == Member.Status.ACTIVE and org.name != services.FORMER_MEMBER
    assert Listing.objects.filter(member=org, title="Use of our hall").exists()


def test_erasing_an_account_removes_what_its_exchanges_say(client, trafford):
    """Descriptions are free text and name people ("Rosa's sewing"): those of every exchange the
    person took part in or recorded go, in the brokers' CSV and other members' statements too;
    the minutes, the ledger and other people's exchanges stay as they were."""
    member = _resident_joins(client, trafford)
    other = Member.objects.select_related("account").get(bank=trafford, name="Asha Patel")
    broker = trafford.brokers.get().user
    services.record_exchange(
        by=broker,
        payer=other.account,
        payee=member.account,
        minutes=90,
        description="Rosa Quinn hemmed Asha's curtains",
    )
    third = (
        Member.objects.filter(bank=trafford, kind=Member.Kind.PERSON, status=Member.Status.ACTIVE)
        .exclude(pk__in=[member.pk, other.pk])
        .select_related("account")
        .first()
    )
    kept = services.record_exchange(
        by=broker, payer=third.account, payee=other.account, minutes=30, description="Garden tidy"
    )
    mine = Exchange.objects.filter(payer=member.account) | Exchange.objects.filter(
        payee=member.account
    )
    minutes = dict(mine.values_list("pk", "minutes"))
    assert len(minutes) == 3
    balances = {a.pk: a.balance_minutes for a in trafford.accounts.all()}

    assert client.post(reverse("account_erase"), {"password": PASSWORD}).status_code == 200

    assert set(mine.values_list("description", flat=True)) == {services.DESCRIPTION_REMOVED}
    assert dict(mine.values_list("pk", "minutes")) == minutes
    assert Exchange.objects.get(pk=kept.pk).description == "Garden tidy"
    assert {a.pk: a.balance_minutes for a in trafford.accounts.all()} == balances
    assert selectors.check_ledger(trafford) == []

    sign_in(client, broker)
    for url in (
        reverse("timebank_exchanges_csv", args=[trafford.slug]),
        reverse("timebank_statement", args=[trafford.slug]) + f"?account={other.account.pk}",
        reverse("timebank_statement", args=[trafford.slug])
        + f"?account={other.account.pk}&format=csv",
    ):
        page = client.get(url).content.decode()
        assert "Rosa" not in page and "curtains" not in page, url
        assert services.DESCRIPTION_REMOVED in page and "Garden tidy" in page, url
