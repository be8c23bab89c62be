"""Claiming, editing with history, lost-update protection, reverting, adding assets."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from livingmap.accounts import services
from livingmap.accounts.models import AssetAdmin, AssetChange, ChangeKind, Claim
from livingmap.assets.models import Asset

from .conftest import sign_in


def _form(asset: Asset, **changes) -> dict:
    data = {k: v for k, v in services.snapshot(asset).items() if k != "categories"}
    data["categories"] = services.snapshot(asset)["categories"]
    data["version"] = services.version_of(asset)
    data = {k: ("" if v is None else v) for k, v in data.items()}
    data.update(changes)
    return data


def test_a_group_claims_its_listing_and_an_officer_approves(client, cast):
    sign_in(client, cast.resident)
    url = reverse("asset_claim", args=[cast.asset.uuid])
    assert client.post(url, {"role": "", "message": ""}).status_code == 400
    assert client.post(url, {"role": "Chair", "message": "Ring the library"}).status_code == 302
    claim = Claim.objects.get(user=cast.resident, asset=cast.asset)
    # the resident cannot edit yet
    assert client.get(reverse("asset_edit", args=[cast.asset.uuid])).status_code == 403

    officer = client.__class__()
    sign_in(officer, cast.officer)
    queue = officer.get(reverse("moderation_queue")).content.decode()
    assert cast.asset.name in queue
    response = officer.post(reverse("moderation_claim", args=[claim.pk]), {"action": "approve"})
    assert response.status_code == 302
    assert AssetAdmin.objects.filter(user=cast.resident, asset=cast.asset).exists()
    assert mail.outbox[-1].to == [cast.resident.email]

    client.force_login(cast.resident)  # roles are read afresh on the next request
    assert client.get(reverse("asset_edit", args=[cast.asset.uuid])).status_code == 200


def test_a_rejected_claim_sends_the_reason(client, cast):
    claim = services.submit_claim(user=cast.resident, asset=cast.asset, role="Member")
    sign_in(client, cast.officer)
    url = reverse("moderation_claim", args=[claim.pk])
    assert client.post(url, {"action": "reject", "reason": ""}).status_code == 400
    client.post(url, {"action": "reject", "reason": "We could not check it"})
    claim.refresh_from_db()
    assert claim.status == "rejected"
    assert "We could not check it" in mail.outbox[-1].body
    assert not AssetAdmin.objects.filter(user=cast.resident, asset=cast.asset).exists()


def test_group_admin_edits_their_asset_with_history_and_a_sign_of_life(client, cast):
    sign_in(client, cast.group_admin)
    asset = cast.asset
    url = reverse("asset_edit", args=[asset.uuid])
    assert asset.postcode != "M32 0TH"
    response = client.post(url, _form(asset, phone="0161 912 0000", postcode="M32 0TH"))
    assert response.status_code == 302, response.content.decode()[:2000]
    asset.refresh_from_db()
    assert asset.phone == "0161 912 0000" and asset.postcode == "M32 0TH"
    assert asset.last_verified_at is not None
    change = AssetChange.objects.get(asset=asset, kind=ChangeKind.EDITED)
    assert change.user == cast.group_admin
    assert change.changes["phone"][1] == "0161 912 0000"
    assert "lat" in change.changes  # the new postcode moved it
    assert asset.area_links.exists()
    history = client.get(reverse("asset_history", args=[asset.uuid])).content.decode()
    assert "0161 912 0000" in history
    # not another group's asset
    assert client.get(reverse("asset_edit", args=[cast.other_asset.uuid])).status_code == 403


def test_edit_refuses_unknown_postcodes_with_a_message(client, cast):
    sign_in(client, cast.group_admin)
    url = reverse("asset_edit", args=[cast.asset.uuid])
    for postcode, message in (
        ("NOT A CODE", "Enter a real postcode"),
        ("ZZ9 9ZZ", "could not find"),
    ):
        response = client.post(url, _form(cast.asset, postcode=postcode))
        assert response.status_code == 400
        assert message in response.content.decode()
    assert not AssetChange.objects.filter(asset=cast.asset).exists()


def test_second_editor_is_told_and_nothing_is_overwritten(client, cast):
    asset = cast.asset
    stale_form = _form(asset, phone="0161 000 1111")
    first = client.__class__()
    sign_in(first, cast.officer)
    assert (
        first.post(
            reverse("asset_edit", args=[asset.uuid]), _form(asset, phone="0161 222 3333")
        ).status_code
        == 302
    )

    sign_in(client, cast.group_admin)
    response = client.post(reverse("asset_edit", args=[asset.uuid]), stale_form)
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone else changed this asset" in page and "0161 222 3333" in page
    asset.refresh_from_db()
    assert asset.phone == "0161 222 3333"
    # saving again from the re-shown form (which carries the new version) is a choice made
    data = dict(stale_form)
    data["version"] = services.version_of(asset)
    assert client.post(reverse("asset_edit", args=[asset.uuid]), data).status_code == 302
    asset.refresh_from_db()
    assert asset.phone == "0161 000 1111"


def test_officer_reverts_a_change(client, cast):
    asset = cast.asset
    old_name = asset.name
    change = services.edit_asset(
        asset_id=asset.pk,
        user=cast.group_admin,
        values={"name": "Vandalised name"},
        version=services.version_of(asset),
    )
    sign_in(client, cast.group_admin)
    assert client.post(reverse("asset_revert", args=[asset.uuid, change.pk])).status_code == 403
    sign_in(client, cast.officer)
    assert client.post(reverse("asset_revert", args=[asset.uuid, change.pk])).status_code == 302
    asset.refresh_from_db()
    assert asset.name == old_name
    assert AssetChange.objects.filter(asset=asset, kind=ChangeKind.REVERTED).exists()


def test_group_admin_adds_an_asset_of_their_own(client, cast):
    sign_in(client, cast.group_admin)
    response = client.post(
        reverse("asset_add"),
        {"name": "Tuesday Knit and Natter", "kind": "association", "postcode": "WA14 1AH"},
    )
    assert response.status_code == 302
    new = Asset.objects.get(name="Tuesday Knit and Natter")
    assert AssetAdmin.objects.filter(user=cast.group_admin, asset=new).exists()
    assert new.lat is not None and new.area_links.exists()
    assert client.get(new.get_absolute_url()).status_code == 200
    sign_in(client, cast.resident)
    assert client.get(reverse("asset_add")).status_code == 403


def test_asset_page_shows_the_right_actions(client, cast):
    page = client.get(cast.asset.get_absolute_url()).content.decode()
    assert (
        "Suggest a change" in page
        and "Sign in to claim" in page
        and "Edit this listing" not in page
    )
    sign_in(client, cast.group_admin)
    page = client.get(cast.asset.get_absolute_url()).content.decode()
    assert "Edit this listing" in page and "still correct" in page


def _as_a_browser_sends(page) -> dict:
    """The edit form exactly as the page filled it in, as a browser would send it unchanged."""
    form = page.context["form"]
    data = {}
    for field in form:
        value = field.value()
        data[field.html_name] = "" if value is None else value
    return data


@pytest.mark.parametrize("name", ["Coppice Library", "Altrincham Library"])
def test_saving_the_edit_form_unchanged_moves_nothing_and_records_nothing(client, cast, name):
    asset = Asset.objects.public().get(name=name)
    point, version = (asset.lon, asset.lat), services.version_of(asset)
    sign_in(client, cast.officer)
    url = reverse("asset_edit", args=[asset.uuid])
    response = client.post(url, _as_a_browser_sends(client.get(url)), follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert "You did not change anything" in page and "Your changes are saved" not in page
    asset.refresh_from_db()
    assert (asset.lon, asset.lat) == point  # not moved to its postcode's centre
    assert services.version_of(asset) == version  # nothing was saved
    assert not AssetChange.objects.filter(asset=asset).exists()


def test_only_a_new_postcode_moves_the_asset(client, cast):
    asset = Asset.objects.public().get(name="Coppice Library")
    point = (asset.lon, asset.lat)
    sign_in(client, cast.officer)
    url = reverse("asset_edit", args=[asset.uuid])
    # the same postcode typed differently is not a new one
    typed = _form(asset, postcode=asset.postcode.lower().replace(" ", ""), phone="0161 912 1111")
    assert client.post(url, typed).status_code == 302
    asset.refresh_from_db()
    assert (asset.lon, asset.lat) == point
    assert set(AssetChange.objects.get(asset=asset).changes) == {"phone"}


def test_an_officer_reverts_a_move_and_the_exact_point_comes_back(client, cast):
    asset = Asset.objects.public().get(name="Altrincham Library")
    point = (asset.lon, asset.lat)
    change = services.edit_asset(
        asset_id=asset.pk,
        user=cast.officer,
        values={"postcode": "M32 0TH"},
        version=services.version_of(asset),
    )
    asset.refresh_from_db()
    assert (asset.lon, asset.lat) != point
    sign_in(client, cast.officer)
    assert client.post(reverse("asset_revert", args=[asset.uuid, change.pk])).status_code == 302
    asset.refresh_from_db()
    assert asset.postcode == "WA14 1AH" and (asset.lon, asset.lat) == point


def test_an_asset_whose_postcode_is_outside_the_area_can_still_be_edited(client, cast):
    """Hundreds of demo charities are registered at postcodes the local table does not hold;
    keeping that postcode unchanged must not stop an officer correcting the phone number."""
    asset = Asset.objects.public().filter(lat__isnull=True).exclude(postcode="").order_by("name")[0]
    sign_in(client, cast.officer)
    url = reverse("asset_edit", args=[asset.uuid])
    response = client.post(url, _form(asset, phone="0161 912 2222"))
    assert response.status_code == 302, response.content.decode()[:2000]
    asset.refresh_from_db()
    assert asset.phone == "0161 912 2222" and asset.lat is None
    # a new postcode must still be a real one
    assert client.post(url, _form(asset, postcode="ZZ9 9ZZ")).status_code == 400


@pytest.mark.parametrize("change", [{}, {"phone": "0161 912 3333"}])
def test_saving_an_unlocated_asset_gives_it_its_postcodes_point(client, cast, change):
    """An asset imported before its postcode was in the table has a postcode and no point;
    any later save (even with nothing typed) looks the postcode up, as a new postcode would."""
    from livingmap.areas.selectors import point_for_postcode

    asset = Asset.objects.public().get(name="Coppice Library")
    Asset.objects.filter(pk=asset.pk).update(lon=None, lat=None)
    asset.area_links.all().delete()  # as an asset with no point is in no area
    asset.refresh_from_db()
    sign_in(client, cast.officer)
    response = client.post(reverse("asset_edit", args=[asset.uuid]), _form(asset, **change))
    assert response.status_code == 302
    asset.refresh_from_db()
    assert (asset.lon, asset.lat) == point_for_postcode(asset.postcode)
    assert asset.area_links.exists()  # and so it is in its ward and neighbourhood again
    recorded = AssetChange.objects.get(asset=asset).changes
    assert recorded["lat"] == [None, asset.lat] and set(recorded) == {"lon", "lat", *change}


def test_a_point_from_the_map_is_kept_when_a_postcode_is_added(cast):
    asset = Asset.objects.public().filter(lat__isnull=False, postcode="").order_by("name")[0]
    point = (asset.lon, asset.lat)
    services.edit_asset(
        asset_id=asset.pk,
        user=cast.officer,
        values={"postcode": "M32 0TH"},
        version=services.version_of(asset),
    )
    asset.refresh_from_db()
    assert asset.postcode == "M32 0TH" and (asset.lon, asset.lat) == point


def test_optional_is_said_once(client, cast):
    sign_in(client, cast.officer)
    for url, label in (
        (reverse("asset_claim", args=[cast.other_asset.uuid]), "How can we check you run it?"),
        (reverse("asset_suggest", args=[cast.asset.uuid]), "Anything else we should know"),
        (reverse("asset_edit", args=[cast.asset.uuid]), "What changed and why"),
    ):
        page = client.get(url).content.decode()
        assert f"{label} (optional)" in page, url
        assert "(optional) (optional)" not in page, url
