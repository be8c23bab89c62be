"""Double submissions at the same moment, for real: threads with their own connections to
PostgreSQL, where two transactions can both find nothing and both insert. (SQLite takes its write
lock at BEGIN IMMEDIATE, so there the second request waits and then finds the first's row.)

The unique username and the one-waiting-suggestion-per-key constraint settle it: the insert that
loses is refused, and the service returns what the winner stored."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail

from livingmap.accounts import services
from livingmap.accounts.models import Profile, Suggestion
from livingmap.core.testing import run_together

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.no_demo,
    pytest.mark.postgres,
]

THREADS = 8


def test_sign_ups_for_one_address_at_the_same_moment_make_one_account(monkeypatch):
    real = services.account_for_email
    looked, seen = threading.Barrier(THREADS), threading.local()

    def look_then_wait(email: str) -> Any:
        found = real(email)
        if not getattr(seen, "looked", False):
            seen.looked = True
            looked.wait(timeout=20)  # every sign-up has found no account before any inserts
        return found

    monkeypatch.setattr(services, "account_for_email", look_then_wait)
    results = run_together(
        THREADS, lambda i: services.sign_up(email="twice@example.org", base_url="http://testserver")
    )
    assert [r for r in results if isinstance(r, Exception)] == []
    assert User.objects.filter(username="twice@example.org").count() == 1
    assert Profile.objects.filter(user__username="twice@example.org").count() == 1
    assert len(mail.outbox) == THREADS  # each sign-up sent the (one account's) link
    assert all("/account/confirm-email/" in m.body for m in mail.outbox)


def test_the_same_suggestion_sent_at_the_same_moment_is_kept_once():
    proposed = {"name": "Sale Community Fridge", "kind": "association", "postcode": "M33 7ZF"}
    results = run_together(
        THREADS,
        lambda i: (
            services.submit_suggestion(
                asset=None, proposed=dict(proposed), email="twice@example.org", note="Every Tuesday"
            ).pk
        ),
    )
    assert [r for r in results if isinstance(r, Exception)] == []
    assert len(set(results)) == 1
    assert Suggestion.objects.count() == 1
