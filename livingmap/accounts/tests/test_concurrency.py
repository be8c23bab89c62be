"""Double submissions at the same moment, for real: threads with their own connections to
PostgreSQL, where two transactions can both find nothing and both insert. (SQLite takes its write
lock at BEGIN IMMEDIATE, so there the second request waits and then finds the first's row.)

The unique username and the one-waiting-suggestion-per-key constraint settle it: the insert that
loses is refused, and the service returns what the winner stored."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.db import connection

from livingmap.accounts import services
from livingmap.accounts.models import Profile, Suggestion

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.no_demo,
    pytest.mark.postgres,
]

THREADS = 8


def _at_once(work: Callable[[int], Any]) -> list[Any]:
    """work(i) in THREADS threads started together; their results (or the exceptions raised)."""
    results: list[Any] = [None] * THREADS
    start = threading.Barrier(THREADS)

    def target(i: int) -> None:
        try:
            start.wait()
            results[i] = work(i)
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return results


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
    results = _at_once(
        lambda i: services.sign_up(email="twice@example.org", base_url="http://testserver")
    )
    assert [r for r in results if isinstance(r, Exception)] == []
    assert User.objects.filter(username="twice@example.org").count() == 1
    assert Profile.objects.filter(user__username="twice@example.org").count() == 1
    assert len(mail.outbox) == THREADS  # each sign-up sent the (one account's) link
    assert all("/account/confirm-email/" in m.body for m in mail.outbox)


def test_the_same_suggestion_sent_at_the_same_moment_is_kept_once():
    proposed = {"name": "Sale Community Fridge", "kind": "association", "postcode": "M33 7ZF"}
    results = _at_once(
        lambda i: (
            services.submit_suggestion(
                asset=None, proposed=dict(proposed), email="twice@example.org", note="Every Tuesday"
            ).pk
        )
    )
    assert [r for r in results if isinstance(r, Exception)] == []
    assert len(set(results)) == 1
    assert Suggestion.objects.count() == 1
