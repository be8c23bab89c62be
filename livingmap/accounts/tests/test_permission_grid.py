"""Every action in the permission registry, for every role: the full grid, on real demo data.

Actions of this app have an explicit expectation per role. Actions other apps register are
checked generically: anonymous users are always refused, and the check never raises.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from livingmap.accounts.models import Claim, Suggestion
from livingmap.accounts.permissions import RULES, can

ROLES = (
    "anonymous",
    "resident",
    "group_admin",
    "other_admin",
    "connector",
    "officer",
    "administrator",
)
Y, N = True, False

#: action -> (object, expected allow per role in ROLES order). Objects: "asset" (run by
#: group_admin), "suggestion" (about that asset), "new_suggestion" (a proposed new asset),
#: "claim", "record" (a resident's gift, consented), "private_record" (no consent), None.
EXPECTED: dict[str, tuple[str | None, tuple[bool, ...]]] = {
    #                                     anon res  gadm oadm conn off  admin
    "asset.edit": ("asset", (N, N, Y, N, N, Y, Y)),
    "asset.record_participation": ("asset", (N, N, Y, N, N, Y, Y)),
    "asset.suggest": ("asset", (Y, Y, Y, Y, Y, Y, Y)),
    "asset.claim": ("asset", (N, Y, N, Y, Y, Y, Y)),
    "asset.add": (None, (N, N, Y, Y, N, Y, Y)),
    "asset.verify": ("asset", (N, N, Y, N, N, Y, Y)),
    "asset.view_history": ("asset", (N, N, Y, N, N, Y, Y)),
    "asset.revert": ("asset", (N, N, N, N, N, Y, Y)),
    "moderation.view_queue": (None, (N, N, Y, Y, N, Y, Y)),
    "suggestion.decide": ("suggestion", (N, N, Y, N, N, Y, Y)),
    "suggestion.merge": ("new_suggestion", (N, N, N, N, N, Y, Y)),
    "claim.decide": ("claim", (N, N, N, N, N, Y, Y)),
    "officer.freshness": (None, (N, N, N, N, N, Y, Y)),
    "officer.jobs": (None, (N, N, N, N, N, Y, Y)),
    "personal.view": ("record", (N, Y, N, N, Y, Y, Y)),
    "personal.edit": ("record", (N, Y, N, N, N, N, N)),
}
#: The same, for a record whose person gave no consent: only the person.
PRIVATE_RECORD = {"personal.view": (N, Y, N, N, N, N, N)}

#: Staff signed in with a password only, the second factor not passed: they hold no staff power,
#: only what any resident may do (suggest, claim) — for every action, whatever the object.
PASSWORD_ONLY_ROLES = ("connector", "officer", "administrator")
#: action -> allowed for (connector, officer, administrator) without the second factor
PASSWORD_ONLY: dict[str, tuple[bool, bool, bool]] = {
    #                             conn off  admin
    "asset.edit": (N, N, N),
    "asset.record_participation": (N, N, N),
    "asset.suggest": (Y, Y, Y),
    "asset.claim": (Y, Y, Y),
    "asset.add": (N, N, N),
    "asset.verify": (N, N, N),
    "asset.view_history": (N, N, N),
    "asset.revert": (N, N, N),
    "moderation.view_queue": (N, N, N),
    "suggestion.decide": (N, N, N),
    "suggestion.merge": (N, N, N),
    "claim.decide": (N, N, N),
    "officer.freshness": (N, N, N),
    "officer.jobs": (N, N, N),
    "personal.view": (N, N, N),
    "personal.edit": (N, N, N),
}


def password_only(user):
    """The user as a web request sees them after a password but no second factor (django-otp's
    OTPMiddleware gives every request's user `is_verified`)."""
    from django.contrib.auth.models import User

    fresh = User.objects.get(pk=user.pk)
    fresh.is_verified = lambda: False
    return fresh


def verified(user):
    fresh = password_only(user)
    fresh.is_verified = lambda: True
    return fresh


@pytest.fixture
def objects(cast, personal):
    personal.consent_to_connectors = True
    personal.consent_recorded_at = timezone.now()
    personal.save()
    from livingmap.accounts.services import add_personal_asset

    private = add_personal_asset(person=cast.resident, name="Knitting")
    return {
        None: None,
        "asset": cast.asset,
        "suggestion": Suggestion.objects.create(asset=cast.asset, proposed={"phone": "0161"}),
        "new_suggestion": Suggestion.objects.create(proposed={"name": "New club"}),
        "claim": Claim.objects.create(user=cast.resident, asset=cast.asset, role="Chair"),
        "record": personal,
        "private_record": private,
    }


def test_every_action_of_this_app_has_an_expectation():
    ours = {a for a in RULES if RULES[a].predicate.__module__ == "livingmap.accounts.rules"}
    assert ours == set(EXPECTED), "add the new action to EXPECTED with a row for every role"


@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_grid_for_accounts_actions(cast, objects, action):
    key, expected = EXPECTED[action]
    users = cast.users()
    got = tuple(can(users[role], action, objects[key]) for role in ROLES)
    assert dict(zip(ROLES, got, strict=True)) == dict(zip(ROLES, expected, strict=True))


def test_private_personal_record_only_for_the_person(cast, objects):
    users = cast.users()
    for action, expected in PRIVATE_RECORD.items():
        got = tuple(can(users[r], action, objects["private_record"]) for r in ROLES)
        assert got == expected


def test_every_registered_action_refuses_anonymous_and_never_raises(cast, objects):
    """Covers whatever other apps register (timebank, insights, …) as well as ours."""
    users = cast.users()
    assert len(RULES) >= len(EXPECTED)
    for action, declared in RULES.items():
        assert declared.description, f"{action} has no description"
        for role, user in users.items():
            # Ours also get an object of another type; must not raise.
            ours = action in EXPECTED
            for obj in (None, cast.asset) if ours else (None,):
                allowed = can(user, action, obj)
                assert isinstance(allowed, bool)
                if role == "anonymous" and action != "asset.suggest":
                    assert not allowed, f"anonymous may {action}"


def test_inactive_users_have_no_roles(cast):
    cast.officer.is_active = False
    cast.officer.save()
    from django.contrib.auth.models import User

    officer = User.objects.get(pk=cast.officer.pk)
    assert not can(officer, "officer.freshness")


def test_unknown_action_is_an_error(cast):
    with pytest.raises(KeyError):
        can(cast.officer, "no.such.action")


def test_every_action_has_a_row_for_staff_without_the_second_factor():
    assert set(PASSWORD_ONLY) == set(EXPECTED)


@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_grid_for_staff_signed_in_without_the_second_factor(cast, objects, action):
    key, expected = EXPECTED[action]
    got = tuple(
        can(password_only(getattr(cast, role)), action, objects[key])
        for role in PASSWORD_ONLY_ROLES
    )
    assert dict(zip(PASSWORD_ONLY_ROLES, got, strict=True)) == dict(
        zip(PASSWORD_ONLY_ROLES, PASSWORD_ONLY[action], strict=True)
    )
    # with the second factor, exactly the grid above
    for role in PASSWORD_ONLY_ROLES:
        allowed = expected[ROLES.index(role)]
        assert can(verified(getattr(cast, role)), action, objects[key]) is allowed, role


def test_every_registered_action_withholds_staff_powers_without_the_second_factor(cast, objects):
    """Every app's actions (time bank, insights, …): a password-only staff member may do only
    what the same person could with no staff role at all. (The time bank's actions, with its
    objects: timebank/tests/test_permission_grid.py.)"""
    from livingmap.accounts.roles import STAFF_ROLES, held_roles

    for role in PASSWORD_ONLY_ROLES:
        for action in RULES:
            objs = {None, objects[EXPECTED[action][0]]} if action in EXPECTED else {None}
            for obj in objs:
                weak = password_only(getattr(cast, role))
                plain = verified(getattr(cast, role))
                plain._livingmap_roles = held_roles(plain) - STAFF_ROLES
                plain._timebank_broker_of = set()
                assert can(weak, action, obj) == can(plain, action, obj), (role, action, obj)


def test_without_require_2fa_the_second_factor_is_not_asked(cast, objects, settings):
    settings.LIVINGMAP_REQUIRE_2FA = False
    assert can(password_only(cast.officer), "asset.revert", cast.asset)
    assert can(password_only(cast.connector), "personal.view", objects["record"])


def test_staff_roles_are_read_in_one_place_only():
    """The second factor is enforced where roles are read (roles.roles_of, and the time bank's
    brokers_bank): no other module may look at groups, superuser status or brokers itself, or
    it could grant a staff power without the second factor."""
    import pathlib

    import livingmap

    root = pathlib.Path(livingmap.__file__).parent
    allowed = {root / "accounts" / "roles.py", root / "timebank" / "rules.py"}
    looks = ("is_superuser", ".groups.", "groups__", "Broker.objects.filter(user")
    offenders = []
    for path in root.rglob("*.py"):
        if path in allowed or "tests" in path.parts or "migrations" in path.parts:
            continue
        text = path.read_text()
        offenders += [f"{path.relative_to(root)}: {look}" for look in looks if look in text]
    assert not offenders, offenders
