"""The probes of issue 17, run again as an attacker would, on SQLite and PostgreSQL.

- Staff signed in with a password only (no second factor) use no staff power on any page
  (the time bank's pages and API: livingmap/timebank/tests/test_security_probes.py).
- Every sign-in door is rate limited; Django's admin has no door of its own and needs the
  second factor.
- Nobody can lock a person out of their account by getting its password wrong on purpose,
  from one address or many; guessing is still slowed and stopped.
- A refused request is logged as one line, without a traceback.
See docs/security.md.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Group, User
from django.core import mail
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from livingmap.accounts.models import Claim, Status, Suggestion
from livingmap.accounts.throttle import DEVICE_COOKIE

from .conftest import make_user, sign_in

PASSWORD = "correct horse battery staple"
LOGIN = "/account/sign-in/"
TWO_FACTOR = "/account/two-factor/"


def _password_only(user: User, address: str = "192.0.2.10") -> Client:
    """A browser signed in with the password only: the second factor not passed."""
    client = Client(REMOTE_ADDR=address)
    client.force_login(user)
    return client


def _verified(user: User) -> Client:
    return sign_in(Client(), user)


def _to_two_factor(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(TWO_FACTOR)


# -- 1. the second factor, on every page ------------------------------------------------------


def _routes(resolver: URLResolver | None = None, prefix: str = "") -> Iterator[str]:
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _routes(entry, route)
        elif isinstance(entry, URLPattern):
            yield route


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.add(a["href"])
        if tag == "form" and a.get("action"):
            self.links.add(a["action"])


def _links(response) -> set[str]:
    if getattr(response, "streaming", False) or "html" not in response.get("Content-Type", ""):
        return set()
    parser = _Links()
    parser.feed(response.content.decode("utf-8", "replace"))
    return parser.links


@pytest.fixture
def site(cast, personal):
    """Real rows for every route parameter, and a time bank the administrator may run."""
    from django.utils import timezone

    from livingmap.areas.models import Area
    from livingmap.timebank import services as timebank

    personal.consent_to_connectors = True
    personal.consent_recorded_at = timezone.now()
    personal.save()
    suggestion = Suggestion.objects.create(asset=cast.asset, proposed={"phone": "0161 1"})
    claim = Claim.objects.create(user=cast.other_admin, asset=cast.asset, role="Chair")
    bank = timebank.create_bank(name="Probe Time Bank", brokers=[])
    member = timebank.join_bank(
        bank=bank, user=cast.resident, name="Res", contact="r@example.org", approved_by=None
    )
    neighbourhood = Area.objects.neighbourhoods().first()
    area = Area.objects.filter(is_current=True).exclude(slug="").first()
    return {
        "cast": cast,
        "values": {
            "uuid": str(cast.asset.uuid),
            "suggestion": str(suggestion.pk),
            "claim": str(claim.pk),
            "personal": str(personal.pk),
            "bank": bank.slug,
            "member": str(member.pk),
            "neighbourhood": neighbourhood.slug,
            "area": area.slug,
        },
    }


#: Routes that take a one-time token, or are about signing in and out themselves.
NOT_WALKED = ("confirm-email", "password-reset/<", "still-correct/<str", "sign-out", "two-factor")


def _url(route: str, values: dict[str, str]) -> str | None:
    if route.startswith(("admin/", "api/", "static/", "openreferral/")) or any(
        part in route for part in NOT_WALKED
    ):
        return None
    if "<path:" in route:
        return None
    by_prefix = [
        ("moderation/suggestions/", "suggestion"),
        ("moderation/claims/", "claim"),
        ("account/gifts-and-skills/", "personal"),
        ("timebank/<slug:slug>/broker/members/", "member"),
    ]

    def fill(match: re.Match) -> str:
        name = match.group(2)
        if name == "uuid":
            return values["uuid"]
        if name == "slug":
            if route.startswith("timebank/"):
                return values["bank"]
            if route.startswith("neighbourhoods/"):
                return values["neighbourhood"]
            return values["area"]
        for prefix, key in by_prefix:
            if route.startswith(prefix):
                return values[key]
        return "1"

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", fill, route)


def test_every_page_withholds_staff_powers_until_the_second_factor(site):
    """Walk every page of every app as a resident, as each staff role with the second factor,
    and as the same person with a password only. Where a staff member sees a page a resident
    cannot, the password-only session is sent to two-factor sign-in; where both see it, the
    password-only session gets no link or form the resident does not."""
    cast, values = site["cast"], site["values"]
    # a resident who runs, belongs to and owns nothing: what anyone signed in may see
    resident = _verified(make_user("plain@example.org"))
    urls = [u for u in (_url(route, values) for route in sorted(set(_routes()))) if u]
    as_resident = {url: resident.get(url) for url in urls}
    checked = staff_only = 0
    for role in ("connector", "officer", "administrator"):
        user = getattr(cast, role)
        full, weak = _verified(user), _password_only(user)
        for url in urls:
            as_staff, as_weak, res = full.get(url), weak.get(url), as_resident[url]
            checked += 1
            staff_only += as_staff.status_code == 200 and res.status_code != 200
            if as_weak.status_code == 200:
                assert res.status_code == 200, f"{role} without the second factor got {url}"
                extra = _links(as_weak) - _links(res) - {TWO_FACTOR}
                assert not extra, f"{role} without the second factor is offered {extra} on {url}"
            elif as_staff.status_code == 200:
                assert _to_two_factor(as_weak), (
                    f"{role} without the second factor: {url} gave {as_weak.status_code}, "
                    "not a way to two-factor sign-in"
                )
    assert checked > 150 and staff_only >= 15, (checked, staff_only)


def test_staff_actions_posted_without_the_second_factor_change_nothing(site):
    cast, values = site["cast"], site["values"]
    officer = _password_only(cast.officer)
    claim = Claim.objects.get(pk=values["claim"])
    suggestion = Suggestion.objects.get(pk=values["suggestion"])
    name = cast.asset.name
    posts = [
        (reverse("moderation_claim", args=[claim.pk]), {"decision": "approve"}),
        (reverse("moderation_suggestion", args=[suggestion.pk]), {"decision": "approve"}),
        (reverse("asset_edit", args=[cast.asset.uuid]), {"name": "Taken over"}),
        (reverse("asset_verify", args=[cast.asset.uuid]), {}),
    ]
    for url, data in posts:
        assert _to_two_factor(officer.post(url, data, HTTP_REFERER="http://testserver/")), url
    claim.refresh_from_db()
    suggestion.refresh_from_db()
    cast.asset.refresh_from_db()
    assert claim.status == Status.PENDING and suggestion.status == Status.PENDING
    assert cast.asset.name == name


def test_resident_actions_still_work_without_the_second_factor(site):
    cast = site["cast"]
    for role in ("connector", "officer", "administrator"):
        client = _password_only(getattr(cast, role))
        assert client.get(reverse("account_home")).status_code == 200
        assert client.get(reverse("account_my_data")).status_code == 200
        assert client.get(reverse("asset_claim", args=[cast.other_asset.uuid])).status_code == 200
        assert client.get(reverse("asset_suggest", args=[cast.asset.uuid])).status_code == 200
        assert client.get(reverse("personal_add")).status_code == 200


def test_a_group_admin_who_is_an_officer_still_runs_their_own_group(site):
    """Running one's own group is not a staff power: no second factor for it."""
    cast = site["cast"]
    cast.group_admin.groups.add(Group.objects.get(name="officer"))
    client = _password_only(User.objects.get(pk=cast.group_admin.pk))
    assert client.get(reverse("asset_edit", args=[cast.asset.uuid])).status_code == 200
    # … but the officer's powers over other groups wait for the second factor
    assert _to_two_factor(client.get(reverse("asset_edit", args=[cast.other_asset.uuid])))


