"""The time bank's part of a person's "download my data" and "erase my data" (the hooks in
`livingmap.accounts.signals`), connected when this module is imported (it is listed in
`TimebankConfig.receivers`)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from livingmap.accounts.signals import personal_data_erase, personal_data_export


@receiver(personal_data_export, dispatch_uid="timebank_export")
def on_personal_data_export(sender: object, user: Any, **kwargs: object) -> dict[str, Any]:
    from .selectors import personal_data

    return {"time_banks": personal_data(user)}


@receiver(personal_data_erase, dispatch_uid="timebank_erase")
def on_personal_data_erase(sender: object, user: Any, **kwargs: object) -> None:
    from .services import forget_person

    forget_person(user=user)
