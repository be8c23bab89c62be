"""Gifts and skills: visible only to the person, and with consent to connectors and officers;
every read by someone else logged and shown to the person; download and erase."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from livingmap.accounts import services
from livingmap.accounts.models import AccessLog, AssetChange, PersonalAsset, Suggestion
from livingmap.assets.models import Asset

from .conftest import sign_in


def test_gifts_are_never_public(client, personal):
    assert not Asset.objects.public().filter(pk=personal.asset_id).exists()
    assert client.get(f"/assets/{personal.asset.uuid}/").status_code == 404


def test_only_the_person_until_consent(client, cast, personal):
    url = reverse("personal_view", args=[personal.pk])
    for who in (cast.connector, cast.officer, cast.group_admin):
        sign_in(client, who)
        assert client.get(url).status_code == 403
    assert not AccessLog.objects.exists()
    sign_in(client, cast.resident)
    assert client.get(url).status_code == 200
    assert not AccessLog.objects.exists()  # the person's own reads are not logged
    client.post(reverse("personal_consent", args=[personal.pk]), {"consent_to_connectors": "on"})
    personal.refresh_from_db()
    assert personal.consent_to_connectors and personal.consent_recorded_at

    sign_in(client, cast.connector)
    assert personal in [r for r in client.get(reverse("personal_list")).context["records"]]
    assert client.get(url).status_code == 200
    sign_in(client, cast.group_admin)
    assert client.get(url).status_code == 403
    log = AccessLog.objects.get()
    assert log.reader == cast.connector and log.person == cast.resident

    sign_in(client, cast.resident)
    page = client.get(reverse("account_my_data")).content.decode()
    assert "Connector" in page and "Bike repairs" in page


def test_the_connector_cannot_change_consent(client, cast, personal):
    services.set_consent(record=personal, consent=True)
    sign_in(client, cast.connector)
    client.post(reverse("personal_consent", args=[personal.pk]), {})
    personal.refresh_from_db()
    assert personal.consent_to_connectors


def test_download_my_data(client, cast, personal):
    services.submit_suggestion(asset=cast.asset, proposed={"phone": "1"}, user=cast.resident)
    sign_in(client, cast.resident)
    response = client.get(reverse("account_my_data_download"))
    assert response["Content-Disposition"].startswith("attachment")
    data = json.loads(response.content)
    assert data["account"]["email"] == cast.resident.email
    assert data["gifts_and_skills"][0]["name"] == "Bike repairs"
    assert data["suggestions"][0]["proposed"] == {"phone": "1"}


def test_erase_my_data(client, cast, personal):
    services.submit_suggestion(
        asset=cast.asset, proposed={"phone": "1"}, email=cast.resident.email, note="me"
    )
    services.edit_asset(
        asset_id=cast.asset.pk,
        user=cast.resident,
        values={"phone": "0161 1"},
        version=services.version_of(cast.asset),
    )
    sign_in(client, cast.resident)
    assert client.post(reverse("account_erase"), {"password": "wrong"}).status_code == 400
    assert User.objects.filter(pk=cast.resident.pk).exists()
    response = client.post(reverse("account_erase"), {"password": "correct horse battery staple"})
    assert response.status_code == 200
    assert not User.objects.filter(pk=cast.resident.pk).exists()
    assert not PersonalAsset.objects.exists()
    assert not Asset.objects.filter(pk=personal.asset_id).exists()
    assert not Suggestion.objects.filter(email=cast.resident.email).exists()
    change = AssetChange.objects.get(asset=cast.asset)
    assert change.user is None  # the map's history stays, anonymised
    assert client.get(reverse("account_home")).status_code == 302


def test_other_apps_add_to_the_download_and_erase_through_the_hooks(client, cast):
    """accounts imports no other app: apps connect to its signals (the time bank does; see
    timebank/tests/test_privacy.py for its real part)."""
    from livingmap.accounts.signals import personal_data_erase, personal_data_export

    erased = []

    def export(sender, user, **kwargs):
        return {"elsewhere": [{"who": user.email}]}

    def erase(sender, user, **kwargs):
        # called inside the erasure's transaction, while the account still exists
        erased.append(User.objects.filter(pk=user.pk).exists())

    personal_data_export.connect(export, dispatch_uid="test_export")
    personal_data_erase.connect(erase, dispatch_uid="test_erase")
    try:
        sign_in(client, cast.resident)
        data = json.loads(client.get(reverse("account_my_data_download")).content)
        assert data["elsewhere"] == [{"who": cast.resident.email}]
        assert "time_banks" in data  # the time bank is connected, as it is on the site
        client.post(reverse("account_erase"), {"password": "correct horse battery staple"})
        assert erased == [True]
        assert not User.objects.filter(pk=cast.resident.pk).exists()
    finally:
        personal_data_export.disconnect(dispatch_uid="test_export")
        personal_data_erase.disconnect(dispatch_uid="test_erase")


def test_a_failing_part_of_an_erasure_undoes_all_of_it(cast, personal):
    from livingmap.accounts.signals import personal_data_erase

    def fail(sender, user, **kwargs):
        raise RuntimeError("the other app could not erase")

    personal_data_erase.connect(fail, dispatch_uid="test_fail")
    try:
        with pytest.raises(RuntimeError):
            services.erase_my_data(cast.resident)
    finally:
        personal_data_erase.disconnect(dispatch_uid="test_fail")
    assert User.objects.filter(pk=cast.resident.pk).exists()
    assert PersonalAsset.objects.filter(pk=personal.pk).exists()
