"""Profiles and gaps on the real Trafford demo."""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pytest
from django.db.models import Count

from livingmap.areas.models import Area, AreaLevel, IndicatorValue
from livingmap.areas.selectors import neighbourhood_indicators
from livingmap.assets.models import Asset, AssetKind, Visibility
from livingmap.assets.services import save_asset
from livingmap.core.geo import haversine_m
from livingmap.insights import selectors, services
from livingmap.insights.models import AreaAssetCount, InsightsState, LsoaCentre

pytestmark = pytest.mark.django_db


@pytest.fixture
def central() -> Area:
    return Area.objects.neighbourhoods().get(slug="central")


def test_profile_population_is_the_lsoa_roll_up_and_area_total_is_the_lsoa_sum(central):
    profile = selectors.neighbourhood_profile(central)
    by_slug = {s.indicator.slug: s for s in neighbourhood_indicators(central)}
    assert profile.population == by_slug["population"].value
    newest = Area.objects.filter(level=AreaLevel.LSOA).order_by("-vintage").first().vintage
    lsoa_total = sum(
        IndicatorValue.objects.filter(
            indicator__slug="population", area__level=AreaLevel.LSOA, area__vintage=newest
        ).values_list("value", flat=True)
    )
    assert profile.area_population == pytest.approx(round(lsoa_total))
    # Four localities cover Trafford: their populations add up to the area's (within rounding
    # of each neighbourhood's apportioned total).
    hoods = Area.objects.neighbourhoods().filter(slug__in=["central", "north", "south", "west"])
    total = sum(selectors.neighbourhood_profile(h).population for h in hoods)
    assert total == pytest.approx(lsoa_total, rel=0.01)


def _trafford() -> Area:
    """Trafford's local authority boundary: an independent check of "located in Trafford"."""
    return Area.objects.get(level=AreaLevel.LOCAL_AUTHORITY, gss_code="E08000009")


def test_rates_per_1000_are_counts_over_population(central):
    profile = selectors.neighbourhood_profile(central)
    public = Asset.objects.public().in_area(central)
    in_trafford = Asset.objects.public().in_area(_trafford())
    for row in profile.kinds:
        expected = public.filter(kind=row.kind).count()
        assert row.count == expected
        assert row.rate == pytest.approx(expected * 1000 / profile.population)
        # The whole area counts the assets located in it, as a neighbourhood does.
        area_count = in_trafford.filter(kind=row.kind).count()
        assert row.area_count == area_count
        assert row.area_rate == pytest.approx(area_count * 1000 / profile.area_population)
    assert sum(r.count for r in profile.kinds) > 100


def test_whole_area_counts_only_assets_located_in_it_like_the_neighbourhoods():
    """Trafford's four localities tile it: the area's assets are the distinct assets in them,
    and its rate per 1,000 is the population-weighted mean of theirs, so the localities cannot
    all come out below "Trafford" (as they did when every public asset, located or not, and
    charities registered in Manchester, counted for the area)."""
    hoods = list(
        Area.objects.neighbourhoods().filter(slug__in=["central", "north", "south", "west"])
    )
    assert len(hoods) == 4
    profiles = [selectors.neighbourhood_profile(h) for h in hoods]
    area_total = profiles[0].area_total_assets
    public = Asset.objects.public()
    # Many public assets have no location or lie outside Trafford: they are not counted.
    assert public.count() - area_total == profiles[0].area_assets_not_counted > 500
    assert area_total == public.in_area(_trafford()).count()
    in_hoods = public.filter(area_links__area__in=hoods).distinct().count()
    assert area_total == in_hoods
    # Summing the localities counts an asset whose footprint lies in two of them twice.
    summed = sum(p.total_assets for p in profiles)
    in_two = (
        public.filter(area_links__area__in=hoods)
        .values("id")
        .annotate(n=Count("area_links"))
        .filter(n__gt=1)
        .count()
    )
    assert summed - in_two == area_total
    # The population-weighted mean of the neighbourhoods' rates is the area's rate.
    people = sum(p.population for p in profiles)
    mean_rate = sum(p.total_rate * p.population for p in profiles) / people
    area_rate = profiles[0].area_total_rate
    assert people == pytest.approx(profiles[0].area_population, rel=0.01)
    assert mean_rate == pytest.approx(area_rate, rel=0.01)
    assert min(p.total_rate for p in profiles) < area_rate < max(p.total_rate for p in profiles)
    for i, kind in enumerate(profiles[0].kinds):
        rates = [p.kinds[i].rate for p in profiles]
        assert min(rates) <= kind.area_rate <= max(rates) or kind.area_count == 0


