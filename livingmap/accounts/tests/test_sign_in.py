"""Sign-up with email verification, sign-in, throttling, password reset, two-factor sign-in."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from .conftest import make_user, sign_in

PASSWORD = "correct horse battery staple"


def _link(body: str) -> str:
    return re.search(r"http://testserver(/\S+)", body).group(1)


def test_sign_up_needs_a_confirmed_email_before_signing_in(client, db):
    response = client.post(
        reverse("account_signup"),
        {"name": "Ada", "email": "Ada@Example.org", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    user = User.objects.get(username="ada@example.org")
    assert not user.is_active
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ada@example.org"]

    response = client.post(
        reverse("account_login"), {"username": "ada@example.org", "password": PASSWORD}
    )
    assert response.status_code == 400
    assert "Confirm your email address first" in response.content.decode()

    link = _link(mail.outbox[0].body)
    assert client.get(link).status_code == 200  # a page with a button: scanners change nothing
    assert not User.objects.get(pk=user.pk).is_active
    assert client.post(link).status_code == 302
    assert User.objects.get(pk=user.pk).is_active

    response = client.post(
        reverse("account_login"), {"username": "ADA@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("account_home")).status_code == 200


def test_sign_up_refuses_weak_or_mismatched_passwords(client, db):
    bad = [
        {"name": "A", "email": "new@example.org", "password1": "password", "password2": "password"},
        {"name": "A", "email": "new@example.org", "password1": PASSWORD, "password2": "other"},
        {"name": "A", "email": "not an email", "password1": PASSWORD, "password2": PASSWORD},
    ]
    for data in bad:
        response = client.post(reverse("account_signup"), data)
        assert response.status_code == 400
        assert "There is a problem" in response.content.decode()
    assert not User.objects.filter(username="new@example.org").exists()


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
    assert _summary(response) == [
        "Enter your name",
        "Enter your email address",
        "Enter a password",
        "Confirm your password",
    ]
    response = client.post(reverse("account_login"), {})
    assert _summary(response) == ["Enter your email address", "Enter your password"]
    response = client.post(
        reverse("account_signup"),
        {"name": "A", "email": "not an email", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert _summary(response) == [
        "Enter an email address in the correct format, like name@example.com"
    ]
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
    client.post(
        reverse("account_signup"),
        {"name": "Q", "email": "qa2@example.org", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert User.objects.filter(username__iexact="qa2@example.org").count() == 1
    assert "already has an account" in mail.outbox[-1].body


def test_the_admin_sign_in_matches_the_email_whatever_its_case_too(client, db, monkeypatch):
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
        response = client.post(
            "/admin/login/?next=/admin/", {"username": typed, "password": PASSWORD}
        )
        assert (response.status_code == 302) is signed_in, typed
        assert ("_auth_user_id" in client.session) is signed_in, typed
    client.logout()
    response = client.post("/admin/login/", {"username": "qa3@example.org", "password": "wrong"})
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def _sign_up(client, email: str, password: str = PASSWORD):
    return client.post(
        reverse("account_signup"),
        {"name": "Ada", "email": email, "password1": password, "password2": password},
    )


def test_an_unconfirmed_account_gets_a_new_link_and_nobody_learns_who_has_an_account(client, db):
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
        response = _sign_up(client, email, "another long passphrase")
        answers.append((response.status_code, response.url))
        assert len(mail.outbox) == 1 and mail.outbox[0].to == [email.lower()]
        expected = "already has an account" if email.startswith("member") else "confirm your email"
        assert expected in mail.outbox[0].body
    assert len(set(answers)) == 1
    latest_link = _link(mail.outbox[-1].body)
    assert User.objects.filter(username__iexact="ada@example.org").count() == 1

    # The latest sign-up's link works (with its password); the first one no longer does.
    assert client.post(first_link).status_code == 400
    assert client.post(latest_link).status_code == 302
    response = client.post(
        reverse("account_login"),
        {"username": "ada@example.org", "password": "another long passphrase"},
    )
    assert response.status_code == 302


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
    assert client.post(_link(mail.outbox[0].body)).status_code == 302
    assert User.objects.get(username="waiting@example.org").is_active


def test_an_account_turned_off_is_not_turned_back_on_by_a_link(client, db):
    _sign_up(client, "gone@example.org")
    link = _link(mail.outbox[-1].body)
    user = User.objects.get(username="gone@example.org")
    User.objects.filter(pk=user.pk).update(is_active=False, last_login=timezone.now())
    mail.outbox.clear()
    client.post(reverse("account_resend_confirmation"), {"email": "gone@example.org"})
    _sign_up(client, "gone@example.org")
    assert mail.outbox == []
    assert client.post(link).status_code == 400
    assert not User.objects.get(pk=user.pk).is_active


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
