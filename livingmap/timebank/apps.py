from livingmap.core.contract import Command, LivingMapApp, MenuEntry


class TimebankConfig(LivingMapApp):
    """Time banks: members, offers and requests, and a double-entry ledger of time credits."""

    name = "livingmap.timebank"
    label = "timebank"
    verbose_name = "Time bank"

    api_prefix = "/timebank/"
    api_order = 50
    # Its part of "download my data" and "erase me" (accounts.signals).
    receivers = ("livingmap.timebank.receivers",)
    demo = "livingmap.timebank.demo.on_demo_loaded"
    menu = (MenuEntry("Time bank", "timebank_home", {"timebank_home", "timebank_bank"}, order=50),)
    commands = (
        Command(
            "timebank_check",
            "Check every time bank's ledger balances; exits 1 on any problem.",
            group="Time banks",
            order=300,
        ),
        Command(
            "load_timebank_demo",
            "Create the illustrative time bank of the loaded area.",
            group="Time banks",
            order=310,
        ),
    )
