from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """People, roles and permissions: sign-in, group admins of assets, claims, suggestions, history."""

    name = "livingmap.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from livingmap.accounts.permissions import load_rules

        load_rules(self)
