from livingmap.core.contract import Command, LivingMapApp, MenuEntry


class InsightsConfig(LivingMapApp):
    """Assets against need: neighbourhood profiles, gaps, participation and open data downloads."""

    name = "livingmap.insights"
    label = "insights"
    verbose_name = "Insights"

    api_prefix = "/insights/"
    api_order = 40
    receivers = ("livingmap.insights.receivers",)  # aggregates go stale when assets change
    demo = "livingmap.insights.demo.on_demo_loaded"
    downloads = "livingmap.insights.downloads.downloads"
    menu = (
        MenuEntry("Need and assets", "gaps", {"gaps"}, order=30),
        MenuEntry(
            "Taking part",
            "participation",
            {
                "participation",
                "group_participation",
                "record_participation",
                "participation_trends",
            },
            order=40,
        ),
        MenuEntry("Open data", "open_data", {"open_data", "about_data"}, order=60),
    )
    commands = (
        Command(
            "refresh_insights",
            "Rebuild the neighbourhood profiles and gaps (also done on demand).",
            group="Keeping the map fresh",
            order=210,
        ),
    )
