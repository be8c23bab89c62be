"""The sample app's one permission: signed-in people may see its things."""

from typing import Any

from livingmap.accounts.permissions import rule


@rule("sample_app.see", "see the sample things")
def see(user: Any, obj: Any = None) -> bool:
    return bool(getattr(user, "is_authenticated", False))
