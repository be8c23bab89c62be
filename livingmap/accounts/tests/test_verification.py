"""Review reminders with a one-click "still correct", escalation, staleness, freshness."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from livingmap.accounts import selectors, services
from livingmap.accounts.models import AssetChange, ChangeKind, ReviewReminder
from livingmap.assets.models import Asset, AssetArea

from .conftest import sign_in


def _age(asset: Asset, days: int | None) -> None:
    when = None if days is None else timezone.now() - timedelta(days=days)
    Asset.objects.filter(pk=asset.pk).update(last_verified_at=when)
    asset.refresh_from_db()


def test_reminders_need_the_sites_address_for_their_links(cast, settings):
    _age(cast.asset, settings.LIVINGMAP_REVIEW_AFTER_DAYS + 10)
    with pytest.raises(CommandError, match="--base-url"):
        call_command("send_review_reminders")
    assert not ReviewReminder.objects.exists() and not mail.outbox


def test_reminder_then_one_click_still_correct(client, cast, settings):
    _age(cast.asset, settings.LIVINGMAP_REVIEW_AFTER_DAYS + 10)
    call_command("send_review_reminders", "--base-url", "http://testserver")
    reminder = ReviewReminder.objects.get(asset=cast.asset)
    message = next(m for m in mail.outbox if cast.group_admin.email in m.to)
    link = re.search(r"http://testserver(/still-correct/\S+)", message.body).group(1)
    # a second run in the same period does not remind again
    call_command("send_review_reminders", "--base-url", "http://testserver")
    assert ReviewReminder.objects.filter(asset=cast.asset).count() == 1

    page = client.get(link)  # a link scanner only GETs: nothing changes
    assert page.status_code == 200 and "still correct" in page.content.decode()
    cast.asset.refresh_from_db()
    assert cast.asset.last_verified_at < timezone.now() - timedelta(days=300)
    assert client.post(link).status_code == 200
    cast.asset.refresh_from_db()
    reminder.refresh_from_db()
    assert cast.asset.last_verified_at > timezone.now() - timedelta(minutes=1)
    assert reminder.answered_at is not None
    assert AssetChange.objects.filter(asset=cast.asset, kind=ChangeKind.VERIFIED).exists()
    assert client.get(reverse("still_correct", args=["tampered"])).status_code == 400


def test_unanswered_reminders_escalate_to_officers(cast, settings):
    _age(cast.asset, None)
    later = timezone.now() + timedelta(days=settings.LIVINGMAP_ESCALATE_AFTER_DAYS + 1)
    first = services.send_review_reminders()
    assert first.reminded >= 1
    mail.outbox.clear()
    run = services.send_review_reminders(now=later)
    assert run.escalated >= 1
    reminder = ReviewReminder.objects.get(asset=cast.asset)
    assert reminder.escalated_at is not None
    officer_mail = [m for m in mail.outbox if cast.officer.email in m.to]
    assert officer_mail and cast.asset.name in officer_mail[0].body
    assert services.send_review_reminders(now=later).escalated == 0  # only once


def test_a_sign_of_life_answers_the_reminder(cast):
    _age(cast.asset, None)
    services.send_review_reminders()
    services.record_sign_of_life(cast.asset, "participation")
    assert ReviewReminder.objects.get(asset=cast.asset).answered_at is not None
    cast.asset.refresh_from_db()
    assert not selectors.is_stale(cast.asset)


def test_stale_assets_show_not_verified_since_and_are_never_deleted(client, cast, settings):
    _age(cast.asset, settings.LIVINGMAP_STALE_AFTER_DAYS + 30)
    page = client.get(cast.asset.get_absolute_url())
    assert page.status_code == 200
    text = page.content.decode()
    assert "Not verified since" in text
    _age(cast.asset, 3)
    assert "Not verified since" not in client.get(cast.asset.get_absolute_url()).content.decode()


def test_admin_confirms_from_the_asset_page(client, cast):
    _age(cast.asset, None)
    sign_in(client, cast.group_admin)
    assert client.post(reverse("asset_verify", args=[cast.asset.uuid])).status_code == 302
    cast.asset.refresh_from_db()
    assert cast.asset.last_verified_at is not None
    sign_in(client, cast.resident)
    assert client.post(reverse("asset_verify", args=[cast.asset.uuid])).status_code == 403


def test_freshness_dashboard_counts_by_neighbourhood_and_kind(client, cast, settings):
    rows = selectors.freshness()
    public_in_neighbourhoods = (
        Asset.objects.public().filter(area_links__area__level="neighbourhood").count()
    )
    in_rows = [r for r in rows if r.neighbourhood != selectors.NO_NEIGHBOURHOOD]
    assert sum(r.total for r in in_rows) == public_in_neighbourhoods
    before = {(r.neighbourhood, r.kind): r for r in rows}
    _age(cast.asset, 1)
    after = {(r.neighbourhood, r.kind): r for r in selectors.freshness()}
    assert sum(r.fresh for r in after.values()) == sum(r.fresh for r in before.values()) + len(
        [link for link in cast.asset.area_links.all() if link.area.level == "neighbourhood"]
    )
    sign_in(client, cast.officer)
    page = client.get(reverse("officer_freshness"))
    assert page.status_code == 200 and rows[0].neighbourhood in page.content.decode()
    sign_in(client, cast.group_admin)
    assert client.get(reverse("officer_freshness")).status_code == 403


def test_freshness_covers_every_asset_even_those_in_no_neighbourhood(client, cast):
    public = Asset.objects.public()
    outside = public.exclude(area_links__area__level="neighbourhood")
    assert outside.filter(lat__isnull=True).exists() and outside.filter(lat__isnull=False).exists()
    rows = selectors.freshness()
    not_in_any = [r for r in rows if r.neighbourhood == selectors.NO_NEIGHBOURHOOD]
    assert sum(r.total for r in not_in_any) == outside.count()
    totals = selectors.freshness_totals()
    assert totals.total == public.count()
    # an asset in two (overlapping) neighbourhoods is in both rows; otherwise rows add up
    links = AssetArea.objects.filter(
        asset__in=public, area__level="neighbourhood", area__is_current=True
    ).count()
    assert sum(r.total for r in rows) == links + outside.count()
    sign_in(client, cast.officer)
    page = client.get(reverse("officer_freshness")).content.decode()
    assert selectors.NO_NEIGHBOURHOOD in page
    assert f"In all, {totals.total:,} public assets: {totals.fresh:,} fresh" in page
