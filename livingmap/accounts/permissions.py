"""Who may do what: every permission in Living Map is a named predicate, asked through `can`.

    from livingmap.accounts.permissions import can, require
    if can(request.user, "asset.edit", asset): ...
    require(request.user, "timebank.broker", bank)   # raises PermissionDenied

Each app declares its predicates in its own `rules.py` with the `rule` decorator; the apps'
`ready()` loads them (`core.contract.LivingMapApp.import_rules`), so `RULES` holds every action of the site in one registry,
and the role × action grid test (livingmap/accounts/tests/test_permission_grid.py) walks all of it.
A predicate takes (user, obj) and returns a bool; it must be cheap and must not raise for an
anonymous user. An unknown action is a programming error (KeyError), never a silent "no".

The second factor is enforced beneath every predicate, not in them: predicates learn who is an
officer, connector, administrator or broker only from `roles.roles_of` (and the time bank's
`brokers_bank`), which leave those powers out until the session has passed two-factor sign-in.
So no predicate, view, API operation or service can grant a staff power to a password-only
session; `needs_second_factor` tells such a refusal apart, to send the person to two-factor
sign-in (pages) or say so (the API). The grid tests check every action for every staff role
signed in without the second factor.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied

Predicate = Callable[[Any, Any], bool]


@dataclass(frozen=True)
class Rule:
    action: str
    predicate: Predicate
    description: str


RULES: dict[str, Rule] = {}


def rule(action: str, description: str = "") -> Callable[[Predicate], Predicate]:
    """Register `predicate` as the one answer to "may this user do `action` (to obj)?"."""

    def register(predicate: Predicate) -> Predicate:
        if action in RULES and RULES[action].predicate is not predicate:
            raise ValueError(f"permission {action!r} is declared twice")
        RULES[action] = Rule(action, predicate, description or (predicate.__doc__ or "").strip())
        return predicate

    return register


def can(user: Any, action: str, obj: Any = None) -> bool:
    if action not in RULES:
        raise KeyError(f"no permission called {action!r}; known: {', '.join(sorted(RULES))}")
    return bool(RULES[action].predicate(user, obj))


#: What a staff member signed in with a password only is told (pages and API).
SECOND_FACTOR_MESSAGE = (
    "This needs two-factor sign-in. Officers, brokers, connectors and administrators must "
    "enter a code from their authenticator app (at /account/two-factor/) before they can use "
    "those powers."
)


class SecondFactorRequired(PermissionDenied):
    """Refused only because the session has not passed the second factor."""


def needs_second_factor(user: Any, action: str, obj: Any = None) -> bool:
    """True if `user` is refused `action` only because this session has not passed two-factor
    sign-in (it would be allowed once it has). Never grants anything."""
    from .roles import _assume_verified, staff_powers_withheld

    if not staff_powers_withheld(user) or can(user, action, obj):
        return False
    token = _assume_verified.set(True)
    try:
        return can(user, action, obj)
    finally:
        _assume_verified.reset(token)


def require(user: Any, action: str, obj: Any = None) -> None:
    if not can(user, action, obj):
        if needs_second_factor(user, action, obj):
            raise SecondFactorRequired(SECOND_FACTOR_MESSAGE)
        raise PermissionDenied(
            f"You do not have permission to {RULES[action].description or action}."
        )
