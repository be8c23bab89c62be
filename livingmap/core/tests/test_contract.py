"""The app contract (core/contract.py): every app keeps the standard file set, and a new app is
found everywhere by the documented steps alone — a folder and one line in INSTALLED_APPS."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command, get_commands
from django.test import override_settings
from django.urls import NoReverseMatch, clear_url_caches, reverse

from livingmap.accounts.permissions import RULES
from livingmap.cli import more_commands
from livingmap.core import contract
from livingmap.core.contract import STANDARD_FILES, LivingMapApp, domain_apps

SAMPLE = "livingmap.core.tests.sample_app"


def _files_of(app: LivingMapApp) -> dict[str, bool]:
    root = Path(app.path)
    return {
        f.format(label=app.label): (root / f.format(label=app.label)).exists()
        for f in STANDARD_FILES
    }


def _check_file_set(app: LivingMapApp) -> list[str]:
    """What is wrong with an app's file set: a standard file missing without a reason, a reason
    given for a file that is there, or a reason that says nothing."""
    problems = []
    reasons = {k.format(label=app.label): v for k, v in app.missing_files.items()}
    for name, present in _files_of(app).items():
        if not present and not reasons.get(name, "").strip():
            problems.append(f"{app.label}: no {name}, and no reason given in missing_files")
        if present and name in reasons:
            problems.append(f"{app.label}: has {name} but missing_files says it does without")
    for name in set(reasons) - set(_files_of(app)):
        problems.append(f"{app.label}: missing_files names {name}, which is not a standard file")
    root = Path(app.path)
    has_models = bool(list(apps.get_app_config(app.label).get_models()))
    if has_models and not (root / "migrations" / "__init__.py").exists():
        problems.append(f"{app.label}: has models but no migrations/")
    for module in app.receivers:
        if not module.startswith(app.name + "."):
            problems.append(f"{app.label}: receivers lists {module}, not a module of its own")
    return problems


def test_every_livingmap_app_follows_the_contract():
    ours = [a for a in apps.get_app_configs() if a.name.startswith("livingmap.")]
    assert ours, "no Living Map apps installed"
    not_contract = [a.name for a in ours if not isinstance(a, LivingMapApp)]
    assert not not_contract, f"apps whose AppConfig is not a LivingMapApp: {not_contract}"
    assert [a.name for a in domain_apps()] == [a.name for a in ours]


@pytest.mark.parametrize("label", [a.label for a in domain_apps()])
def test_each_app_has_the_standard_file_set_or_says_why_not(label):
    assert _check_file_set(apps.get_app_config(label)) == []


def test_the_file_set_check_catches_a_missing_file_and_a_stale_reason(monkeypatch):
    places = apps.get_app_config("places")
    monkeypatch.setattr(places, "missing_files", {"views.py": "stale", "services.py": " "})
    problems = _check_file_set(places)
    assert "places: has views.py but missing_files says it does without" in problems
    assert "places: no services.py, and no reason given in missing_files" in problems
    assert "places: no models.py, and no reason given in missing_files" in problems


def test_every_rule_lives_in_an_apps_rules_module():
    modules = {f"{a.name}.rules" for a in domain_apps()}
    stray = {
        action: r.predicate.__module__
        for action, r in RULES.items()
        if r.predicate.__module__ not in modules
    }
    assert not stray, f"permissions declared outside an app's rules.py: {stray}"


def test_every_menu_entry_names_a_page_and_a_real_permission():
    known = contract.known_permissions()
    assert known == set(RULES)
    for entry in contract.menu_entries():
        reverse(entry.url_name)
        assert not entry.permission or entry.permission in known, entry


def _menu(html: str) -> list[str]:
    """The site menu's link texts, in order."""
    links = re.findall(r'class="govuk-service-navigation__link"[^>]*>(.*?)</a>', html, re.S)
    return [re.sub(r"<[^>]+>", "", link).strip() for link in links]


@pytest.mark.django_db
def test_the_menu_is_in_todays_order(client):
    assert _menu(client.get("/about/data/").content.decode()) == [
        "Find assets",
        "Neighbourhoods",
        "Need and assets",
        "Taking part",
        "Time bank",
        "Open data",
    ]


