"""Participation: recording (with permissions), suppression, shares, trends and downloads."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django_otp.plugins.otp_totp.models import TOTPDevice

from livingmap.accounts.models import AssetAdmin
from livingmap.areas.models import Area
from livingmap.assets.models import Asset
from livingmap.insights import selectors
from livingmap.insights.demo import load_insights_demo
from livingmap.insights.models import Activity, ActivityCategory, ParticipationRecord
from livingmap.insights.services import ParticipationError, add_activity, record_participation

pytestmark = pytest.mark.django_db

MONTH = date(2025, 3, 1)


@pytest.fixture
def group() -> Asset:
    return Asset.objects.public().filter(categories__slug="food-bank").order_by("name").first()


@pytest.fixture
def other() -> Asset:
    return Asset.objects.public().filter(categories__slug="library").order_by("name").first()


def _user(name: str):
    return get_user_model().objects.create_user(name, f"{name}@example.org", "a long passphrase 1")


def test_suppress_small_numbers():
    assert [selectors.suppress(n) for n in (0, 1, 4, 5, 12)] == [0, "<5", "<5", 5, 12]


def test_secondary_suppression_stops_back_calculation():
    table = selectors.suppressed_table(
        ["A", "B", "C"], [("Food", [3, 10, 20]), ("Sport", [2, 1, 9])]
    )
    food = table.rows[0]
    # One small cell plus a total would give it away: the next smallest is hidden too, as
    # "[c]" (it is not a small number; it is hidden so that the 3 cannot be worked out).
    assert food[1] == ["<5", "[c]", 20]
    assert food[2] == 33
    assert table.rows[1][1] == ["<5", "<5", 9]
    tiny = selectors.suppressed_table(["A"], [("Arts", [3])])
    assert tiny.rows[0][2] == "<5"


def test_record_participation_validates_the_split(group):
    activity = add_activity(group, "Pantry", ActivityCategory.FOOD)
    central = Area.objects.neighbourhoods().get(slug="central")
    with pytest.raises(ParticipationError):
        record_participation(activity, MONTH, 10, {central: 11})
    with pytest.raises(ParticipationError):
        record_participation(activity, MONTH, -1)
    record = record_participation(activity, date(2025, 3, 17), 10, {central: 6})
    assert record.month == MONTH and record.splits.get().participants == 6
    group.refresh_from_db()
    assert group.last_verified_at is not None  # a sign of life


def test_area_totals_suppress_small_numbers_on_page_api_and_csv(client, group, other):
    central = Area.objects.neighbourhoods().get(slug="central")
    food = add_activity(group, "Pantry", ActivityCategory.FOOD)
    arts = add_activity(other, "Knit and natter", ActivityCategory.ARTS)
    record_participation(food, MONTH, 40, {central: 3})
    record_participation(arts, MONTH, 3)
    by_month = selectors.area_totals_by_month()
    rows = {label: (cells, total) for label, cells, total in by_month.rows}
    arts_label = ActivityCategory.ARTS.label
    assert rows[arts_label][1] == "<5"
    assert "<5" in rows[arts_label][0] and 3 not in rows[arts_label][0]
    by_hood = selectors.area_totals_by_neighbourhood()
    food_row = next(r for r in by_hood.rows if r[0] == ActivityCategory.FOOD.label)
    assert food_row[1][by_hood.columns.index("Central")] == "<5"
    # "Not recorded" is 37: hidden too, or Central's 3 = 40 - 37 could be worked out.
    assert food_row[1][by_hood.columns.index("Not recorded")] == "[c]"
    html = client.get("/participation/").content.decode()
    assert "&lt;5" in html
    api = client.get("/api/insights/participation").json()
    arts_api = next(r for r in api["by_month"]["rows"] if r["activity"] == arts_label)
    assert arts_api["total"] == "<5"
    body = b"".join(client.get("/open-data/participation-csv/").streaming_content).decode()
    rows_csv = list(csv.DictReader(io.StringIO(body)))
    arts_rows = [r for r in rows_csv if r["activity_category"] == arts_label]
    assert arts_rows and {r["participants"] for r in arts_rows} <= {"0", "<5"}
    assert not any(r["participants"] in {"1", "2", "3", "4"} for r in rows_csv)


def test_group_share_of_the_area_total(client, group, other):
    mine = add_activity(group, "Pantry", ActivityCategory.FOOD)
    theirs = add_activity(other, "Community meal", ActivityCategory.FOOD)
    record_participation(mine, MONTH, 30)
    record_participation(theirs, MONTH, 90)
    rows = selectors.group_shares(group)
    row = next(r for r in rows if r.month == MONTH)
    assert (row.group, row.area) == (30, 120)
    assert row.public_share == pytest.approx(0.25)
    html = client.get(f"/participation/groups/{group.uuid}/").content.decode()
    assert "25%" in html and "120" in html
    body = b"".join(
        client.get(f"/participation/groups/{group.uuid}/share.csv").streaming_content
    ).decode()
    line = next(r for r in csv.DictReader(io.StringIO(body)) if r["month"] == "2025-03")
    assert (line["group_participants"], line["area_participants"], line["share"]) == (
        "30",
        "120",
        "0.25",
    )
    # When everyone else is a small number, the share is not shown.
    record_participation(theirs, MONTH, 2)
    row = next(r for r in selectors.group_shares(group) if r.month == MONTH)
    assert row.public_share is None and row.public_area == 32


def test_only_the_groups_admins_and_officers_can_record(client, group, other):
    url = f"/participation/groups/{group.uuid}/record/"
    post = {"new_activity": "Pantry", "category": "food", "month": "2025-03", "participants": "12"}
    assert client.get(url).status_code == 302  # sign in first
    stranger = _user("stranger")
    client.force_login(stranger)
    assert client.post(url, post).status_code == 403
    admin_of_other = _user("otheradmin")
    AssetAdmin.objects.create(user=admin_of_other, asset=other)
    client.force_login(admin_of_other)
    assert client.post(url, post).status_code == 403
    admin = _user("groupadmin")
    AssetAdmin.objects.create(user=admin, asset=group)
    client.force_login(admin)
    response = client.post(url, post)
    assert response.status_code == 302
    assert ParticipationRecord.objects.get(activity__asset=group, month=MONTH).participants == 12
    officer = _user("officer")
    officer.groups.add(Group.objects.get_or_create(name="officer")[0])
    client.force_login(officer)
    post["participants"] = "15"
    post["activity"] = str(group.activities.get().id)
    # An officer must pass two-factor sign-in first; nothing is recorded until then.
    response = client.post(url, post)
    assert response.status_code == 302 and "/two-factor/" in response["Location"]
    assert ParticipationRecord.objects.get(activity__asset=group, month=MONTH).participants == 12
    _pass_two_factor(client, officer)
    assert client.post(url, post).status_code == 302
    assert ParticipationRecord.objects.get(activity__asset=group, month=MONTH).participants == 15


def test_record_form_rejects_a_split_larger_than_the_total(client, group):
    admin = _user("groupadmin")
    AssetAdmin.objects.create(user=admin, asset=group)
    client.force_login(admin)
    central = Area.objects.neighbourhoods().get(slug="central")
    response = client.post(
        f"/participation/groups/{group.uuid}/record/",
        {
            "new_activity": "Pantry",
            "category": "food",
            "month": "2025-03",
            "participants": "5",
            f"hood_{central.id}": "6",
        },
    )
    assert response.status_code == 400
    assert "more than the 5 who took part" in response.content.decode()
    assert not ParticipationRecord.objects.exists()


def test_trends_are_for_officers_only(client):
    load_insights_demo(months=6, groups_per_plan=1)
    resident = _user("resident")
    client.force_login(resident)
    assert client.get("/participation/trends/").status_code == 403
    officer = _user("officer")
    officer.groups.add(Group.objects.get_or_create(name="officer")[0])
    client.force_login(officer)
    assert "/two-factor/" in client.get("/participation/trends/")["Location"]
    _pass_two_factor(client, officer)
    response = client.get("/participation/trends/")
    assert response.status_code == 200
    by_category, by_activity, recent, before = selectors.participation_trends()
    assert by_category and len(recent) == len(before) == 3
    assert any(t.direction in {"Growing", "Shrinking", "Steady"} for t in by_activity)


def test_demo_loader_records_participation_through_services():
    written = load_insights_demo(months=3, groups_per_plan=1)
    assert written == ParticipationRecord.objects.count() > 0
    for record in ParticipationRecord.objects.prefetch_related("splits"):
        assert sum(s.participants for s in record.splits.all()) <= record.participants


def test_open_data_downloads_exclude_gifts_and_private_assets(client):
    from livingmap.assets.models import AssetKind, Visibility
    from livingmap.assets.services import save_asset

    save_asset(
        Asset(
            name="Secret garden key",
            kind=AssetKind.PHYSICAL,
            visibility=Visibility.PRIVATE,
            lon=-2.3,
            lat=53.44,
        )
    )
    save_asset(Asset(name="Bike repairs by Jo", kind=AssetKind.GIFTS, lon=-2.3, lat=53.44))
    body = b"".join(client.get("/open-data/assets-csv/").streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == Asset.objects.public().count()
    assert not {"Secret garden key", "Bike repairs by Jo"} & {r["name"] for r in rows}
    assert "gifts" not in {r["kind"] for r in rows}
    geo = json.loads(b"".join(client.get("/open-data/assets-geojson/").streaming_content))
    names = {f["properties"]["name"] for f in geo["features"]}
    assert names and not {"Secret garden key", "Bike repairs by Jo"} & names
    page = client.get("/open-data/").content.decode()
    assert "Open Government Licence" in page
    for slug in ("neighbourhoods-geojson", "indicators-csv", "profiles-csv"):
        assert client.get(f"/open-data/{slug}/").status_code == 200
    assert client.get("/open-data/nothing/").status_code == 404


def _pass_two_factor(client, user) -> None:
    """What an officer's authenticator app and the two-factor page do, for a test client."""
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()


