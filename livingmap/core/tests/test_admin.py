"""The Django admin for officers, on the real Trafford demo: every record can be listed, opened
and searched; import history is read-only; saving an asset works its areas out again."""

from __future__ import annotations

import json

import pytest
from django.contrib import admin
from django.forms import ModelMultipleChoiceField, MultiWidget
from django.urls import reverse
from django.utils.html import escape

from livingmap.areas.models import Area, AreaComponent, Neighbourhood, Postcode
from livingmap.assets.models import Asset, AssetArea
from livingmap.assets.selectors import AssetQuery, search_assets
from livingmap.core.models import ImportEvent

pytestmark = pytest.mark.django_db

OUR_APPS = {"core", "areas", "assets"}
EXPECTED_MODELS = {
    "core.dataset",
    "core.importevent",
    "core.scheduledjob",
    "core.jobrun",
    "areas.area",
    "areas.neighbourhood",
    "areas.areacomponent",
    "areas.postcode",
    "areas.indicator",
    "areas.indicatorperiod",
    "areas.indicatorvalue",
    "assets.category",
    "assets.asset",
    "assets.assetsource",
    "assets.assetarea",
}


def registered():
    return [m for m in admin.site._registry if m._meta.app_label in OUR_APPS]


def url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def form_data(response) -> dict:
    """What a browser would post back from an admin change page, unchanged."""
    data: dict = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        forms += list(formset.forms)
    for form in forms:
        for name, field in form.fields.items():
            if field.disabled:
                continue
            value = form[name].value()
            key = form.add_prefix(name)
            if isinstance(field.widget, MultiWidget):
                for i, part in enumerate(field.widget.decompress(value)):
                    data[f"{key}_{i}"] = "" if part is None else part
            elif isinstance(value, list | tuple):
                data[key] = [str(v) for v in value]
            elif value is False:
                continue  # an unticked box is not posted
            elif value is None:
                if not isinstance(field, ModelMultipleChoiceField):
                    data[key] = ""
            else:
                data[key] = value
    return data


def test_every_model_is_registered():
    assert {f"{m._meta.app_label}.{m._meta.model_name}" for m in registered()} == EXPECTED_MODELS


def test_officer_can_open_every_list_and_record(admin_client):
    from livingmap.core.scheduler import run_due_jobs

    run_due_jobs()  # the background jobs' schedule and their first runs
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in OUR_APPS:
            continue
        response = admin_client.get(url(model, "changelist"))
        assert response.status_code == 200, model
        obj = model_admin.get_queryset(response.wsgi_request).order_by("pk").first()
        assert obj is not None, f"the demo has no {model._meta.verbose_name}"
        response = admin_client.get(url(model, "change", obj.pk))
        assert response.status_code == 200, model
        if model_admin.has_add_permission(response.wsgi_request):
            assert admin_client.get(url(model, "add")).status_code == 200, model


def test_big_lists_use_a_fixed_number_of_queries(admin_client, django_assert_max_num_queries):
    for model in (Asset, AssetArea, Postcode, Area, AreaComponent):
        with django_assert_max_num_queries(14):
            response = admin_client.get(url(model, "changelist"))
        assert len(response.context["cl"].result_list) > 20, model


def results(response) -> list:
    return list(response.context["cl"].result_list)


def test_searching(admin_client):
    found = results(admin_client.get(url(Asset, "changelist"), {"q": "Altrincham Library"}))
    assert "Altrincham Library" in [a.name for a in found]
    assert "Stretford Library" not in [a.name for a in found]
    for typed in ("wa141ah", " WA14  1AH "):
        postcodes = results(admin_client.get(url(Postcode, "changelist"), {"q": typed}))
        assert [p.postcode for p in postcodes] == ["WA14 1AH"]
        at = results(admin_client.get(url(Asset, "changelist"), {"q": typed}))
        assert at and {a.postcode for a in at} == {"WA14 1AH"}
    assert len(results(admin_client.get(url(Postcode, "changelist"), {"q": "WA14"}))) > 10
    ward = Postcode.objects.get(postcode="WA14 1AH").ward_code
    areas = results(admin_client.get(url(Area, "changelist"), {"q": ward}))
    assert [a.gss_code for a in areas] == [ward]


def test_import_history_is_read_only_and_readable(admin_client):
    event = ImportEvent.objects.filter(rejected__gt=0).first()
    assert event is not None, "the demo imports reject some rows"
    assert admin_client.get(url(ImportEvent, "add")).status_code == 403
    page = admin_client.get(url(ImportEvent, "change", event.pk))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Rejected rows" in html
    reason = event.report["rejected_rows"][0]["reason"]
    assert escape(reason) in html
    assert 'name="importer"' not in html  # shown, not editable
    response = admin_client.post(url(ImportEvent, "change", event.pk), {"importer": "changed"})
    assert response.status_code == 403
    event.refresh_from_db()
    assert event.importer != "changed"


