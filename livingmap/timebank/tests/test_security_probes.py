"""Issue 17's two-factor probe on the time bank, run again as an attacker would: a broker or an
officer signed in with a password only records, reverses and approves nothing and reads no
other member's statement, on the pages or through the API; their own member's actions still
work. With the second factor, the same requests succeed. See docs/security.md."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from livingmap.timebank import selectors, services
from livingmap.timebank.models import Exchange, Member

from .conftest import make_bank, make_user, sign_in

pytestmark = pytest.mark.django_db
API = "/api/timebank"
TWO_FACTOR = "/account/two-factor/"


def _password_only(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _officer():
    officer = make_user("officer")
    officer.groups.add(Group.objects.get(name="officer"))
    return officer


@pytest.fixture
def world():
    tb = make_bank(3)
    services.record_exchange(by=tb.broker, payer=tb.account(1), payee=tb.account(0), minutes=30)
    pending = services.join_bank(bank=tb.bank, user=make_user("newcomer"), name="Newcomer")
    return {"tb": tb, "pending": pending, "officer": _officer()}


def _ledger(tb) -> tuple:
    return (
        Exchange.objects.filter(bank=tb.bank).count(),
        tuple(
            tb.bank.accounts.order_by("pk").values_list("balance_minutes", "credit_limit_minutes")
        ),
        tuple(Member.objects.filter(bank=tb.bank).order_by("pk").values_list("status", flat=True)),
    )


def _page_attempts(tb, pending, exchange):
    slug = tb.bank.slug
    other = tb.account(1).pk
    return [
        ("get", reverse("timebank_broker", args=[slug]), {}),
        ("get", reverse("timebank_statement", args=[slug]) + f"?account={other}", {}),
        ("get", reverse("timebank_statement", args=[slug]) + f"?account={other}&format=csv", {}),
        ("get", reverse("timebank_exchanges_csv", args=[slug]), {}),
        ("get", reverse("timebank_statistics_csv", args=[slug]), {}),
        ("get", reverse("timebank_credit_limit", args=[slug, tb.members[1].pk]), {}),
        (
            "post",
            reverse("timebank_record", args=[slug]),
            {"payer": tb.account(1).pk, "payee": tb.account(2).pk, "minutes": 60},
        ),
        ("post", reverse("timebank_reverse", args=[slug, exchange.pk]), {"reason": "mine now"}),
        ("post", reverse("timebank_member_status", args=[slug, pending.pk]), {"status": "active"}),
        (
            "post",
            reverse("timebank_credit_limit", args=[slug, tb.members[1].pk]),
            {"limit": "999"},
        ),
        (
            "post",
            reverse("timebank_bulk", args=[slug]),
            {
                "one": tb.own.pk,
                "direction": "pays",
                "others": [tb.account(1).pk, tb.account(2).pk],
                "minutes": 60,
            },
        ),
    ]


@pytest.mark.parametrize("who", ["broker", "officer"])
def test_broker_pages_without_the_second_factor_send_to_two_factor_and_change_nothing(world, who):
    tb, pending = world["tb"], world["pending"]
    user = tb.broker if who == "broker" else world["officer"]
    exchange = Exchange.objects.filter(bank=tb.bank).first()
    before = _ledger(tb)
    client = _password_only(user)
    for method, url, data in _page_attempts(tb, pending, exchange):
        response = getattr(client, method)(url, data, HTTP_REFERER="http://testserver/timebank/")
        assert response.status_code == 302, (url, response.status_code)
        assert response["Location"].startswith(TWO_FACTOR), url
    assert _ledger(tb) == before

    # with the second factor the same requests do what they say
    sign_in(client, user)
    for method, url, data in _page_attempts(tb, pending, exchange):
        response = getattr(client, method)(url, data)
        assert response.status_code in (200, 302), (url, response.status_code)
        if response.status_code == 302:
            assert not response["Location"].startswith(TWO_FACTOR), url
    assert Member.objects.get(pk=pending.pk).status == Member.Status.ACTIVE
    assert Exchange.objects.filter(reverses=exchange).exists()
    tb.account(1).refresh_from_db()
    assert tb.account(1).credit_limit_minutes == 999
    assert selectors.check_ledger(tb.bank) == []


def _api_attempts(tb, exchange):
    return [
        ("get", f"{API}/accounts/{tb.account(1).pk}/balance", None),
        ("get", f"{API}/accounts/{tb.account(1).pk}/statement", None),
        ("get", f"{API}/exchanges/{exchange.pk}", None),
        (
            "post",
            f"{API}/exchanges",
            {"payer_account": tb.account(1).pk, "payee_account": tb.account(2).pk, "minutes": 45},
        ),
        ("post", f"{API}/exchanges/{exchange.pk}/reverse", {"reason": "mine now"}),
    ]


@pytest.mark.parametrize("who", ["broker", "officer"])
def test_the_api_refuses_staff_powers_without_the_second_factor_with_a_clear_403(world, who):
    tb = world["tb"]
    user = tb.broker if who == "broker" else world["officer"]
    exchange = Exchange.objects.filter(bank=tb.bank).first()
    before = _ledger(tb)
    client = _password_only(user)
    for method, url, data in _api_attempts(tb, exchange):
        kwargs = {"content_type": "application/json"} if data is not None else {}
        response = getattr(client, method)(url, data, **kwargs)
        assert response.status_code == 403, (url, response.status_code, response.content)
        assert "two-factor sign-in" in response.json()["detail"], url
    assert _ledger(tb) == before

    sign_in(client, user)
    for method, url, data in _api_attempts(tb, exchange):
        kwargs = {"content_type": "application/json"} if data is not None else {}
        response = getattr(client, method)(url, data, **kwargs)
        assert response.status_code in (200, 201), (url, response.status_code, response.content)
    assert Exchange.objects.filter(reverses=exchange).exists()
    assert selectors.check_ledger(tb.bank) == []


def test_a_broker_without_the_second_factor_still_acts_as_a_member(world):
    """Their own account, their own help: a member's actions, no staff power."""
    tb = world["tb"]
    own = services.join_bank(bank=tb.bank, user=tb.broker, name="Broker", approved_by=tb.broker)
    client = _password_only(tb.broker)
    r = client.get(f"{API}/accounts/{own.account.pk}/balance")
    assert r.status_code == 200
    page = client.get(reverse("timebank_statement", args=[tb.bank.slug]))
    assert page.status_code == 200
    # recording help they gave waits for the receiver to confirm, as any member's does
    r = client.post(
        f"{API}/exchanges",
        {"payer_account": tb.account(0).pk, "payee_account": own.account.pk, "minutes": 20},
        content_type="application/json",
    )
    assert r.status_code == 201 and r.json()["status"] == "pending"
    bank_page = client.get(reverse("timebank_bank", args=[tb.bank.slug])).content.decode()
    assert reverse("timebank_broker", args=[tb.bank.slug]) not in bank_page


