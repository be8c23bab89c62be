"""A domain app made by the steps of docs/architecture.md, "Adding a domain app", and nothing
else: the contract's tests install it (one line in INSTALLED_APPS) and find every part of it on
the site. It is not installed in the real site."""

from livingmap.core.contract import Command, LivingMapApp, MenuEntry


class SampleAppConfig(LivingMapApp):
    name = "livingmap.core.tests.sample_app"
    label = "sample_app"
    verbose_name = "Sample app (tests only)"

    url_prefix = "sample/"
    api_prefix = "/sample/"
    api_order = 90
    api_errors = {"livingmap.core.tests.sample_app.selectors.NoSuchThing": 404}
    receivers = ("livingmap.core.tests.sample_app.receivers",)
    menu = (
        MenuEntry(
            "Sample things",
            "sample_things",
            {"sample_things"},
            order=55,
            permission="sample_app.see",
        ),
    )
    downloads = "livingmap.core.tests.sample_app.downloads.downloads"
    demo = "livingmap.core.tests.sample_app.demo.on_demo_loaded"
    commands = (
        Command("sample_count", "Count the sample app's things.", group="Samples", order=900),
    )
    missing_files = {
        "models.py": "a test app: installing it must not need a migration",
    }
