"""Property test: any sequence of exchanges, confirmations, declines, reversals and bulk
exchanges, refused or not, leaves balances equal to a simple model and every invariant true."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from livingmap.timebank import selectors, services
from livingmap.timebank.models import Account, Exchange

from .conftest import make_bank

pytestmark = pytest.mark.django_db

N = 4
op = st.one_of(
    st.tuples(st.just("broker"), st.integers(0, N), st.integers(0, N), st.integers(-5, 200)),
    st.tuples(st.just("member"), st.integers(0, N - 1), st.integers(0, N - 1), st.integers(1, 200)),
    st.tuples(st.just("answer"), st.booleans(), st.integers(0, 50), st.just(0)),
    st.tuples(st.just("reverse"), st.integers(0, 50), st.just(0), st.just(0)),
    st.tuples(st.just("bulk"), st.integers(0, N), st.booleans(), st.integers(1, 90)),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(op, min_size=1, max_size=25))
def test_any_sequence_keeps_the_ledger_sound(ops):
    tb = make_bank(N, credit_limit=240)
    accounts = [tb.account(i) for i in range(N)] + [tb.own]  # index N is the bank's own account
    model = {a.pk: 0 for a in accounts}
    limits = {a.pk: a.credit_limit_minutes for a in accounts}

    def post(payer: Account, payee: Account, minutes: int) -> None:
        model[payer.pk] -= minutes
        model[payee.pk] += minutes

    for kind, a, b, minutes in ops:
        try:
            if kind == "broker":
                payer, payee = accounts[a], accounts[b]
                services.record_exchange(by=tb.broker, payer=payer, payee=payee, minutes=minutes)
                post(payer, payee, minutes)
            elif kind == "member":
                services.record_exchange(
                    by=tb.users[b], payer=accounts[a], payee=accounts[b], minutes=minutes
                )
            elif kind == "answer":
                pending = list(Exchange.objects.filter(bank=tb.bank, status="pending"))
                if pending:
                    ex = pending[b % len(pending)]
                    if a:
                        services.confirm_exchange(by=ex.payer.member.user, exchange=ex)
                        post(ex.payer, ex.payee, ex.minutes)
                    else:
                        services.decline_exchange(by=ex.payer.member.user, exchange=ex)
            elif kind == "reverse":
                done = list(
                    Exchange.objects.filter(bank=tb.bank, status="confirmed").order_by("pk")
                )
                if done:
                    ex = done[a % len(done)]
                    services.reverse_exchange(by=tb.broker, exchange=ex)
                    post(ex.payee, ex.payer, ex.minutes)
            else:
                one = accounts[a]
                others = [(x, minutes) for x in accounts[:N] if x.pk != one.pk][:2]
                services.bulk_exchange(
                    by=tb.broker, bank=tb.bank, one=one, others=others, one_pays=b
                )
                for x, m in others:
                    post(one, x, m) if b else post(x, one, m)
        except services.TimeBankError:
            pass  # refused: nothing may have changed
    for account in Account.objects.filter(bank=tb.bank):
        assert account.balance_minutes == model[account.pk]
        # Only a correction may take an account past its limit.
        limit = limits[account.pk]
        if limit is not None and account.balance_minutes < -limit:
            assert Exchange.objects.filter(reverses__isnull=False, payer=account).exists()
    assert selectors.check_ledger(tb.bank) == []