def test_the_credit_limit_page(world):
    """A broker (with the second factor) sets a member's credit limit; bad input is a 400 with
    a message beside the field; a blank limit means none; others are refused."""
    tb = world["tb"]
    member = tb.members[2]
    url = reverse("timebank_credit_limit", args=[tb.bank.slug, member.pk])
    client = sign_in(Client(), tb.broker)
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="limit"' in page.content.decode() and "Credit limit for Member 2" in (
        page.content.decode()
    )
    for bad, message in (
        ("-5", "0 minutes or more"),
        ("ten", "whole number of minutes"),
        ("99999999999", "minutes or fewer"),
        ("1.5", "whole number of minutes"),
    ):
        r = client.post(url, {"limit": bad})
        assert r.status_code == 400, bad
        body = r.content.decode()
        assert "There is a problem" in body and message in body, bad
    member.account.refresh_from_db()
    assert member.account.credit_limit_minutes is None
    r = client.post(url, {"limit": "120"})
    assert r.status_code == 302
    member.account.refresh_from_db()
    assert member.account.credit_limit_minutes == 120
    # the limit holds: Member 2 (balance 0) cannot pay 121 minutes
    with pytest.raises(services.InsufficientCredit):
        services.record_exchange(
            by=tb.broker, payer=member.account, payee=tb.account(0), minutes=121
        )
    assert client.post(url, {"limit": ""}).status_code == 302
    member.account.refresh_from_db()
    assert member.account.credit_limit_minutes is None
    # another bank's member is not found under this bank; a member cannot use the page
    other = make_bank(1)
    assert (
        client.get(
            reverse("timebank_credit_limit", args=[tb.bank.slug, other.members[0].pk])
        ).status_code
        == 404
    )
    member_client = Client()
    member_client.force_login(tb.users[0])
    assert member_client.post(url, {"limit": "5"}).status_code == 403
    member.account.refresh_from_db()
    assert member.account.credit_limit_minutes is None
    # the broker tools list each member's limit with a link to change it
    dash = client.get(reverse("timebank_broker", args=[tb.bank.slug])).content.decode()
    assert url in dash
