"""Hooks other apps connect to, so that "download my data" and "erase my data" cover a person's
data in every app without `accounts` importing those apps (dependencies point one way).

Connect in the app's `AppConfig.ready`, as `timebank` does:

    personal_data_export.connect(on_export, dispatch_uid="timebank_personal_data_export")
"""

from __future__ import annotations

from django.dispatch import Signal

#: Sent by `services.export_my_data(user)` with `user=`. Each receiver returns a dict of
#: {section name: JSON-ready data} about that person, added to their download.
personal_data_export = Signal()

#: Sent by `services.erase_my_data(user)` with `user=`, inside its transaction and before the
#: account is deleted. Each receiver removes or anonymises that person's data in its app (an
#: error in a receiver undoes the whole erasure).
personal_data_erase = Signal()