# -- a new app, added by the documented steps alone ------------------------------------------


@pytest.fixture
def sample_app():
    """The sample app installed as docs/architecture.md says: one line in INSTALLED_APPS. The
    site's URLs and API are built again by the same functions (sample_urls.py calls
    livingmap.urls.build_urlpatterns)."""
    from django.conf import settings

    from livingmap.assets.demo import demo_loaded

    sys.modules.pop("livingmap.core.tests.sample_urls", None)
    with override_settings(
        INSTALLED_APPS=[*settings.INSTALLED_APPS, SAMPLE],
        ROOT_URLCONF="livingmap.core.tests.sample_urls",
    ):
        clear_url_caches()
        yield apps.get_app_config("sample_app")
    # Leave nothing of it behind for other tests: its rule, its demo loader, its URLs.
    RULES.pop("sample_app.see", None)
    for name in [m for m in sys.modules if m.startswith(SAMPLE) or m.endswith("sample_urls")]:
        sys.modules.pop(name)
    demo_loaded.disconnect(dispatch_uid="sample_app_demo")
    clear_url_caches()


@pytest.mark.django_db
def test_a_new_app_is_found_everywhere_by_the_documented_steps(sample_app, client):
    assert _check_file_set(sample_app) == []

    # Its rule is in the one permission registry.
    assert "sample_app.see" in RULES
    assert "sample_app.see" in contract.known_permissions()

    # Its page answers at its prefix, behind its rule, and its menu entry shows to those the
    # rule allows, in its place (after "Time bank", before "Open data").
    assert reverse("sample_things") == "/sample/things/"
    assert client.get("/sample/things/").status_code in (302, 403)
    assert "Sample things" not in _menu(client.get("/about/data/").content.decode())
    user = get_user_model().objects.create_user("sampler", password="x-long-password-1")
    client.force_login(user)
    page = client.get("/sample/things/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "a noticeboard" in html
    assert _menu(html)[-3:] == ["Time bank", "Sample things", "Open data"]

    # Its API operation is in the OpenAPI document, under its prefix, and answers; the error it
    # declares is a 404 with {"detail": ...}.
    spec = client.get("/api/openapi.json").json()
    operation = spec["paths"]["/api/sample/things/{number}"]["get"]
    assert operation["summary"] == "One sample thing"
    assert client.get("/api/sample/things/1").json() == "a noticeboard"
    missing = client.get("/api/sample/things/7")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "There is no sample thing 7."}
    # The other apps' API is all still there.
    assert "/api/assets" in spec["paths"] and "/api/timebank/banks" in spec["paths"]

    # Its download is listed on the open data page and served.
    open_data = client.get(reverse("open_data")).content.decode()
    assert "Sample things" in open_data
    assert "/open-data/sample-things-csv/" in open_data
    download = client.get("/open-data/sample-things-csv/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"thing\na bench\na noticeboard\n"

    # Its receiver is connected, its demo loader listens to load_demo's signal.
    from livingmap.assets.demo import demo_loaded
    from livingmap.core.tests.sample_app import demo
    from livingmap.core.tests.sample_app.signals import poked

    assert [r for _, r in poked.send(sender=None)] == ["the sample app heard it"]
    demo_loaded.send(sender=None)
    assert demo.LOADED

    # Its command exists and `livingmap --help` lists it.
    assert "sample_count" in get_commands()
    assert more_commands()["Samples"] == {"sample_count": "Count the sample app's things."}
    call_command("sample_count")


def test_without_the_sample_app_none_of_it_is_on_the_site(client, db):
    """(The site's 404 page names the current area, read from the database.)"""
    assert "sample_app.see" not in RULES
    with pytest.raises(NoReverseMatch):
        reverse("sample_things")
    assert client.get("/sample/things/").status_code == 404
    assert "Samples" not in more_commands()


def test_every_app_with_a_tasks_module_is_listed_for_the_scheduler():
    with_tasks = {a.label for a in domain_apps() if (Path(a.path) / "tasks.py").exists()}
    listed = dict(contract.job_modules())
    assert set(listed) == with_tasks
    for label, module in listed.items():
        assert module == f"{apps.get_app_config(label).name}.tasks"