def test_background_jobs_are_read_only(admin_client):
    from livingmap.core.models import JobRun, ScheduledJob
    from livingmap.core.scheduler import run_due_jobs

    run_due_jobs()
    run = JobRun.objects.get(job_name="core.heartbeat")
    for model, obj in ((JobRun, run), (ScheduledJob, ScheduledJob.objects.first())):
        assert admin_client.get(url(model, "add")).status_code == 403
        assert admin_client.get(url(model, "change", obj.pk)).status_code == 200
    response = admin_client.post(url(JobRun, "change", run.pk), {"status": "failed"})
    assert response.status_code == 403
    run.refresh_from_db()
    assert run.status == JobRun.Status.SUCCEEDED
    listed = admin_client.get(url(JobRun, "changelist")).content.decode()
    assert "core.heartbeat attempt 1" in listed


def test_asset_sources_are_shown_read_only_on_the_asset(admin_client):
    library = Asset.objects.get(name="Altrincham Library")
    html = admin_client.get(url(Asset, "change", library.pk)).content.decode()
    for source in library.sources.select_related("dataset"):
        assert source.dataset.name in html
        assert source.source_id in html
    assert 'name="sources-0-source_id"' not in html


def test_saving_an_asset_moves_it_to_the_right_ward(admin_client):
    library = Asset.objects.get(name="Altrincham Library")
    old_ward = AssetArea.objects.get(asset=library, area__level="ward", area__is_current=True)
    # Move it to Trafford Town Hall's postcode, in another ward, by ONS's own postcode file.
    town_hall = Postcode.objects.get(postcode="M32 0TH")
    assert town_hall.ward_code != old_ward.area.gss_code
    page = admin_client.get(url(Asset, "change", library.pk))
    data = form_data(page)
    data.update(
        lon=str(town_hall.lon),
        lat=str(town_hall.lat),
        postcode="M32 0TH",
        description="Moved for a test: zebracrossing",
    )
    response = admin_client.post(url(Asset, "change", library.pk), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    library.refresh_from_db()
    assert (library.lon, library.lat) == (town_hall.lon, town_hall.lat)
    wards = AssetArea.objects.filter(asset=library, area__level="ward", area__is_current=True)
    assert [w.area.gss_code for w in wards] == [town_hall.ward_code]
    lsoas = AssetArea.objects.filter(asset=library, area__level="lsoa", area__vintage=2021)
    assert [a.area.gss_code for a in lsoas] == [town_hall.lsoa_code]
    hood = AssetArea.objects.get(asset=library, area__level="neighbourhood").area
    assert hood.slug != "south"
    # The categories survive the save, and the search words were worked out again.
    assert set(library.categories.values_list("slug", flat=True)) >= {"library"}
    found = search_assets(AssetQuery(words="zebracrossing")).hits
    assert [h.asset.name for h in found] == ["Altrincham Library"]


def test_adding_an_asset_in_the_admin_assigns_its_areas(admin_client):
    page = admin_client.get(url(Asset, "add"))
    data = form_data(page)
    here = Postcode.objects.get(postcode="WA14 1AH")
    data.update(name="Pott Street reading group", kind="association", visibility="public")
    data.update(lon=str(here.lon), lat=str(here.lat), extra="{}")
    response = admin_client.post(url(Asset, "add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    asset = Asset.objects.get(name="Pott Street reading group")
    codes = set(AssetArea.objects.filter(asset=asset).values_list("area__gss_code", flat=True))
    assert {here.ward_code, here.lad_code, here.lsoa_code} <= codes


def test_drawing_a_neighbourhood_in_the_admin(admin_client):
    library = Asset.objects.get(name="Altrincham Library")
    d = 0.004
    square = {
        "type": "Feature",
        "properties": {},
        "geometry": {
            "type": "Polygon",
            "coordinates": [
                [
                    [library.lon - d, library.lat - d],
                    [library.lon + d, library.lat - d],
                    [library.lon + d, library.lat + d],
                    [library.lon - d, library.lat + d],
                    [library.lon - d, library.lat - d],
                ]
            ],
        },
    }
    response = admin_client.post(
        url(Neighbourhood, "add"),
        {
            "name": "Altrincham town centre",
            "slug": "altrincham-town-centre",
            "description": "",
            "geometry": json.dumps(square),
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    hood = Area.objects.get(slug="altrincham-town-centre")
    assert (hood.level, hood.origin) == ("neighbourhood", "drawn")
    assert hood.min_lon == pytest.approx(library.lon - d)
    assert AreaComponent.objects.filter(neighbourhood=hood, component__level="lsoa").exists()
    assert AssetArea.objects.filter(asset=library, area=hood).exists()


def test_a_boundary_that_is_not_geojson_is_refused_with_a_message(admin_client):
    add = url(Neighbourhood, "add")
    for bad in ('{"type": "Point", "coordinates": [-2.35, 53.39]}', "[1, 2", '{"type": "Nope"}'):
        response = admin_client.post(add, {"name": "Bad", "slug": "bad", "geometry": bad})
        assert response.status_code == 200
        assert response.context["adminform"].form.errors["geometry"]
    assert not Area.objects.filter(slug="bad").exists()