def test_profile_page_csv_and_api_state_the_whole_area_method(client, central):
    profile = selectors.neighbourhood_profile(central)
    html = client.get(f"/neighbourhoods/{central.slug}/profile/").content.decode()
    assert f"counts the {profile.area_total_assets:,} public assets located in Trafford" in html
    assert f"The other {profile.area_assets_not_counted:,} public assets" in html
    body = b"".join(client.get(f"/neighbourhoods/{central.slug}/profile.csv").streaming_content)
    rows = {r[0]: r for r in csv.reader(io.StringIO(body.decode()))}
    kind = AssetKind.ASSOCIATION
    in_trafford = Asset.objects.public().in_area(_trafford()).filter(kind=kind).count()
    assert int(rows[f"{kind}_assets"][3]) == in_trafford
    api = client.get(f"/api/insights/profiles/{central.slug}").json()
    row = next(a for a in api["assets"] if a["kind"] == kind)
    assert row["area_count"] == in_trafford
    assert api["area_assets_not_counted"] == profile.area_assets_not_counted


def test_similar_neighbourhoods_are_the_nearest_by_average_imd_rank(central):
    profile = selectors.neighbourhood_profile(central)
    ranks = {
        h.slug: selectors.neighbourhood_profile(h).imd_rank
        for h in Area.objects.neighbourhoods()
        if h.slug != "central"
    }
    mine = profile.imd_rank
    expected = sorted(ranks, key=lambda s: abs(ranks[s] - mine))[: selectors.PEERS]
    assert [p["area"].slug for p in profile.peers] == expected
    kind = profile.kinds[0]
    peer_people = sum(p["population"] for p in profile.peers)
    peer_count = sum(
        Asset.objects.public().in_area(p["area"]).filter(kind=kind.kind).count()
        for p in profile.peers
    )
    assert kind.peer_rate == pytest.approx(peer_count * 1000 / peer_people)
    assert profile.imd_decile == math.ceil(mine / 3284.4)