def test_the_demos_made_up_figures_say_so(client):
    """Only the demo loader's activities are illustrative, and pages showing them say so."""
    assert "illustrative" not in client.get("/participation/").content.decode()
    load_insights_demo(months=2, groups_per_plan=1)
    activity = Activity.objects.filter(illustrative=True).first()
    assert activity is not None
    assert not Activity.objects.filter(illustrative=False).exists()
    assert "made up for the demo" in client.get("/participation/").content.decode()
    page = client.get(f"/participation/groups/{activity.asset.uuid}/").content.decode()
    assert "made up for the demo" in page


def test_the_demos_made_up_figures_are_never_a_sign_of_life(client):
    """Illustrative figures verify nothing: no asset's last-verified date moves, so none ranks
    first for it or exports a made-up date; real records still count (see above)."""
    before = dict(Asset.objects.values_list("id", "last_verified_at"))
    written = load_insights_demo(months=2, groups_per_plan=2)
    assert written > 0
    groups = Asset.objects.filter(activities__illustrative=True).distinct()
    assert groups.count() >= 10  # real organisations: 42nd Street, AFC Sale, libraries, …
    assert dict(Asset.objects.values_list("id", "last_verified_at")) == before
    body = b"".join(client.get("/open-data/assets-csv/").streaming_content).decode()
    verified = {r["uuid"]: r["last_verified_at"] for r in csv.DictReader(io.StringIO(body))}
    for group in groups:
        assert verified[str(group.uuid)] == (
            group.last_verified_at.isoformat() if group.last_verified_at else ""
        )
    # A group's admin recording a real figure is a sign of life.
    group = groups.first()
    real = add_activity(group, "Real coffee morning", ActivityCategory.SOCIAL)
    record_participation(real, MONTH, 12)
    group.refresh_from_db()
    assert group.last_verified_at is not None and group.last_verified_at != before[group.id]


