"""Sign-up with email verification, sign-in, throttling, password reset, two-factor sign-in."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from livingmap.accounts import services

from .conftest import make_user, sign_in

PASSWORD = "correct horse battery staple"


def _link(body: str) -> str:
    return re.search(r"http://testserver(/\S+)", body).group(1)


def _create_account(client, link: str, name: str = "Ada", password: str = PASSWORD):
    """Follow a confirmation link as its reader does: choose a name and a password."""
    return client.post(link, {"name": name, "password1": password, "password2": password})


def test_sign_up_needs_a_confirmed_email_before_signing_in(client, db):
    response = client.post(reverse("account_signup"), {"email": "Ada@Example.org"})
    assert response.status_code == 302
    user = User.objects.get(username="ada@example.org")
    assert not user.is_active and not user.has_usable_password() and user.first_name == ""
    assert user.profile.email_confirmed_at is None
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ada@example.org"]
    assert "If you did not sign up, ignore this email" in mail.outbox[0].body

    response = client.post(
        reverse("account_login"), {"username": "ada@example.org", "password": PASSWORD}
    )
    assert response.status_code == 400  # there is no password yet

    link = _link(mail.outbox[0].body)
    page = client.get(link)  # a form: scanners change nothing
    assert page.status_code == 200 and "Create your account" in page.content.decode()
    assert not User.objects.get(pk=user.pk).is_active
    assert _create_account(client, link).status_code == 302
    user = User.objects.get(pk=user.pk)
    assert user.is_active and user.first_name == "Ada" and user.check_password(PASSWORD)
    assert user.profile.email_confirmed_at is not None

    response = client.post(
        reverse("account_login"), {"username": "ADA@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("account_home")).status_code == 200
    download = client.get(reverse("account_my_data_download")).json()["account"]
    assert download["email_confirmed_at"] == user.profile.email_confirmed_at.isoformat()
    # the link worked once: nobody can use it again to choose another password
    client.logout()
    assert _create_account(client, link, password="another long passphrase").status_code == 400
    assert User.objects.get(pk=user.pk).check_password(PASSWORD)


def test_sign_up_refuses_a_wrong_address_and_the_link_weak_or_mismatched_passwords(client, db):
    response = client.post(reverse("account_signup"), {"email": "not an email"})
    assert response.status_code == 400 and "There is a problem" in response.content.decode()
    assert len(mail.outbox) == 0

    client.post(reverse("account_signup"), {"email": "new@example.org"})
    link = _link(mail.outbox[0].body)
    bad = [
        {"name": "A", "password1": "password", "password2": "password"},
        {"name": "A", "password1": PASSWORD, "password2": "other"},
        {"name": "A", "password1": "new@example.org", "password2": "new@example.org"},
        {"name": "", "password1": PASSWORD, "password2": PASSWORD},
    ]
    for data in bad:
        response = client.post(link, data)
        assert response.status_code == 400, data
        assert "There is a problem" in response.content.decode()
    user = User.objects.get(username="new@example.org")
    assert not user.is_active and not user.has_usable_password()


def test_a_forged_confirmation_link_is_refused(client, db):
    response = client.get(reverse("account_verify", args=["forged:token"]))
    assert response.status_code == 400
    assert "This link does not work" in response.content.decode()


def test_sign_in_is_throttled_by_username(client, db):
    make_user("victim@example.org")
    statuses = [
        client.post(
            reverse("account_login"), {"username": "victim@example.org", "password": "wrong"}
        ).status_code
        for _ in range(7)
    ]
    assert statuses[:5] == [400] * 5
    assert statuses[-1] == 429
    response = client.post(
        reverse("account_login"), {"username": "victim@example.org", "password": PASSWORD}
    )
    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.content.decode()


def test_password_reset_by_email(client, db):
    make_user("forgot@example.org")
    response = client.post(reverse("password_reset"), {"email": "forgot@example.org"})
    assert response.status_code == 302
    link = _link(mail.outbox[0].body)
    response = client.get(link, follow=True)
    assert response.status_code == 200
    form_url = response.redirect_chain[-1][0]
    new = "a brand new long passphrase"
    response = client.post(form_url, {"new_password1": new, "new_password2": new})
    assert response.status_code == 302
    assert User.objects.get(username="forgot@example.org").check_password(new)


def test_header_shows_sign_in_or_account(client, db):
    page = client.get(reverse("home")).content.decode()
    assert "Sign in" in page
    client.force_login(make_user("someone@example.org"))
    page = client.get(reverse("home")).content.decode()
    assert "Your account" in page and "Sign out" in page


def test_officers_must_pass_two_factor_before_officer_pages(client, db):
    import segno  # noqa: F401  (the QR code is drawn on the page, no external request)
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    officer = make_user("officer@example.org", groups=("officer",))
    client.force_login(officer)
    response = client.get(reverse("officer_freshness"))
    assert response.status_code == 302 and response.url.startswith(reverse("account_two_factor"))

    page = client.get(response.url)
    assert page.status_code == 200 and "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=officer)
    assert not device.confirmed

    wrong = client.post(reverse("account_two_factor"), {"otp_token": "000000"})
    assert wrong.status_code == 400
    device.refresh_from_db()
    assert device.throttling_failure_count == 1  # django-otp slows guessing down
    device.throttle_reset()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    right = client.post(
        reverse("account_two_factor") + "?next=/officers/freshness/",
        {"otp_token": f"{totp.token():06d}", "next": "/officers/freshness/"},
    )
    assert right.status_code == 302 and right.url == "/officers/freshness/"
    assert client.get(reverse("officer_freshness")).status_code == 200


def test_residents_do_not_need_two_factor(client, db):
    client.force_login(make_user("resident@example.org"))
    assert client.get(reverse("account_home")).status_code == 200
    assert client.get(reverse("officer_freshness")).status_code == 403


@pytest.mark.parametrize("url_name", ["account_home", "account_my_data", "moderation_queue"])
def test_pages_for_people_ask_anonymous_users_to_sign_in(client, db, url_name):
    response = client.get(reverse(url_name))
    assert response.status_code == 302 and reverse("account_login") in response.url


def test_sign_in_helper_passes_two_factor(client, db):
    officer = make_user("o2@example.org", groups=("officer",))
    sign_in(client, officer)
    assert client.get(reverse("officer_freshness")).status_code == 200


def test_requires_decorator_checks_permission_then_two_factor(rf, db):
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.sessions.backends.db import SessionStore
    from django.http import HttpResponse

    from livingmap.accounts.guards import requires

    @requires("officer.freshness")
    def view(request):
        return HttpResponse("ok")

    request = rf.get("/x/")
    request.user = AnonymousUser()
    assert view(request).status_code == 302  # to sign in
    officer = make_user("o3@example.org", groups=("officer",))
    request.user = officer
    request.user.is_verified = lambda: False
    request.session = SessionStore()
    response = view(request)
    assert response.status_code == 302 and reverse("account_two_factor") in response.url
    request.user.is_verified = lambda: True
    assert view(request).content == b"ok"
    request.user = make_user("r3@example.org")
    with pytest.raises(PermissionDenied):
        view(request)


def _summary(response) -> list[str]:
    """The messages of the page's GOV.UK error summary."""
    return re.findall(r'<li><a href="#[^"]+">([^<]+)</a></li>', response.content.decode())


