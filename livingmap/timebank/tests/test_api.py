"""The JSON API at /api/timebank/: session auth, balances, statements, listings, and every
refused exchange answered with a clear {"detail": ...} and a 4xx status."""

from __future__ import annotations

import pytest

from livingmap.timebank import services
from livingmap.timebank.models import Exchange

from .conftest import make_bank, make_user, sign_in

pytestmark = pytest.mark.django_db
API = "/api/timebank"


def post(client, url, data):
    return client.post(url, data, content_type="application/json")


def test_anonymous_gets_401(client, tb):
    assert client.get(f"{API}/banks").status_code == 401
    r = post(client, f"{API}/exchanges", {"payer_account": 1, "payee_account": 2, "minutes": 5})
    assert r.status_code == 401
    assert "detail" in r.json()


def test_member_sees_own_balance_and_statement_not_others(client, tb):
    services.record_exchange(by=tb.broker, payer=tb.account(1), payee=tb.account(0), minutes=40)
    client.force_login(tb.users[0])
    banks = client.get(f"{API}/banks").json()
    assert banks == [
        {
            "id": tb.bank.pk,
            "name": tb.bank.name,
            "slug": tb.bank.slug,
            "member_id": tb.members[0].pk,
            "member_status": "active",
            "account_id": tb.account(0).pk,
            "balance_minutes": 40,
        }
    ]
    r = client.get(f"{API}/accounts/{tb.account(0).pk}/balance")
    assert r.status_code == 200 and r.json()["balance_minutes"] == 40
    st = client.get(f"{API}/accounts/{tb.account(0).pk}/statement").json()
    assert st["closing_minutes"] == 40 and st["lines"][0]["other_party"] == "Member 1"
    r = client.get(f"{API}/accounts/{tb.account(1).pk}/balance")
    assert r.status_code == 404 and r.json()["detail"].startswith("No such account")
    r = client.get(f"{API}/accounts/{tb.account(0).pk}/statement?start=2030-01-02&end=2030-01-01")
    assert r.status_code == 400


def test_record_confirm_flow_and_refusals(client, tb):
    giver, receiver = tb.users[0], tb.users[1]
    client.force_login(giver)
    body = {"payer_account": tb.account(1).pk, "payee_account": tb.account(0).pk, "minutes": 60}
    r = post(client, f"{API}/exchanges", {**body, "description": "Shopping"})
    assert r.status_code == 201 and r.json()["status"] == "pending"
    ex_id = r.json()["id"]
    # The giver cannot confirm their own claim.
    r = post(client, f"{API}/exchanges/{ex_id}/confirm", {})
    assert r.status_code == 403 and "received the help" in r.json()["detail"]
    # Refusals, each with its reason.
    for payload, status, words in [
        ({**body, "minutes": 0}, 400, "more than zero"),
        ({**body, "minutes": 100_000}, 400, "at most 24 hours"),
        ({**body, "payer_account": tb.account(0).pk}, 400, "must be different"),
        ({**body, "payer_account": 999999}, 404, "No such account"),
        (
            {"payer_account": tb.account(0).pk, "payee_account": tb.account(1).pk, "minutes": 5},
            403,
            "gave the help",
        ),
        ({**body, "minutes": "lots"}, 422, "minutes"),
    ]:
        r = post(client, f"{API}/exchanges", payload)
        assert r.status_code == status, (payload, r.content)
        assert words in r.json()["detail"]
    client.force_login(receiver)
    r = post(client, f"{API}/exchanges/{ex_id}/confirm", {})
    assert r.status_code == 200 and r.json()["status"] == "confirmed"
    r = post(client, f"{API}/exchanges/{ex_id}/confirm", {})
    # A state conflict, not a bad request: asking again will not help (HTTP 409).
    assert r.status_code == 409 and r.json()["detail"] == "This exchange is already confirmed."
    assert client.get(f"{API}/accounts/{tb.account(1).pk}/balance").json()["balance_minutes"] == -60
    # Someone else cannot even see it.
    client.force_login(make_user())
    assert client.get(f"{API}/exchanges/{ex_id}").status_code == 404


def test_insufficient_credit_is_409_and_broker_reverses(client):
    tb = make_bank(2, credit_limit=30)
    sign_in(client, tb.broker)
    body = {"payer_account": tb.account(0).pk, "payee_account": tb.account(1).pk, "minutes": 31}
    r = post(client, f"{API}/exchanges", body)
    assert r.status_code == 409
    assert r.json()["detail"].startswith("Insufficient time credit: Member 0 has 0 minutes")
    r = post(client, f"{API}/exchanges", {**body, "minutes": 30})
    assert r.status_code == 201 and r.json()["status"] == "confirmed"
    ex_id = r.json()["id"]
    r = post(client, f"{API}/exchanges/{ex_id}/reverse", {"reason": "wrong member"})
    assert r.status_code == 201 and r.json()["reverses"] == ex_id
    assert Exchange.objects.get(pk=ex_id).status == "reversed"
    r = post(client, f"{API}/exchanges/{ex_id}/reverse", {})
    assert r.status_code == 409  # already reversed: a state conflict


def test_decline(client, tb):
    ex = services.record_exchange(
        by=tb.users[0], payer=tb.account(1), payee=tb.account(0), minutes=5
    )
    client.force_login(tb.users[1])
    r = post(client, f"{API}/exchanges/{ex.pk}/decline", {})
    assert r.status_code == 200 and r.json()["status"] == "declined"


def test_offers_and_requests_for_members_only(client, tb):
    services.post_listing(member=tb.members[0], kind="offer", title="Ironing")
    services.post_listing(member=tb.members[1], kind="request", title="Lift to the shops")
    client.force_login(tb.users[2])
    assert [x["title"] for x in client.get(f"{API}/banks/{tb.bank.pk}/offers").json()] == [
        "Ironing"
    ]
    requests = client.get(f"{API}/banks/{tb.bank.pk}/requests").json()
    assert [x["title"] for x in requests] == ["Lift to the shops"]
    client.force_login(make_user())
    r = client.get(f"{API}/banks/{tb.bank.pk}/offers")
    assert r.status_code == 403 and "Only members" in r.json()["detail"]
    assert client.get(f"{API}/banks/999999/offers").status_code == 404