def test_groups_of_the_same_name_can_be_told_apart(client):
    """Two real Trafford sites are both called "Allotments": each is listed with its ward and
    neighbourhood, on the list of groups and in the officers' trends."""
    sites = list(
        Asset.objects.public()
        .filter(name="Allotments", categories__slug="allotment")
        .order_by("id")[:2]
    )
    assert len(sites) == 2
    for site in sites:
        activity = add_activity(site, "Community growing day", ActivityCategory.GROWING)
        record_participation(activity, MONTH, 11)
    places = selectors.asset_places(sites)
    assert places[sites[0].id] != places[sites[1].id]
    for site in sites:
        ward = Area.objects.get(level="ward", asset_links__asset=site)
        assert ward.name in places[site.id]
    listed = {g.id: g.place for g in selectors.groups_with_participation()}
    assert listed[sites[0].id] == places[sites[0].id]
    html = client.get("/participation/").content.decode()
    for site in sites:
        assert f"Allotments ({places[site.id]})".replace("&", "&amp;") in html
    page = client.get(f"/participation/groups/{sites[0].uuid}/").content.decode()
    assert places[sites[0].id].replace("&", "&amp;") in page
    _, by_activity, _, _ = selectors.participation_trends()
    labels = {t.label for t in by_activity}
    assert len([label for label in labels if label.startswith("Community growing day")]) == 2