def test_error_messages_name_the_field(client, db):
    response = client.post(reverse("account_signup"), {})
    assert _summary(response) == ["Enter your email address"]
    response = client.post(reverse("account_login"), {})
    assert _summary(response) == ["Enter your email address", "Enter your password"]
    response = client.post(reverse("account_signup"), {"email": "not an email"})
    assert _summary(response) == [
        "Enter an email address in the correct format, like name@example.com"
    ]
    client.post(reverse("account_signup"), {"email": "fields@example.org"})
    response = client.post(_link(mail.outbox[-1].body), {})
    assert _summary(response) == ["Enter your name", "Enter a password", "Confirm your password"]
    response = client.post(reverse("password_reset"), {})
    assert _summary(response) == ["Enter your email address"]


def test_an_administrator_made_with_a_capitalised_email_signs_in(client, db, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    call_command(
        "createsuperuser",
        "--noinput",
        "--username",
        "QA2@Example.org",
        "--email",
        "QA2@Example.org",
        verbosity=0,
    )
    for typed in ("QA2@Example.org", "qa2@example.org", " Qa2@EXAMPLE.org "):
        client.logout()
        response = client.post(reverse("account_login"), {"username": typed, "password": PASSWORD})
        assert response.status_code == 302, (typed, _summary(response))
    # the address is one account whatever its case: password reset finds it, sign-up does not
    # make a second one
    admin = User.objects.get(username="QA2@Example.org")
    response = client.post(reverse("password_reset"), {"email": "qa2@EXAMPLE.ORG"})
    assert response.status_code == 302 and mail.outbox[-1].to == [admin.email]
    client.post(reverse("account_signup"), {"email": "qa2@example.org"})
    assert User.objects.filter(username__iexact="qa2@example.org").count() == 1
    assert "already has an account" in mail.outbox[-1].body


def test_the_admin_sends_people_to_the_sign_in_page_which_matches_the_email_whatever_its_case(
    client, db, monkeypatch
):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    call_command(
        "createsuperuser",
        "--noinput",
        "--username",
        "QA3@Example.org",
        "--email",
        "QA3@Example.org",
        verbosity=0,
    )
    for typed, signed_in in (
        ("qa3@example.org", True),
        ("QA3@EXAMPLE.ORG", True),
        ("qa3@example.org ", True),
        ("qa4@example.org", False),
    ):
        client.logout()
        # The admin has no sign-in form of its own: it sends people to the site's.
        response = client.get("/admin/login/?next=/admin/")
        assert response.status_code == 302 and response.url.startswith(reverse("account_login"))
        response = client.post(response.url, {"username": typed, "password": PASSWORD})
        assert (response.status_code == 302) is signed_in, typed
        assert ("_auth_user_id" in client.session) is signed_in, typed
        if signed_in:  # back to the admin, by way of two-factor sign-in
            assert response.url == "/admin/"
            assert (
                client.get("/admin/", follow=True)
                .redirect_chain[-1][0]
                .startswith(reverse("account_two_factor"))
            )
    client.logout()
    response = client.post("/admin/login/", {"username": "qa3@example.org", "password": PASSWORD})
    assert response.status_code == 302 and "_auth_user_id" not in client.session


def _sign_up(client, email: str, **more: str):
    return client.post(reverse("account_signup"), {"email": email, **more})


def test_an_unconfirmed_account_gets_the_link_again_and_nobody_learns_who_has_an_account(
    client, db
):
    make_user("member@example.org")  # a confirmed account
    assert _sign_up(client, "ada@example.org").url == reverse("account_signup_done")
    first_link = _link(mail.outbox[-1].body)

    # Asking again: the same answer whatever the address; only the waiting account gets a link.
    answers = []
    for email in ("ada@example.org", "nobody@example.org", "member@example.org"):
        mail.outbox.clear()
        response = client.post(reverse("account_resend_confirmation"), {"email": email})
        answers.append((response.status_code, response.url))
        assert [m.to for m in mail.outbox] == ([["ada@example.org"]] if email[0] == "a" else [])
    assert len(set(answers)) == 1 and answers[0][0] == 302
    page = client.get(answers[0][1]).content.decode()
    assert "If that address has an account waiting to be confirmed" in page

    # Signing up again: the same page as a new sign-up, never "there is already an account".
    answers = []
    for email in ("new@example.org", "member@example.org", "Ada@Example.org"):
        mail.outbox.clear()
        response = _sign_up(client, email)
        answers.append((response.status_code, response.url))
        assert len(mail.outbox) == 1 and mail.outbox[0].to == [email.lower()]
        expected = "already has an account" if email.startswith("member") else "create your account"
        assert expected in mail.outbox[0].body
    assert len(set(answers)) == 1
    latest_link = _link(mail.outbox[-1].body)
    waiting = User.objects.get(username__iexact="ada@example.org")
    assert not waiting.is_active and not waiting.has_usable_password()  # nothing changed

    # Either link lets the address's owner choose their name and password, once.
    assert _create_account(client, latest_link, name="Ada Lovelace").status_code == 302
    assert client.post(first_link).status_code == 400
    response = client.post(
        reverse("account_login"), {"username": "ada@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert User.objects.get(pk=waiting.pk).first_name == "Ada Lovelace"


@pytest.mark.parametrize("first", ["owner", "someone else"])
def test_signing_up_with_someone_elses_address_cannot_choose_their_password(client, db, first):
    """Whoever signs up first, and whatever name and password a second sign-up sends, the
    account goes live only with the name and password its owner chooses on the link's page."""
    owner, attacker = client, Client()
    guess = "mallory's passphrase"
    theirs = {"name": "Mallory", "password1": guess, "password2": guess}
    if first == "owner":
        _sign_up(owner, "rosa@example.org", name="Rosa", password1=PASSWORD, password2=PASSWORD)
    _sign_up(attacker, "rosa@example.org", **theirs)
    _sign_up(attacker, "rosa@example.org", **theirs)  # and again, to replace what is there
    assert {tuple(m.to) for m in mail.outbox} == {("rosa@example.org",)}
    waiting = User.objects.get(username="rosa@example.org")
    assert not waiting.has_usable_password() and waiting.first_name == ""

    # The owner follows the newest link, as anyone would, and chooses their own password.
    assert _create_account(owner, _link(mail.outbox[-1].body), name="Rosa").status_code == 302
    for password, works in ((guess, False), (PASSWORD, True)):
        response = attacker.post(
            reverse("account_login"), {"username": "rosa@example.org", "password": password}
        )
        assert (response.status_code == 302) is works, password
    assert User.objects.get(pk=waiting.pk).first_name == "Rosa"


def test_the_confirmation_pages_offer_a_new_link(client, db):
    for url in (
        reverse("account_verify", args=["forged:token"]),
        reverse("account_signup_done"),
        reverse("account_login"),
    ):
        assert reverse("account_resend_confirmation") in client.get(url).content.decode(), url


def test_password_reset_for_an_unconfirmed_account_sends_a_confirmation_link(client, db):
    _sign_up(client, "waiting@example.org")
    mail.outbox.clear()
    response = client.post(reverse("password_reset"), {"email": "Waiting@example.org"})
    assert response.status_code == 302 and len(mail.outbox) == 1
    assert _create_account(client, _link(mail.outbox[0].body)).status_code == 302
    assert User.objects.get(username="waiting@example.org").is_active


def _turned_off(user: User) -> None:
    """An administrator turns the account off (the admin's "Active" box)."""
    user.is_active = False
    user.save(update_fields=["is_active"])


def test_an_account_turned_off_is_not_turned_back_on_by_a_link(client, db):
    _sign_up(client, "gone@example.org")
    link = _link(mail.outbox[-1].body)
    _create_account(client, link)
    user = User.objects.get(username="gone@example.org")
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    _turned_off(user)
    mail.outbox.clear()
    client.post(reverse("account_resend_confirmation"), {"email": "gone@example.org"})
    assert mail.outbox == []
    _sign_up(client, "gone@example.org")
    assert len(mail.outbox) == 1 and "turned it off" in mail.outbox[0].body
    assert "http" not in mail.outbox[0].body  # no link of any kind
    assert client.post(link).status_code == 400
    assert not User.objects.get(pk=user.pk).is_active


def test_an_account_confirmed_but_never_signed_in_stays_off_when_turned_off(client, db):
    """Confirming does not sign anyone in, so such an account has no last sign-in: whether it
    was confirmed is stored, not guessed from that."""
    _sign_up(client, "quiet@example.org")
    _create_account(client, _link(mail.outbox[-1].body))
    user = User.objects.get(username="quiet@example.org")
    assert user.last_login is None and user.profile.email_confirmed_at is not None
    _turned_off(user)
    mail.outbox.clear()

    client.post(reverse("account_resend_confirmation"), {"email": "quiet@example.org"})
    assert mail.outbox == []
    _sign_up(client, "quiet@example.org", password1="x", password2="x")
    assert len(mail.outbox) == 1 and "turned it off" in mail.outbox[0].body
    mail.outbox.clear()
    client.post(reverse("password_reset"), {"email": "quiet@example.org"})
    assert mail.outbox == []

    user = User.objects.get(pk=user.pk)
    assert not user.is_active and user.check_password(PASSWORD)  # nothing changed
    assert not services.is_unconfirmed(user)
    # an account an administrator made has no profile: never "waiting", so never turned on
    made = make_user("made@example.org")
    _turned_off(made)
    assert not services.is_unconfirmed(made)


def test_existing_accounts_are_marked_as_the_old_guess_said(db):
    """The migration's data step: on, or signed in before, is confirmed; off and never signed in
    is still waiting."""
    from importlib import import_module

    from django.apps import apps as django_apps

    from livingmap.accounts.models import Profile

    migration = import_module("livingmap.accounts.migrations.0004_profile_suggestion_pending_key")
    on = make_user("on@example.org")
    gone = make_user("gone@example.org")
    User.objects.filter(pk=gone.pk).update(is_active=False, last_login=timezone.now())
    waiting = make_user("waiting@example.org")
    User.objects.filter(pk=waiting.pk).update(is_active=False)
    migration.add_profiles(django_apps, None)
    confirmed = dict(Profile.objects.values_list("user__username", "email_confirmed_at"))
    assert confirmed["on@example.org"] == User.objects.get(pk=on.pk).date_joined
    assert confirmed["gone@example.org"] == User.objects.get(pk=gone.pk).last_login
    assert confirmed["waiting@example.org"] is None


@pytest.mark.parametrize("case", ["new", "waiting", "confirmed", "turned off"])
def test_every_sign_up_does_the_same_work(db, monkeypatch, case):
    """Response time must not say which addresses have accounts: no case hashes a password (no
    password is given at sign-up), and every case sends exactly one email, after the response."""
    from django.contrib.auth.hashers import get_hasher

    from livingmap.accounts import outbox

    email = "same@example.org"
    if case != "new":
        services.sign_up(email=email, base_url="http://testserver")
    if case in ("confirmed", "turned off"):
        services.confirm_email(user=User.objects.get(username=email), name="S", password=PASSWORD)
    if case == "turned off":
        _turned_off(User.objects.get(username=email))
    mail.outbox.clear()
    hasher = type(get_hasher())
    hashes = []
    encode = hasher.encode
    monkeypatch.setattr(
        hasher, "encode", lambda self, *a, **k: hashes.append(1) or encode(self, *a, **k)
    )

    outbox.start()  # as a request does
    try:
        services.sign_up(email=email, base_url="http://testserver")
        assert mail.outbox == []  # nothing is sent while the page is being made
    finally:
        outbox.finish()  # the response has gone
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [email]
    assert hashes == []


def test_the_link_again_and_password_reset_are_sent_after_the_response(rf, db):
    from livingmap.accounts import outbox
    from livingmap.accounts.forms import GovPasswordResetForm

    services.sign_up(email="waiting@example.org", base_url="http://testserver")
    make_user("member@example.org")
    mail.outbox.clear()
    outbox.start()  # as a request does
    try:
        services.resend_confirmation(email="waiting@example.org", base_url="http://testserver")
        form = GovPasswordResetForm({"email": "Member@example.org"})
        assert form.is_valid()
        form.save(request=rf.get("/"), email_template_name="accounts/email/password_reset.txt")
        assert mail.outbox == []
    finally:
        outbox.finish()
    assert sorted(m.to[0] for m in mail.outbox) == ["member@example.org", "waiting@example.org"]


def test_an_email_that_cannot_be_sent_does_not_change_the_answer(client, db, monkeypatch, caplog):
    """Emails go after the response: a slow or broken mail server is not in the page's time,
    and a failure is logged instead of turning the page into an error."""
    from django.core.mail import EmailMessage

    def broken(self, *args, **kwargs):
        raise ConnectionRefusedError("no mail server")

    monkeypatch.setattr(EmailMessage, "send", broken)
    response = _sign_up(client, "nomail@example.org")
    assert response.status_code == 302 and response.url == reverse("account_signup_done")
    assert "could not be sent after the response" in caplog.text


def test_two_sign_ups_at_the_same_moment_make_one_account(client, db, monkeypatch):
    """A double click: the other sign-up creates the account between this one's look-up and its
    insert. The unique username then refuses the insert; the account is theirs, and this sign-up
    sends its link instead of failing."""
    real = services.account_for_email
    raced = []

    def other_sign_up_lands_first(email):
        if not raced:
            raced.append(email)
            with transaction.atomic():  # the other request, committed meanwhile
                services._new_account(email)
            return None
        return real(email)

    monkeypatch.setattr(services, "account_for_email", other_sign_up_lands_first)
    response = _sign_up(client, "twice@example.org")
    assert response.status_code == 302 and raced == ["twice@example.org"]
    assert User.objects.filter(username="twice@example.org").count() == 1
    assert [m.to for m in mail.outbox] == [["twice@example.org"]]
    assert _create_account(client, _link(mail.outbox[0].body)).status_code == 302


def test_a_right_code_too_soon_after_a_wrong_one_is_told_to_wait(client, db):
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    officer = make_user("officer@example.org", groups=("officer",))
    client.force_login(officer)
    device = TOTPDevice.objects.create(user=officer, name="phone", confirmed=True)
    url = reverse("account_two_factor")
    assert client.post(url, {"otp_token": "000000"}).status_code == 400
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    # (more wrong codes before: a pause of 8 seconds, so a slow test machine still sees it)
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_count=4, throttling_failure_timestamp=timezone.now()
    )
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    response = client.post(url, {"otp_token": f"{totp.token():06d}"})
    page = response.content.decode()
    assert response.status_code == 400
    assert re.search(r"Wait [1-8] seconds?, then enter the new code", page)
    assert "not right" not in page
    # once the pause is over, the code is checked
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - timedelta(seconds=60)
    )
    response = client.post(url, {"otp_token": f"{totp.token():06d}"})
    assert response.status_code == 302


def test_sessions_begun_before_the_email_backend_stay_signed_in(client, db):
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    user = make_user("earlier@example.org")
    session = client.session
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    response = client.get(reverse("account_home"))
    assert response.status_code == 200
    assert response.wsgi_request.user == user
