"""The roles a person holds. Roles are not exclusive: an officer may also run a group.

- resident: anyone signed in;
- group_admin: an approved admin of at least one asset (`AssetAdmin`);
- connector, officer: membership of the Django group of that name (given by an administrator);
- administrator: a superuser.
Officer, connector and administrator (and a time bank's broker, declared by that app) are staff
powers: a session that has not passed the second factor does not hold them (`roles_of`).
Permissions are never checked against roles directly in views: ask `permissions.can`.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.db import models


class Role(models.TextChoices):
    RESIDENT = "resident", "Resident"
    GROUP_ADMIN = "group_admin", "Group admin"
    CONNECTOR = "connector", "Community connector"
    OFFICER = "officer", "Officer"
    ADMINISTRATOR = "administrator", "Administrator"


#: Roles held by membership of a Django auth group of the same name.
GROUP_ROLES = (Role.CONNECTOR, Role.OFFICER)


#: Roles that carry staff powers: withheld until the person passes the second factor.
STAFF_ROLES = frozenset({Role.CONNECTOR.value, Role.OFFICER.value, Role.ADMINISTRATOR.value})

#: Other apps' staff powers held outside these roles (a time bank's brokers): each source says
#: whether a person holds any. Declared with `staff_powers_source`, read by `holds_staff_powers`.
_STAFF_SOURCES: list[Callable[[Any], bool]] = []

#: Set only while `permissions.needs_second_factor` asks "would a verified session be let?".
_assume_verified: ContextVar[bool] = ContextVar("livingmap_assume_verified", default=False)


def staff_powers_source(source: Callable[[Any], bool]) -> Callable[[Any], bool]:
    """Declare a kind of staff power another app grants (e.g. brokering a time bank)."""
    if source not in _STAFF_SOURCES:
        _STAFF_SOURCES.append(source)
    return source


def held_roles(user: Any) -> set[str]:
    """Every role the person holds, whether or not this session passed the second factor."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    cached = getattr(user, "_livingmap_roles", None)
    if cached is not None:
        return cached
    roles = {Role.RESIDENT.value}
    roles.update(
        user.groups.filter(name__in=[r.value for r in GROUP_ROLES]).values_list("name", flat=True)
    )
    if user.is_superuser:
        roles.add(Role.ADMINISTRATOR.value)
    from .models import AssetAdmin

    if AssetAdmin.objects.filter(user=user).exists():
        roles.add(Role.GROUP_ADMIN.value)
    user._livingmap_roles = roles
    return roles


def holds_staff_powers(user: Any) -> bool:
    """An officer, connector, administrator, or any other staff power (a broker)."""
    held = held_roles(user)
    return bool(held & STAFF_ROLES) or (
        bool(held) and any(source(user) for source in _STAFF_SOURCES)
    )


def passed_two_factor(user: Any) -> bool:
    """Did this session enter a code from the person's authenticator app?

    Every web request's user carries django-otp's `is_verified` (OTPMiddleware, which a system
    check insists on). A user object without it never came from a web session: a management
    command or a task run on the server, which holds the powers its operator gives it."""
    if _assume_verified.get():
        return True
    is_verified = getattr(user, "is_verified", None)
    return True if is_verified is None else bool(is_verified())


def needs_two_factor(user: Any) -> bool:
    """Anyone holding staff powers (officer, connector, broker, administrator) must pass a
    second factor (TOTP) before using them, unless LIVINGMAP_REQUIRE_2FA is off (a local look)."""
    from django.conf import settings

    return bool(settings.LIVINGMAP_REQUIRE_2FA) and holds_staff_powers(user)


def staff_powers_withheld(user: Any) -> bool:
    """True while a person with staff powers is signed in with a password only: they act as a
    resident (and a group admin of their own groups) until they pass the second factor."""
    return needs_two_factor(user) and not passed_two_factor(user)


def roles_of(user: Any) -> set[str]:
    """The roles the person may act in now: the source every permission reads. Staff roles are
    left out while `staff_powers_withheld`, so no rule, view or API operation can grant a staff
    power to a session that has not passed the second factor."""
    held = held_roles(user)
    if held & STAFF_ROLES and staff_powers_withheld(user):
        return held - STAFF_ROLES
    return held


def has_role(user: Any, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def is_officer(user: Any) -> bool:
    """Officers and administrators (administrators can do all an officer can)."""
    return has_role(user, Role.OFFICER, Role.ADMINISTRATOR)


def is_connector(user: Any) -> bool:
    return has_role(user, Role.CONNECTOR)
