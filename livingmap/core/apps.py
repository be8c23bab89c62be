from livingmap.core.contract import Command, LivingMapApp


class CoreConfig(LivingMapApp):
    name = "livingmap.core"
    label = "core"
    verbose_name = "Data sets and imports"

    commands = (
        Command(
            "import_history", "List past imports and show one's data-quality report.", order=110
        ),
        Command(
            "serve",
            "Run the web server, the background worker and the scheduler together.",
            group="Background jobs",
            order=300,
        ),
        Command(
            "db_worker",
            "Run the background worker (the jobs queued in the database).",
            group="Background jobs",
            order=310,
        ),
        Command(
            "run_scheduler",
            "Queue the scheduled jobs (reminders, nightly rebuilds) when due.",
            group="Background jobs",
            order=320,
        ),
    )
    missing_files = {
        "services.py": "core holds frameworks (importing.py, downloads.py), not writes of its own",
        "api.py": "it has nothing of its own to serve as JSON",
    }
