"""The ledger under concurrency: many threads trading between the same few accounts at once.

On PostgreSQL the accounts are locked row by row (SELECT … FOR UPDATE, in primary-key order); on
SQLite every write transaction is BEGIN IMMEDIATE, so writers queue (the in-memory shared-cache
test database answers "locked" instead of waiting, and the service retries on that error class
and code). Either way no update may be lost: the final balances must be exactly what the
successful exchanges add up to, and every invariant of the ledger must hold.
"""

from __future__ import annotations

import random
from collections import Counter

import pytest
from django.db import connection

from livingmap.core.testing import run_together
from livingmap.timebank import selectors, services
from livingmap.timebank.models import Account, Exchange, Movement

from .conftest import make_bank

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.no_demo]

THREADS = 16


def per_thread() -> int:
    return 25 if connection.vendor == "postgresql" else 8


def test_many_concurrent_exchanges_between_the_same_accounts():
    tb = make_bank(4)
    accounts = [tb.account(i) for i in range(4)] + [tb.own]
    n = per_thread()

    def work(i: int) -> Counter:
        rng = random.Random(i)
        net: Counter = Counter()
        for _ in range(n):
            payer, payee = rng.sample(accounts, 2)
            minutes = rng.randint(1, 120)
            services.record_exchange(by=tb.broker, payer=payer, payee=payee, minutes=minutes)
            net[payer.pk] -= minutes
            net[payee.pk] += minutes
        return net

    results = run_together(THREADS, work)
    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    expected: Counter = Counter()
    for net in results:
        expected.update(net)
    assert Exchange.objects.filter(bank=tb.bank).count() == THREADS * n
    assert Movement.objects.filter(account__bank=tb.bank).count() == 2 * THREADS * n
    for account in Account.objects.filter(bank=tb.bank):
        assert account.balance_minutes == expected[account.pk], account
    assert selectors.check_ledger() == []


def test_credit_limit_holds_under_a_race():
    """16 threads try to spend from one account with 60 minutes of credit: exactly 60 one-minute
    payments succeed, the rest are refused, and the balance stops at the limit."""
    tb = make_bank(3, credit_limit=60)
    spender = tb.account(0)
    n = 6  # 96 attempts for 60 minutes of credit

    def work(i: int) -> tuple[int, int]:
        ok = refused = 0
        for k in range(n):
            payee = tb.account(1 + (i + k) % 2)
            try:
                services.record_exchange(by=tb.broker, payer=spender, payee=payee, minutes=1)
                ok += 1
            except services.InsufficientCredit:
                refused += 1
        return ok, refused

    results = run_together(THREADS, work)
    assert [r for r in results if isinstance(r, Exception)] == []
    assert sum(ok for ok, _r in results) == 60
    assert sum(r for _ok, r in results) == THREADS * n - 60
    spender.refresh_from_db()
    assert spender.balance_minutes == -60
    assert selectors.check_ledger() == []


def test_one_pending_exchange_confirmed_once():
    """Everyone presses "confirm" at once: the exchange is posted once, the rest are told why."""
    tb = make_bank(2)
    ex = services.record_exchange(
        by=tb.users[0], payer=tb.account(1), payee=tb.account(0), minutes=75
    )

    def work(i: int) -> str:
        by = tb.users[1] if i % 2 else tb.broker
        try:
            services.confirm_exchange(by=by, exchange=ex)
            return "confirmed"
        except services.ExchangeRefused as exc:
            return exc.message

    results = run_together(8, work)
    assert results.count("confirmed") == 1, results
    assert all(r == "This exchange is already confirmed." for r in results if r != "confirmed")
    assert Movement.objects.filter(exchange=ex).count() == 2
    assert selectors.balance_minutes(tb.account(0)) == 75
    assert selectors.check_ledger() == []


def test_one_exchange_reversed_once_while_others_trade():
    tb = make_bank(3)
    ex = services.record_exchange(
        by=tb.broker, payer=tb.account(0), payee=tb.account(1), minutes=200
    )

    def work(i: int) -> str:
        if i < 4:
            try:
                services.reverse_exchange(by=tb.broker, exchange=ex, reason="duplicate")
                return "reversed"
            except services.ExchangeRefused:
                return "refused"
        for _ in range(3):
            services.bulk_exchange(
                by=tb.broker,
                bank=tb.bank,
                one=tb.account(2),
                others=[(tb.account(0), 5), (tb.account(1), 5)],
                one_pays=i % 2 == 0,
            )
        return "bulk"

    results = run_together(10, work)
    assert results.count("reversed") == 1 and results.count("refused") == 3, results
    assert Exchange.objects.filter(reverses=ex).count() == 1
    # 3 even threads pay 10 from account 2 three times; 3 odd threads collect 10 three times.
    assert selectors.balance_minutes(tb.account(2)) == 0
    assert selectors.check_ledger() == []


@pytest.mark.postgres
def test_postgres_heavy_contention_no_lost_update_no_deadlock():
    """PostgreSQL only: 16 threads × 60 exchanges, bulk and single, criss-crossing three accounts
    in both directions (the lock order is what keeps this free of deadlocks)."""
    tb = make_bank(3)
    a = [tb.account(i) for i in range(3)]

    def work(i: int) -> int:
        moved = 0
        for k in range(60):
            if k % 10 == 0:
                services.bulk_exchange(
                    by=tb.broker,
                    bank=tb.bank,
                    one=a[i % 3],
                    others=[(a[(i + 1) % 3], 2), (a[(i + 2) % 3], 3)],
                    one_pays=bool(k % 20),
                )
            else:
                payee = a[(i % 3 + 1 + k % 2) % 3]
                services.record_exchange(by=tb.broker, payer=a[i % 3], payee=payee, minutes=1)
            moved += 1
        return moved

    results = run_together(THREADS, work)
    assert [r for r in results if isinstance(r, Exception)] == []
    assert Exchange.objects.filter(bank=tb.bank).count() == THREADS * (54 + 6 * 2)
    assert selectors.check_ledger() == []
    assert sum(Account.objects.filter(bank=tb.bank).values_list("balance_minutes", flat=True)) == 0
