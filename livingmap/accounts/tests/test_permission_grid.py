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
