"""The roles a person holds. Roles are not exclusive: an officer may also run a group.

- resident: anyone signed in;
- group_admin: an approved admin of at least one asset (`AssetAdmin`);
- connector, officer: membership of the Django group of that name (given by an administrator);
- administrator: a superuser.
Permissions are never checked against roles directly in views: ask `permissions.can`.
"""

from __future__ import annotations

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


def roles_of(user: Any) -> set[str]:
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


def has_role(user: Any, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def is_officer(user: Any) -> bool:
    """Officers and administrators (administrators can do all an officer can)."""
    return has_role(user, Role.OFFICER, Role.ADMINISTRATOR)


def is_connector(user: Any) -> bool:
    return has_role(user, Role.CONNECTOR)


def needs_two_factor(user: Any) -> bool:
    """Officers and administrators must pass a second factor (TOTP) before officer pages."""
    from django.conf import settings

    return settings.LIVINGMAP_REQUIRE_2FA and is_officer(user)
