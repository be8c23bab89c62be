from livingmap.core.contract import Command, LivingMapApp


class AccountsConfig(LivingMapApp):
    """People, roles and permissions: sign-in, group admins of assets, claims, suggestions, history."""

    name = "livingmap.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    api_prefix = "/accounts/"
    api_order = 30
    commands = (
        Command(
            "send_review_reminders",
            "Email admins of assets due for review; escalate to officers.",
            group="Keeping the map fresh",
            order=200,
        ),
    )

    def ready(self) -> None:
        super().ready()  # its rules.py, as every app's
        from django.core.signals import request_finished, request_started

        from livingmap.accounts import checks, outbox  # noqa: F401 (checks registers itself)
        from livingmap.accounts.permissions import RULES, can
        from livingmap.core.contract import use_permission_checker

        # The one permission registry decides who sees a menu entry that names a permission.
        use_permission_checker(lambda user, action: can(user, action), lambda: list(RULES))
        request_started.connect(outbox.start, dispatch_uid="accounts_outbox_start")
        request_finished.connect(outbox.finish, dispatch_uid="accounts_outbox_finish")
