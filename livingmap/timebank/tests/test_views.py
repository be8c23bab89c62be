"""The pages, walked as a member and as a broker would, without JavaScript."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from livingmap.areas.models import Area
from livingmap.assets.models import Category
from livingmap.timebank import services
from livingmap.timebank.models import Conversation, Exchange, Listing, Member

from .conftest import make_bank, make_user, sign_in

pytestmark = pytest.mark.django_db


def rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_pages_need_sign_in_where_personal(client, tb):
    assert client.get(reverse("timebank_home")).status_code == 200
    page = client.get(reverse("timebank_bank", args=[tb.bank.slug]))
    assert page.status_code == 200 and b"Sign in to join" in page.content
    for name in ("timebank_record", "timebank_statement", "timebank_broker", "timebank_bulk"):
        assert client.get(reverse(name, args=[tb.bank.slug])).status_code == 302


def test_member_journey(client, tb):
    user = make_user("new")
    client.force_login(user)
    hood = Area.objects.neighbourhoods().first()
    r = client.post(
        reverse("timebank_join", args=[tb.bank.slug]),
        {"name": "Nadia", "kind": "person", "neighbourhood": hood.pk, "contact": "n@example.org"},
    )
    assert r.status_code == 302
    member = Member.objects.get(bank=tb.bank, user=user)
    assert member.status == "pending"
    assert (
        b"waiting for approval" in client.get(reverse("timebank_bank", args=[tb.bank.slug])).content
    )
    assert client.get(reverse("timebank_record", args=[tb.bank.slug])).status_code == 403

    sign_in(client, tb.broker)
    dash = client.get(reverse("timebank_broker", args=[tb.bank.slug]))
    assert dash.status_code == 200 and b"Approve Nadia" in dash.content
    client.post(
        reverse("timebank_member_status", args=[tb.bank.slug, member.pk]), {"status": "active"}
    )
    assert Member.objects.get(pk=member.pk).status == "active"

    client.force_login(user)
    r = client.post(
        reverse("timebank_listing_new", args=[tb.bank.slug]),
        {
            "kind": "offer",
            "title": "Gardening",
            "category": Category.objects.get(slug="allotment").pk,
        },
    )
    listing = Listing.objects.get(member=member)
    assert r.status_code == 302 and listing.neighbourhood == hood
    # A refused exchange shows its reason on the form.
    r = client.post(
        reverse("timebank_record", args=[tb.bank.slug]),
        {"payer": tb.account(0).pk, "minutes": 0, "description": "x"},
    )
    assert r.status_code == 400 and b"The time must be more than zero minutes" in r.content
    assert b"govuk-error-summary" in r.content
    r = client.post(
        reverse("timebank_record", args=[tb.bank.slug]),
        {"payer": tb.account(0).pk, "minutes": 100_000, "description": "x"},
    )
    assert r.status_code == 400 and b"One exchange can be at most 24 hours" in r.content
    assert not Exchange.objects.filter(payee=member.account).exists()
    r = client.post(
        reverse("timebank_record", args=[tb.bank.slug]),
        {"payer": tb.account(0).pk, "minutes": 75, "description": "Weeding"},
    )
    assert r.status_code == 302
    ex = Exchange.objects.get(payee=member.account)
    assert ex.status == "pending"

    client.force_login(tb.users[0])
    page = client.get(reverse("timebank_bank", args=[tb.bank.slug]))
    assert b"Nadia says they gave you 75 minutes" in page.content
    client.post(reverse("timebank_confirm", args=[ex.pk]))
    assert Exchange.objects.get(pk=ex.pk).status == "confirmed"
    st = client.get(reverse("timebank_statement", args=[tb.bank.slug]))
    assert st.status_code == 200 and b"Weeding" in st.content
    data = rows(client.get(reverse("timebank_statement", args=[tb.bank.slug]) + "?format=csv"))
    assert data[0][0] == "date" and data[1][3:] == ["Nadia", "-75", "-75"]
    # Someone else's statement is not theirs to see.
    r = client.get(
        reverse("timebank_statement", args=[tb.bank.slug]) + f"?account={member.account.pk}"
    )
    assert r.status_code == 403

    # Messages: contact details only after both agree.
    r = client.post(
        reverse("timebank_listing", args=[tb.bank.slug, listing.pk]), {"body": "Free on Saturday?"}
    )
    conv = Conversation.objects.get(listing=listing)
    url = reverse("timebank_conversation", args=[tb.bank.slug, conv.pk])
    assert r.status_code == 302 and b"n@example.org" not in client.get(url).content
    client.post(url, {"agree": "1"})
    client.force_login(user)
    assert b"n@example.org" not in client.get(url).content
    assert b"member0@example.org" not in client.get(url).content
    client.post(url, {"agree": "1"})
    assert b"member0@example.org" in client.get(url).content
    client.force_login(tb.users[2])
    assert client.get(url).status_code == 403


def test_broker_tools(client):
    tb = make_bank(3)
    services.record_exchange(by=tb.broker, payer=tb.account(0), payee=tb.account(1), minutes=30)
    client.force_login(tb.users[0])
    assert client.get(reverse("timebank_broker", args=[tb.bank.slug])).status_code == 403
    assert client.get(reverse("timebank_exchanges_csv", args=[tb.bank.slug])).status_code == 403
    sign_in(client, tb.broker)
    own = services.bank_account(tb.bank)
    r = client.post(
        reverse("timebank_bulk", args=[tb.bank.slug]),
        {
            "one": own.pk,
            "direction": "pays",
            "others": [tb.account(0).pk, tb.account(2).pk],
            "minutes": 60,
            "description": "Litter pick",
        },
    )
    assert r.status_code == 302
    assert Exchange.objects.filter(bank=tb.bank, description="Litter pick").count() == 2
    r = client.post(
        reverse("timebank_bulk", args=[tb.bank.slug]),
        {"one": own.pk, "direction": "pays", "others": [tb.account(0).pk], "minutes": 100_000},
    )
    assert r.status_code == 400 and b"One exchange can be at most 24 hours" in r.content
    r = client.post(
        reverse("timebank_bulk", args=[tb.bank.slug]),
        {"one": own.pk, "direction": "pays", "minutes": 5},
    )
    assert r.status_code == 400 and b"govuk-error-summary" in r.content
    data = rows(client.get(reverse("timebank_exchanges_csv", args=[tb.bank.slug])))
    assert len(data) == 4 and data[0][4] == "giver (earns)"
    stats = rows(client.get(reverse("timebank_statistics_csv", args=[tb.bank.slug])))
    assert stats[1][0] == "month" and stats[1][4:] == ["3", "2.5"]
    ex = Exchange.objects.filter(bank=tb.bank).order_by("pk").first()
    client.post(reverse("timebank_reverse", args=[tb.bank.slug, ex.pk]), {"reason": "wrong"})
    assert Exchange.objects.get(pk=ex.pk).status == "reversed"
    dash = client.get(reverse("timebank_broker", args=[tb.bank.slug]))
    assert dash.status_code == 200 and b"Ledger checked" in dash.content
    st = client.get(reverse("timebank_statement", args=[tb.bank.slug]) + f"?account={own.pk}")
    assert st.status_code == 200 and b"-120" in st.content


def test_broker_csv_files_never_carry_a_spreadsheet_formula(client):
    tb = make_bank(2)
    services.record_exchange(
        by=tb.broker,
        payer=tb.account(0),
        payee=tb.account(1),
        minutes=30,
        description='=HYPERLINK("http://evil.example","Sewing")',
    )
    sign_in(client, tb.broker)
    data = rows(client.get(reverse("timebank_exchanges_csv", args=[tb.bank.slug])))
    cells = [cell for row in data for cell in row]
    assert '\'=HYPERLINK("http://evil.example","Sewing")' in cells
    assert not any(cell.startswith(("=", "+", "@")) for cell in cells)
    statement = rows(
        client.get(
            reverse("timebank_statement", args=[tb.bank.slug])
            + f"?account={tb.account(0).pk}&format=csv"
        )
    )
    assert any(cell.startswith("'=HYPERLINK") for row in statement for cell in row), statement


def test_demo_and_check_commands(capsys):
    from django.core.management import call_command

    from livingmap.timebank.models import TimeBank

    call_command("load_timebank_demo")
    bank = TimeBank.objects.get(slug="trafford-time-bank")
    assert bank.members.filter(status="active").count() == 24
    assert bank.members.filter(status="pending").count() == 2
    assert bank.members.filter(kind="organisation", asset__isnull=False).count() == 2
    assert set(bank.members.values_list("neighbourhood__level", flat=True)) == {"neighbourhood"}
    assert bank.exchanges.filter(status="pending").count() == 1
    assert bank.exchanges.filter(status="reversed").count() == 1
    call_command("load_timebank_demo")  # a second run changes nothing
    assert TimeBank.objects.filter(slug="trafford-time-bank").count() == 1
    call_command("timebank_check")
    assert "The ledger is sound" in capsys.readouterr().out


def test_officers_and_brokers_run_a_bank_only_after_two_factor_sign_in(client, tb):
    from django.contrib.auth.models import Group
    from django_otp.plugins.otp_totp.models import TOTPDevice

    url = reverse("timebank_broker", args=[tb.bank.slug])
    officer = make_user("officer")
    officer.groups.add(Group.objects.get(name="officer"))
    client.force_login(officer)
    response = client.get(url)
    assert response.status_code == 302 and "/two-factor/" in response["Location"]
    device = TOTPDevice.objects.create(user=officer, name="phone", confirmed=True)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    assert client.get(url).status_code == 200
    # A broker who is not an officer needs the second factor too; a member who is neither, no
    # entry.
    client.force_login(tb.broker)
    response = client.get(url)
    assert response.status_code == 302 and "/two-factor/" in response["Location"]
    sign_in(client, tb.broker)
    assert client.get(url).status_code == 200
    client.force_login(make_user("member"))
    assert client.get(url).status_code == 403
