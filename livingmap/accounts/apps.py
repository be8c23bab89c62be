from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """People, roles and permissions: sign-in, group admins of assets, claims, suggestions, history."""

    name = "livingmap.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.core.signals import request_finished, request_started

        from livingmap.accounts import checks, outbox  # noqa: F401 (checks registers itself)
        from livingmap.accounts.permissions import load_rules

        load_rules(self)
        request_started.connect(outbox.start, dispatch_uid="accounts_outbox_start")
        request_finished.connect(outbox.finish, dispatch_uid="accounts_outbox_finish")