def test_without_require_2fa_staff_need_no_second_factor(site, settings):
    """LIVINGMAP_REQUIRE_2FA=0, for a local look only: staff powers with a password alone."""
    settings.LIVINGMAP_REQUIRE_2FA = False
    officer = _password_only(site["cast"].officer)
    assert officer.get(reverse("officer_freshness")).status_code == 200


# -- 2. every sign-in door ---------------------------------------------------------------------


def test_the_admin_has_no_sign_in_door_of_its_own(cast):
    """/admin/login/ never checks a password: it sends people to the site's sign-in page,
    which is rate limited, and then to two-factor sign-in."""
    client = Client(REMOTE_ADDR="203.0.113.9")
    response = client.get("/admin/login/?next=/admin/auth/user/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN) and "admin" in response["Location"]
    for password in ["wrong"] * 28 + [PASSWORD]:
        response = client.post(
            "/admin/login/", {"username": cast.administrator.email, "password": password}
        )
        assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


def test_28_wrong_passwords_then_the_right_one_at_the_sign_in_page_is_refused(cast):
    client = Client(REMOTE_ADDR="203.0.113.10")
    statuses = [
        client.post(
            LOGIN, {"username": cast.administrator.email, "password": f"guess{i}"}
        ).status_code
        for i in range(28)
    ]
    assert statuses[:5] == [400] * 5 and set(statuses[5:]) == {429}
    right = client.post(LOGIN, {"username": cast.administrator.email, "password": PASSWORD})
    assert right.status_code == 429 and "_auth_user_id" not in client.session


@pytest.mark.parametrize("staff_role", ["officer", "administrator", "plain_staff"])
def test_the_admin_needs_the_second_factor_for_every_staff_account(cast, staff_role, settings):
    settings.LIVINGMAP_ADMIN_REQUIRE_2FA = True
    if staff_role == "plain_staff":  # is_staff, but neither officer nor administrator
        user = make_user("staff@example.org")
        user.is_staff = True
        user.save()
    else:
        user = getattr(cast, staff_role)
        user.is_staff = True
        user.save()
    client = _password_only(user)
    response = client.get("/admin/")
    assert response.status_code == 302
    followed = client.get(response["Location"])
    assert _to_two_factor(followed)
    assert client.get("/admin/auth/user/").status_code == 302
    sign_in(client, user)
    assert client.get("/admin/").status_code in (200, 403)  # 403: staff without model rights
    if staff_role == "administrator":
        assert client.get("/admin/auth/user/").status_code == 200


def test_password_reset_is_rate_limited(cast):
    client = Client(REMOTE_ADDR="203.0.113.11")
    statuses = [
        client.post(reverse("password_reset"), {"email": cast.resident.email}).status_code
        for _ in range(7)
    ]
    assert statuses[:5] == [302] * 5 and statuses[-1] == 429


# -- 3. throttling without lock-out ------------------------------------------------------------


def _attempt(address: str, username: str, password: str, client: Client | None = None):
    client = client or Client(REMOTE_ADDR=address)
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_a_spray_from_many_addresses_does_not_keep_the_victim_out(cast):
    """The attacker tries the victim's account from 60 addresses, 3 guesses each (under every
    per-address limit). The victim's own browser, which signed in before, still signs in; a new
    browser is held back (the guessing is stopped) but gets in after resetting the password."""
    victim = cast.resident
    own_browser = Client(REMOTE_ADDR="198.51.100.1")
    assert _attempt("198.51.100.1", victim.email, PASSWORD, own_browser).status_code == 302
    assert own_browser.cookies.get(DEVICE_COOKIE)
    own_browser.post(reverse("account_logout"))

    refused = 0
    for n in range(60):
        for guess in range(3):
            r = _attempt(f"10.{n}.0.{guess + 1}", victim.email, f"guess-{n}-{guess}")
            refused += r.status_code == 429
    assert refused >= 150, "a spray from many addresses must be stopped"

    # the attacker, even with the right password from a new address, learns nothing
    r = _attempt("10.99.0.1", victim.email, PASSWORD)
    assert r.status_code == 429 and "device that has signed in" in r.content.decode()

    # the victim, from their own browser, signs in
    r = _attempt("198.51.100.1", victim.email, PASSWORD, own_browser)
    assert r.status_code == 302 and own_browser.session.get("_auth_user_id") == str(victim.pk)

    # from a new browser, after resetting the password by email, too
    new_browser = Client(REMOTE_ADDR="198.51.100.2")
    assert _attempt("198.51.100.2", victim.email, PASSWORD, new_browser).status_code == 429
    mail.outbox.clear()
    new_browser.post(reverse("password_reset"), {"email": victim.email})
    link = re.search(r"https?://[^\s]+/password-reset/[^\s]+", mail.outbox[0].body).group(0)
    form = new_browser.get(link, follow=True).redirect_chain[-1][0]
    new = "a brand new long passphrase"
    assert new_browser.post(form, {"new_password1": new, "new_password2": new}).status_code == 302
    r = _attempt("198.51.100.2", victim.email, new, new_browser)
    assert r.status_code == 302 and new_browser.session.get("_auth_user_id") == str(victim.pk)


def test_one_address_guessing_one_account_is_stopped_without_a_hint(cast):
    victim = cast.officer
    statuses = [_attempt("203.0.113.20", victim.email, f"guess{i}").status_code for i in range(6)]
    assert statuses == [400] * 5 + [429]
    right = _attempt("203.0.113.20", victim.email, PASSWORD)
    wrong = _attempt("203.0.113.20", victim.email, "guess-again")
    assert right.status_code == wrong.status_code == 429
    assert right.content == wrong.content  # nothing says the password was right
    # the victim elsewhere is not affected
    assert _attempt("198.51.100.30", victim.email, PASSWORD).status_code == 302


def test_one_address_guessing_many_accounts_is_stopped(cast):
    statuses = [
        _attempt("203.0.113.21", f"someone{i}@example.org", "password1").status_code
        for i in range(31)
    ]
    assert statuses[:30] == [400] * 30 and statuses[30] == 429
    assert _attempt("203.0.113.21", cast.resident.email, PASSWORD).status_code == 429
    assert _attempt("203.0.113.22", cast.resident.email, PASSWORD).status_code == 302


def test_a_known_browser_has_its_own_limit_and_cookies_are_not_transferable(cast):
    """The device cookie is for one account: another account's, or a forged one, counts for
    nothing; and a known browser guessing wrong is itself stopped."""
    attacker = make_user("attacker@example.org")
    browser = Client(REMOTE_ADDR="203.0.113.30")
    assert _attempt("203.0.113.30", attacker.email, PASSWORD, browser).status_code == 302
    browser.post(reverse("account_logout"))
    for i in range(5):
        _attempt("203.0.113.30", cast.resident.email, f"x{i}", browser)
    # the attacker's own device cookie does not lift the limit for the victim's account
    assert _attempt("203.0.113.30", cast.resident.email, PASSWORD, browser).status_code == 429
    browser.cookies[DEVICE_COOKIE] = "forged:value"
    assert _attempt("203.0.113.30", cast.resident.email, PASSWORD, browser).status_code == 429

    # a known browser: 10 wrong passwords, then it waits too
    own = Client(REMOTE_ADDR="198.51.100.40")
    assert _attempt("198.51.100.40", cast.group_admin.email, PASSWORD, own).status_code == 302
    own.post(reverse("account_logout"))
    statuses = [
        _attempt("198.51.100.40", cast.group_admin.email, f"w{i}", own).status_code
        for i in range(11)
    ]
    assert statuses == [400] * 10 + [429]


# -- 4. a refusal is one line in the log -------------------------------------------------------


def test_a_refused_request_logs_one_line_and_no_traceback(cast, caplog):
    resident = _verified(cast.resident)
    urls = [
        reverse("officer_freshness"),
        reverse("moderation_queue"),
        reverse("asset_history", args=[cast.asset.uuid]),
    ]
    with caplog.at_level(logging.WARNING, logger="django.request"):
        statuses = [resident.get(url).status_code for url in urls]
    assert statuses == [403] * len(urls)
    records = [r for r in caplog.records if r.name == "django.request"]
    assert len(records) == len(urls)
    for record in records:
        assert record.exc_info is None and not record.exc_text
        assert "\n" not in record.getMessage() and "Forbidden" in record.getMessage()
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize(
    ("name", "statuses"),
    [
        # The shared input layer (core.middleware) refuses a NUL before any view: no password is
        # checked, so there is nothing to count, and nothing reaches the database.
        ("nul\x00@example.org", [400] * 6),
        ("\x00", [400] * 6),
        # A tab passes the input layer: the throttle reads the name before the form checks it,
        # counts the tries, and the form answers 400 until the limit.
        ("tab\t@example.org", [400] * 5 + [429]),
    ],
)
def test_a_name_with_control_characters_is_counted_not_looked_up(db, name, statuses):
    """A name with a control character never reaches the database (PostgreSQL refuses a NUL)
    and never gives a 500: refused whole by the input layer, or counted and refused by the form."""
    answers = [_attempt("203.0.113.40", name, "wrong") for _ in range(6)]
    assert [a.status_code for a in answers] == statuses
    if "\x00" in name:
        assert all(b"control character" in a.content or b"NUL" in a.content for a in answers)
