"""Suggestions from anyone, and the moderation queue: diff, approve, reject, merge."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.db.models import Count
from django.urls import reverse

from livingmap.accounts import services
from livingmap.accounts.models import AssetChange, Status, Suggestion
from livingmap.assets.models import Asset, Category

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
    assert response.status_code == 302  # post/redirect/get: a refresh sends nothing again
    assert "Suggestion sent" in client.get(response.url).content.decode()
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
    assert statuses[0] == 302 and statuses[-1] == 429
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
    assert response.status_code == 302, response.content.decode()[:3000]
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


def test_the_order_of_categories_is_not_a_change(client, cast):
    asset = (
        Asset.objects.public().annotate(n=Count("categories")).filter(n__gte=2).order_by("name")[0]
    )
    slugs = services.snapshot(asset)["categories"]
    data = _suggest_form(asset, phone="0161 555 0202", your_email="n@example.org")
    data["categories"] = list(reversed(slugs))
    assert client.post(reverse("asset_suggest", args=[asset.uuid]), data).status_code == 302
    suggestion = Suggestion.objects.get(asset=asset)
    assert suggestion.proposed == {"phone": "0161 555 0202"}
    sign_in(client, cast.officer)
    page = client.get(reverse("moderation_suggestion", args=[suggestion.pk])).content.decode()
    assert "Categories" not in page and "0161 555 0202" in page
    # one stored before the fix, with only the order changed, shows no change either
    old = Suggestion.objects.create(
        asset=asset, proposed={"categories": list(reversed(slugs))}, email="n@example.org"
    )
    page = client.get(reverse("moderation_suggestion", args=[old.pk])).content.decode()
    assert "Categories" not in page and "Nothing would change" in page


def test_a_suggested_new_asset_is_shown_in_peoples_words_with_a_way_back(client, cast):
    response = client.post(
        reverse("asset_suggest_new"),
        {
            "name": "Gorse Hill Community Orchard",
            "kind": "physical",
            "categories": ["green-space", "allotment"],
            "postcode": "M32 0TH",
            "your_email": "grower@example.org",
        },
    )
    assert response.status_code == 302
    suggestion = Suggestion.objects.get(asset__isnull=True)
    sign_in(client, cast.officer)
    page = client.get(reverse("moderation_suggestion", args=[suggestion.pk])).content.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "Kind Buildings, land and green space" in text
    assert "Categories Allotments, Parks and green spaces" in text
    assert "green-space" not in text and "Kind physical" not in text
    assert "<ins" not in page and "govuk-summary-list" in page  # nothing looks like a link
    assert "Opening hours Not given" in text
    assert f'href="{reverse("moderation_queue")}"' in page


def test_the_public_forms_offer_no_private_categories(client, cast):
    private = Category.objects.filter(kind="gifts").values_list("slug", flat=True)
    assert private  # the taxonomy has "Gifts and skills"
    form = client.get(reverse("asset_suggest_new")).context["form"]
    offered = {value for value, _label in form.fields["categories"].choices}
    assert offered and not offered & set(private)
    assert "Gifts and skills" not in client.get(reverse("asset_suggest_new")).content.decode()
    response = client.post(
        reverse("asset_suggest_new"),
        {
            "name": "My skills",
            "kind": "association",
            "categories": list(private),
            "your_email": "x@example.org",
        },
    )
    assert response.status_code == 400 and not Suggestion.objects.exists()


def test_the_same_suggestion_sent_twice_is_kept_once(client, cast):
    url = reverse("asset_suggest", args=[cast.asset.uuid])
    data = _suggest_form(cast.asset, phone="0161 555 0303", your_email="twice@example.org")
    first, second = client.post(url, data), client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert first.url == second.url == reverse("asset_suggest_done", args=[cast.asset.uuid])
    assert Suggestion.objects.filter(asset=cast.asset, status=Status.PENDING).count() == 1
    # a different change from the same person is a new suggestion
    client.post(url, dict(data, phone="0161 555 0404"))
    assert Suggestion.objects.filter(asset=cast.asset, status=Status.PENDING).count() == 2


def test_a_double_click_stores_one_waiting_suggestion(cast):
    """Two clicks at the same moment: the other click's suggestion is stored between this one's
    start and its insert. The database refuses a second waiting suggestion with the same key, and
    the service returns the one stored first. Once that is decided, the same change may be
    suggested again."""
    from django.db import IntegrityError, transaction

    proposed = {"phone": "0161 555 0505"}
    args = {"asset": cast.asset, "user": None, "email": "Click@Example.org", "note": "New number"}
    key = services.pending_key(proposed=proposed, **{**args, "email": "click@example.org"})
    first = Suggestion.objects.create(
        proposed=proposed, original={"phone": cast.asset.phone}, pending_key=key, **args
    )  # the other click's
    with pytest.raises(IntegrityError), transaction.atomic():
        Suggestion.objects.create(proposed=proposed, pending_key=key, **args)
    assert services.submit_suggestion(proposed=dict(proposed), **args) == first
    assert Suggestion.objects.filter(asset=cast.asset, status=Status.PENDING).count() == 1
    # a different note, person or change is a different suggestion
    services.submit_suggestion(proposed=dict(proposed), **{**args, "note": "Other"})
    assert Suggestion.objects.filter(asset=cast.asset, status=Status.PENDING).count() == 2

    services.reject_suggestion(suggestion=first, moderator=cast.officer, reason="Not yet")
    again = services.submit_suggestion(proposed=dict(proposed), **args)
    assert again != first and again.status == Status.PENDING


def test_a_wrong_postcode_is_one_clear_message(client, cast):
    response = client.post(
        reverse("asset_suggest_new"),
        {"name": "Somewhere", "kind": "association", "postcode": "bad", "your_email": "a@b.org"},
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Enter a real postcode, like M32 0TH" in page
    assert "is not a postcode" not in page and "A postcode looks like" not in page