def test_profile_page_and_csv(client, central):
    response = client.get(f"/neighbourhoods/{central.slug}/profile/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Community assets per 1,000 residents" in html
    assert "insights/insights.css" in html  # the print stylesheet
    response = client.get(f"/neighbourhoods/{central.slug}/profile.csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:4] == ["measure", "unit", "Central", "whole area"]
    population = next(r for r in rows if r[0] == "population")
    assert float(population[2]) == selectors.neighbourhood_profile(central).population
    assert client.get("/neighbourhoods/nowhere/profile/").status_code == 404


def test_aggregates_refresh_when_an_asset_is_saved(central):
    services.ensure_fresh()
    before = selectors.neighbourhood_profile(central)
    assoc = next(k for k in before.kinds if k.kind == AssetKind.ASSOCIATION)
    save_asset(
        Asset(
            name="New residents' association",
            kind=AssetKind.ASSOCIATION,
            lon=central.point_lon,
            lat=central.point_lat,
        )
    )
    assert InsightsState.objects.get().dirty or not services.is_fresh()
    after = selectors.neighbourhood_profile(central)
    assert next(k for k in after.kinds if k.kind == AssetKind.ASSOCIATION).count == (
        assoc.count + 1
    )
    assert services.is_fresh()


def test_private_assets_and_gifts_are_never_counted(central):
    services.refresh_aggregates()
    before = {k.kind: k.count for k in selectors.neighbourhood_profile(central).kinds}
    save_asset(
        Asset(
            name="A private hall",
            kind=AssetKind.PHYSICAL,
            visibility=Visibility.PRIVATE,
            lon=central.point_lon,
            lat=central.point_lat,
        )
    )
    save_asset(
        Asset(name="Baking", kind=AssetKind.GIFTS, lon=central.point_lon, lat=central.point_lat)
    )
    after = {k.kind: k.count for k in selectors.neighbourhood_profile(central).kinds}
    assert after == before
    assert not AreaAssetCount.objects.filter(kind=AssetKind.GIFTS).exists()


def test_nearest_distance_matches_a_hand_computed_haversine():
    centres = np.array([[-2.35, 53.45], [-2.30, 53.42]])
    points = np.array([[-2.34, 53.45], [-2.36, 53.46], [-2.31, 53.40], [-2.0, 53.0]])
    got = selectors.nearest_distances(centres, points)
    for (lon, lat), d in zip(centres.tolist(), got.tolist(), strict=True):
        expected = min(haversine_m(lon, lat, p[0], p[1]) for p in points.tolist())
        assert d == pytest.approx(expected, rel=1e-9)
    assert np.isnan(selectors.nearest_distances(centres, np.empty((0, 2)))).all()


def test_gaps_distances_on_the_demo_are_true_haversine_minimums():
    result = selectors.gaps(selectors.GapsQuery(category="library"))
    libraries = list(
        Asset.objects.public()
        .located()
        .filter(categories__slug="library")
        .values_list("lon", "lat")
    )
    assert libraries
    for row in result.lsoas[:10]:
        centre = LsoaCentre.objects.get(area=row.area)
        expected = min(haversine_m(centre.lon, centre.lat, lon, lat) for lon, lat in libraries)
        assert row.distance_m == pytest.approx(expected, rel=1e-9)


def test_lsoa_centres_are_the_mean_of_their_postcodes():
    services.refresh_aggregates()
    centre = LsoaCentre.objects.filter(method=LsoaCentre.Method.POSTCODES).first()
    assert centre is not None and centre.postcodes > 0
    from shapely.geometry import Point, shape

    from livingmap.areas.models import Postcode

    geom = shape(centre.area.geometry)
    inside = [
        (p.lon, p.lat)
        for p in Postcode.objects.filter(terminated=False, lon__isnull=False)
        if geom.contains(Point(p.lon, p.lat))
    ]
    assert len(inside) == centre.postcodes
    assert centre.lon == pytest.approx(sum(x for x, _ in inside) / len(inside))
    assert centre.lat == pytest.approx(sum(y for _, y in inside) / len(inside))


def test_gaps_highlights_high_need_low_asset_places():
    result = selectors.gaps(selectors.GapsQuery(need="imd-rank", category="library"))
    assert len(result.lsoas) == 138  # Trafford's LSOAs (2011), which carry the IMD
    ranks = [r.rank for r in result.lsoas]
    assert ranks == sorted(ranks)  # most deprived first
    assert result.highlighted
    for row in result.lsoas:
        if row.decile <= 2:
            assert row.high_need
        if row.distance_m is not None and row.distance_m > selectors.NEAR_M:
            assert row.low_assets
        assert row.highlighted == (row.high_need and row.low_assets)
        assert row.rate == pytest.approx(row.count * 1000 / row.population)
    # Neighbourhoods are listed too, most deprived first.
    assert {r.area.slug for r in result.neighbourhoods} >= {"central", "north", "south", "west"}


def test_gaps_counts_located_assets_not_distinct_points(client):
    """Several assets share a point (a building with many groups): the page counts assets."""
    result = selectors.gaps(selectors.GapsQuery())
    located = Asset.objects.public().located()
    assert result.assets_located == located.count()
    points = located.order_by().values_list("lon", "lat").distinct().count()
    assert points < located.count()  # so counting points would be wrong
    html = client.get("/gaps/").content.decode()
    assert f"({located.count():,} with a location)" in html
    libraries = selectors.gaps(selectors.GapsQuery(category="library"))
    assert libraries.assets_located == located.filter(categories__slug="library").count()


def test_gaps_page_marks_places_in_words_and_has_a_table_beside_the_map(client):
    response = client.get("/gaps/", {"need": "imd-rank", "category": "library"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "High need, few assets" in html
    assert 'id="gaps-map-data"' in html
    assert "Small areas, most deprived first" in html
    response = client.get("/gaps/", {"category": "library", "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert any(r["high_need"] == "True" and r["few_assets"] == "True" for r in rows)


def test_gaps_bad_query_is_400_not_500(client):
    assert client.get("/gaps/", {"kind": "gifts"}).status_code == 400
    assert client.get("/api/insights/gaps", {"kind": "gifts"}).status_code == 400
    assert client.get("/api/insights/gaps", {"need": "nope"}).json()["detail"]


def test_api_profile_and_gaps(client, central):
    data = client.get("/api/insights/profiles/central").json()
    assert data["population"] == round(selectors.neighbourhood_profile(central).population)
    assert {a["kind"] for a in data["assets"]} == {k for k, _ in selectors.public_kinds()}
    assert client.get("/api/insights/profiles/nowhere").status_code == 404
    gaps = client.get("/api/insights/gaps", {"kind": "institution"}).json()
    assert len(gaps["lsoas"]) == 138


def test_large_databases_serve_the_last_build_and_queue_a_rebuild(client, central, settings):
    """A rebuild that takes long is not done in a page request: the page serves the last build
    and queues one rebuild for the background worker, however many pages ask."""
    from livingmap.core.models import JobRun
    from livingmap.core.testing import run_queued_task
    from livingmap.insights.tasks import refresh_insights

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    services.refresh_aggregates()
    InsightsState.objects.update(seconds=60.0)  # as if a rebuild took a minute
    before = selectors.neighbourhood_profile(central).total_assets
    save_asset(
        Asset(
            name="Another group",
            kind=AssetKind.ASSOCIATION,
            lon=central.point_lon,
            lat=central.point_lat,
        )
    )
    assert selectors.neighbourhood_profile(central).total_assets == before  # served stale
    assert not services.is_fresh()
    for _ in range(2):
        assert client.get(f"/neighbourhoods/{central.slug}/profile/").status_code == 200
    assert not services.is_fresh()  # the pages did not rebuild
    (run,) = JobRun.objects.filter(task_path=refresh_insights.module_path)
    assert run.status == JobRun.Status.QUEUED
    # The worker runs the queued rebuild.
    run_queued_task(run.task_id)
    run.refresh_from_db()
    assert run.status == JobRun.Status.SUCCEEDED and run.result["counts"] > 0
    assert services.is_fresh()
    assert selectors.neighbourhood_profile(central).total_assets == before + 1


def test_refresh_insights_command():
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("refresh_insights", stdout=out)
    assert "Rebuilt" in out.getvalue() and services.is_fresh()
    out = StringIO()
    call_command("refresh_insights", "--if-stale", stdout=out)
    assert "up to date" in out.getvalue()
