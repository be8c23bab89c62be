"""The time bank's part of a person's "download my data" and "erase my data" (the hooks in
`livingmap.accounts.signals`, connected in `TimebankConfig.ready`)."""

from __future__ import annotations

from typing import Any


def on_personal_data_export(sender: object, user: Any, **kwargs: object) -> dict[str, Any]:
    from .selectors import personal_data

    return {"time_banks": personal_data(user)}


def on_personal_data_erase(sender: object, user: Any, **kwargs: object) -> None:
    from .services import forget_person

    forget_person(user=user)
