"""People in every role, on the real Trafford demo, and signed-in clients for them."""

from __future__ import annotations

import time
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import django_ratelimit.core
import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.test import Client

from livingmap.accounts.models import AssetAdmin, PersonalAsset
from livingmap.assets.models import Asset


@pytest.fixture(autouse=True)
def _fresh_rate_limits(monkeypatch):
    """Rate limits count in the cache; each test starts from none. django-ratelimit counts in
    fixed windows, so a test that crossed the end of one (one run in a few hundred, for a
    ten-minute window) would start counting again; its clock is held still instead."""
    cache.clear()
    now = time.time()
    monkeypatch.setattr(django_ratelimit.core, "time", SimpleNamespace(time=lambda: now))
    yield
    cache.clear()


def make_user(username: str, *, groups: tuple[str, ...] = (), superuser: bool = False) -> User:
    user = User.objects.create_user(
        username=username,
        email=username,
        password="correct horse battery staple",
        first_name=username.split("@")[0].title(),
        is_superuser=superuser,
        is_staff=superuser,
    )
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    return user


def sign_in(client: Client, user: User) -> Client:
    """Sign in, and pass two-factor sign-in as an officer would have."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client.force_login(user)
    device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


@dataclass
class Cast:
    asset: Asset
    other_asset: Asset
    resident: User
    group_admin: User
    other_admin: User
    connector: User
    officer: User
    administrator: User

    def users(self) -> dict[str, Any]:
        from django.contrib.auth.models import AnonymousUser

        return {
            "anonymous": AnonymousUser(),
            "resident": self.resident,
            "group_admin": self.group_admin,
            "other_admin": self.other_admin,
            "connector": self.connector,
            "officer": self.officer,
            "administrator": self.administrator,
        }


@pytest.fixture
def cast(db) -> Cast:
    """One person per role; the group admin runs a real Trafford library, the other admin a
    different asset."""
    libraries = Asset.objects.public().filter(name__icontains="library").order_by("name")
    asset, other = libraries[0], libraries[1]
    c = Cast(
        asset=asset,
        other_asset=other,
        resident=make_user("resident@example.org"),
        group_admin=make_user("admin@example.org"),
        other_admin=make_user("other@example.org"),
        connector=make_user("connector@example.org", groups=("connector",)),
        officer=make_user("officer@example.org", groups=("officer",)),
        administrator=make_user("root@example.org", superuser=True),
    )
    AssetAdmin.objects.create(user=c.group_admin, asset=asset)
    AssetAdmin.objects.create(user=c.other_admin, asset=other)
    return c


@pytest.fixture
def personal(cast: Cast) -> PersonalAsset:
    from livingmap.accounts.services import add_personal_asset

    return add_personal_asset(
        person=cast.resident, name="Bike repairs", description="I fix bikes on Saturdays"
    )
