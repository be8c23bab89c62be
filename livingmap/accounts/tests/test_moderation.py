"""Suggestions from anyone, and the moderation queue: diff, approve, reject, merge."""

from __future__ import annotations

from django.core import mail
from django.urls import reverse

from livingmap.accounts import services
from livingmap.accounts.models import AssetChange, Status, Suggestion
from livingmap.assets.models import Asset

from .conftest import sign_in


def _suggest_form(asset: Asset, **changes) -> dict:
    data = {k: ("" if v is None else v) for k, v in services.snapshot(asset).items()}
    data.update(changes)
    return data


def test_resident_without_account_suggests_a_change_an_officer_approves(client, cast):
    asset = cast.asset
    url = reverse("asset_suggest", args=[asset.uuid])
    assert client.get(url).status_code == 200
    # no email: refused with a message
    response = client.post(url, _suggest_form(asset, phone="0161 555 0101"))
    assert response.status_code == 400 and "Enter your email address" in response.content.decode()
    response = client.post(
        url, _suggest_form(asset, phone="0161 555 0101", your_email="neighbour@example.org")
    )
    assert response.status_code == 200 and "Suggestion sent" in response.content.decode()
    suggestion = Suggestion.objects.get(asset=asset)
    assert suggestion.proposed == {"phone": "0161 555 0101"}  # only what changed
    assert suggestion.email == "neighbour@example.org"

    sign_in(client, cast.officer)
    page = client.get(reverse("moderation_suggestion", args=[suggestion.pk])).content.decode()
    assert "0161 555 0101" in page and "Phone" in page
    assert (
        client.post(
            reverse("moderation_suggestion", args=[suggestion.pk]), {"action": "approve"}
        ).status_code
        == 302
    )
    asset.refresh_from_db()
    assert asset.phone == "0161 555 0101"
    change = AssetChange.objects.get(asset=asset)
    assert change.user == cast.officer and change.changes["phone"][1] == "0161 555 0101"
    assert mail.outbox[-1].to == ["neighbour@example.org"]


def test_honeypot_and_rate_limit_stop_spam(client, cast):
    url = reverse("asset_suggest", args=[cast.asset.uuid])
    spam = _suggest_form(
        cast.asset, phone="1", your_email="bot@example.org", homepage="http://spam"
    )
    response = client.post(url, spam)
    assert response.status_code == 400 and "looks automated" in response.content.decode()
    assert not Suggestion.objects.exists()
    ok = dict(spam, homepage="")
    statuses = [client.post(url, dict(ok, phone=str(i))).status_code for i in range(22)]
    assert statuses[0] == 200 and statuses[-1] == 429
    assert Suggestion.objects.count() == 19  # the 20th request of the hour was the spam one


def test_unchanged_suggestion_is_refused(client, cast):
    response = client.post(
        reverse("asset_suggest", args=[cast.asset.uuid]),
        _suggest_form(cast.asset, your_email="a@example.org"),
    )
    assert response.status_code == 400 and "not changed anything" in response.content.decode()
    assert not Suggestion.objects.exists()


def test_reject_with_a_reason_sent_back(client, cast):
    client.force_login(cast.resident)
    client.post(
        reverse("asset_suggest", args=[cast.asset.uuid]),
        _suggest_form(cast.asset, description="It is closed forever"),
    )
    suggestion = Suggestion.objects.get()
    assert suggestion.user == cast.resident and suggestion.email == ""
    # the asset's own admin decides it, without needing an officer
    sign_in(client, cast.group_admin)
    assert suggestion in client.get(reverse("moderation_queue")).context["suggestions"]
    url = reverse("moderation_suggestion", args=[suggestion.pk])
    assert client.post(url, {"action": "reject", "reason": ""}).status_code == 400
    assert (
        client.post(url, {"action": "reject", "reason": "It is open on Mondays"}).status_code == 302
    )
    suggestion.refresh_from_db()
    assert suggestion.status == Status.REJECTED
    assert mail.outbox[-1].to == [cast.resident.email] and "open on Mondays" in mail.outbox[-1].body
    cast.asset.refresh_from_db()
    assert cast.asset.description != "It is closed forever"


def test_other_groups_admin_cannot_decide(client, cast):
    suggestion = services.submit_suggestion(
        asset=cast.asset, proposed={"phone": "1"}, email="x@example.org"
    )
    sign_in(client, cast.other_admin)
    assert suggestion not in client.get(reverse("moderation_queue")).context["suggestions"]
    url = reverse("moderation_suggestion", args=[suggestion.pk])
    assert client.post(url, {"action": "approve"}).status_code == 403


def test_new_asset_suggestion_merged_into_a_likely_duplicate(client, cast):
    existing = cast.asset
    response = client.post(
        reverse("asset_suggest_new"),
        {
            "name": existing.name,
            "kind": "institution",
            "postcode": existing.postcode,
            "opening_hours": "Mon-Fri 9-5",
            "your_email": "helper@example.org",
        },
    )
    assert response.status_code == 200, response.content.decode()[:3000]
    suggestion = Suggestion.objects.get(asset__isnull=True)
    sign_in(client, cast.officer)
    page = client.get(reverse("moderation_suggestion", args=[suggestion.pk]))
    assert existing in page.context["duplicates"]
    before = Asset.objects.count()
    response = client.post(
        reverse("moderation_suggestion", args=[suggestion.pk]),
        {"action": "merge", "target": str(existing.uuid)},
    )
    assert response.status_code == 302
    assert Asset.objects.count() == before
    existing.refresh_from_db()
    suggestion.refresh_from_db()
    assert suggestion.status == Status.MERGED and suggestion.result == existing
    if not services.snapshot(existing).get("opening_hours"):
        raise AssertionError("blank opening hours should have been filled")


def test_approving_a_new_asset_puts_it_on_the_map(client, cast):
    suggestion = services.submit_suggestion(
        asset=None,
        proposed={
            "name": "Hale Repair Cafe",
            "kind": "association",
            "postcode": "WA14 1AH",
            "categories": [],
        },
        email="fixer@example.org",
    )
    sign_in(client, cast.officer)
    client.post(reverse("moderation_suggestion", args=[suggestion.pk]), {"action": "approve"})
    asset = Asset.objects.public().get(name="Hale Repair Cafe")
    assert asset.lat is not None and asset.area_links.exists()
