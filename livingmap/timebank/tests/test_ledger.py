"""The ledger's rules: who records and confirms, what is refused and why, double entry,
reversals, credit limits, bulk exchanges and inter-bank rules."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from livingmap.timebank import selectors, services
from livingmap.timebank.models import Exchange, Member, Movement
from livingmap.timebank.services import ExchangeRefused, InsufficientCredit, NotAllowed

from .conftest import make_bank, make_user

pytestmark = pytest.mark.django_db


def balances(tb, n=None):
    return [selectors.balance_minutes(tb.account(i)) for i in range(n or len(tb.members))]


def test_giver_records_receiver_confirms(tb):
    giver, receiver = tb.account(0), tb.account(1)
    ex = services.record_exchange(
        by=tb.users[0], payer=receiver, payee=giver, minutes=90, description="Gardening"
    )
    assert ex.status == Exchange.Status.PENDING
    assert not Movement.objects.filter(exchange=ex).exists()
    assert balances(tb) == [0, 0, 0]
    assert list(selectors.pending_for(tb.members[1])) == [ex]

    with pytest.raises(NotAllowed):
        services.confirm_exchange(by=tb.users[0], exchange=ex)  # the giver cannot confirm
    services.confirm_exchange(by=tb.users[1], exchange=ex)
    ex.refresh_from_db()
    assert ex.status == Exchange.Status.CONFIRMED and ex.confirmed_by == tb.users[1]
    # The giver earns, the receiver pays.
    assert balances(tb) == [90, -90, 0]
    assert sorted(Movement.objects.filter(exchange=ex).values_list("minutes", flat=True)) == [
        -90,
        90,
    ]
    with pytest.raises(ExchangeRefused, match="already confirmed"):
        services.confirm_exchange(by=tb.users[1], exchange=ex)
    assert selectors.check_ledger(tb.bank) == []


def test_broker_records_confirmed_at_once(tb):
    ex = services.record_exchange(
        by=tb.broker, payer=tb.account(2), payee=tb.account(1), minutes=45
    )
    assert ex.status == Exchange.Status.CONFIRMED
    assert balances(tb) == [0, 45, -45]
    tb.account(1).refresh_from_db()
    assert tb.account(1).balance_minutes == 45


def test_receiver_may_decline(tb):
    ex = services.record_exchange(
        by=tb.users[0], payer=tb.account(1), payee=tb.account(0), minutes=30
    )
    services.decline_exchange(by=tb.users[1], exchange=ex)
    assert Exchange.objects.get(pk=ex.pk).status == Exchange.Status.DECLINED
    with pytest.raises(ExchangeRefused, match="already declined"):
        services.confirm_exchange(by=tb.users[1], exchange=ex)
    assert balances(tb) == [0, 0, 0]
    assert selectors.check_ledger(tb.bank) == []


@pytest.mark.parametrize(
    ("minutes", "message"),
    [
        (0, "more than zero"),
        (-5, "more than zero"),
        (1.5, "whole number"),
        ("60", "whole number"),
        (True, "whole number"),
        (10**6, "at most 24 hours"),
        (100_000, "at most 24 hours"),
        (services.MAX_EXCHANGE_MINUTES + 1, "at most 24 hours"),
    ],
)
def test_refuses_bad_minutes(tb, minutes, message):
    with pytest.raises(ExchangeRefused, match=message):
        services.record_exchange(
            by=tb.broker, payer=tb.account(0), payee=tb.account(1), minutes=minutes
        )
    assert not Exchange.objects.filter(bank=tb.bank).exists()


def test_one_exchange_may_record_up_to_a_day(tb):
    """A day is allowed (by a broker, on PostgreSQL through the server-side function too, and
    by a member); a minute more is refused on every path: services, pages and the API."""
    assert services.MAX_EXCHANGE_MINUTES == 1440
    ex = services.record_exchange(
        by=tb.broker, payer=tb.account(0), payee=tb.account(1), minutes=1440
    )
    assert ex.status == "confirmed" and selectors.balance_minutes(tb.account(1)) == 1440
    services.record_exchange(by=tb.users[0], payer=tb.account(1), payee=tb.account(0), minutes=1440)
    with pytest.raises(ExchangeRefused, match=r"at most 24 hours \(1,440 minutes\)"):
        services.record_exchange(
            by=tb.users[0], payer=tb.account(1), payee=tb.account(0), minutes=1441
        )
    with pytest.raises(ExchangeRefused, match="at most 24 hours"):
        services.bulk_exchange(
            by=tb.broker,
            bank=tb.bank,
            one=tb.own,
            others=[(tb.account(2), 100_000)],
            one_pays=True,
        )
    assert selectors.check_ledger(tb.bank) == []


def test_refuses_paying_yourself(tb):
    with pytest.raises(ExchangeRefused, match="must be different"):
        services.record_exchange(by=tb.broker, payer=tb.account(0), payee=tb.account(0), minutes=10)


def test_database_constraints_back_the_rules(tb):
    with pytest.raises(IntegrityError), transaction.atomic():
        Exchange.objects.create(bank=tb.bank, payer=tb.account(0), payee=tb.account(0), minutes=5)
    with pytest.raises(IntegrityError), transaction.atomic():
        Exchange.objects.create(bank=tb.bank, payer=tb.account(0), payee=tb.account(1), minutes=0)


def test_only_giver_or_broker_records(tb):
    stranger = make_user("stranger")
    for who in (tb.users[1], stranger, None):  # the receiver, someone else, anonymous
        with pytest.raises(NotAllowed, match="recorded by the member who gave"):
            services.record_exchange(by=who, payer=tb.account(1), payee=tb.account(0), minutes=10)


def test_inactive_members_cannot_trade(tb):
    services.set_member_status(by=tb.broker, member=tb.members[1], status=Member.Status.SUSPENDED)
    with pytest.raises(
        ExchangeRefused, match="Member 1 cannot pay time credits: membership is suspended"
    ):
        services.record_exchange(by=tb.broker, payer=tb.account(1), payee=tb.account(0), minutes=10)
    pending = services.join_bank(bank=tb.bank, name="Newcomer", user=make_user())
    assert pending.status == Member.Status.PENDING
    with pytest.raises(ExchangeRefused, match="waiting for approval"):
        services.record_exchange(
            by=tb.broker, payer=tb.account(0), payee=pending.account, minutes=10
        )
    services.approve_member(by=tb.broker, member=pending)
    services.record_exchange(by=tb.broker, payer=tb.account(0), payee=pending.account, minutes=10)


def test_credit_limit_enforced():
    tb = make_bank(2, credit_limit=60)
    services.record_exchange(by=tb.broker, payer=tb.account(0), payee=tb.account(1), minutes=60)
    with pytest.raises(
        InsufficientCredit, match="Insufficient time credit: Member 0 has -60 minutes"
    ):
        services.record_exchange(by=tb.broker, payer=tb.account(0), payee=tb.account(1), minutes=1)
    # A pending exchange is checked when it is confirmed, and stays pending if refused.
    ex = services.record_exchange(
        by=tb.users[1], payer=tb.account(0), payee=tb.account(1), minutes=5
    )
    with pytest.raises(InsufficientCredit):
        services.confirm_exchange(by=tb.users[0], exchange=ex)
    assert Exchange.objects.get(pk=ex.pk).status == Exchange.Status.PENDING
    # Earning lifts the limit again.
    services.record_exchange(by=tb.broker, payer=tb.account(1), payee=tb.account(0), minutes=5)
    services.confirm_exchange(by=tb.users[0], exchange=ex)
    assert balances(tb) == [-60, 60]
    # A broker may change the limit; no limit at all is allowed too.
    services.set_credit_limit(by=tb.broker, account=tb.account(0), minutes=None)
    services.record_exchange(by=tb.broker, payer=tb.account(0), payee=tb.account(1), minutes=600)
    assert selectors.check_ledger(tb.bank) == []


def test_reversal_is_a_new_entry_never_a_delete(tb):
    ex = services.record_exchange(
        by=tb.broker, payer=tb.account(0), payee=tb.account(1), minutes=120
    )
    with pytest.raises(NotAllowed):
        services.reverse_exchange(by=tb.users[0], exchange=ex)
    fix = services.reverse_exchange(by=tb.broker, exchange=ex, reason="recorded twice")
    assert fix.reverses == ex and (fix.payer, fix.payee) == (ex.payee, ex.payer)
    assert "recorded twice" in fix.description
    assert Exchange.objects.get(pk=ex.pk).status == Exchange.Status.REVERSED
    assert Movement.objects.filter(exchange__in=[ex, fix]).count() == 4
    assert balances(tb) == [0, 0, 0]
    with pytest.raises(ExchangeRefused, match="Only a confirmed exchange"):
        services.reverse_exchange(by=tb.broker, exchange=ex)
    with pytest.raises(ExchangeRefused, match="itself a correction"):
        services.reverse_exchange(by=tb.broker, exchange=fix)
    assert selectors.check_ledger(tb.bank) == []
    # The statement shows both lines.
    st = selectors.statement(tb.account(0))
    assert [line.minutes for line in st.lines] == [-120, 120] and st.closing == 0


def test_bulk_one_to_many_and_many_to_one(tb):
    own = tb.own
    exchanges = services.bulk_exchange(
        by=tb.broker,
        bank=tb.bank,
        one=own,
        others=[(tb.account(0), 60), (tb.account(1), 30), (tb.account(2), 15)],
        one_pays=True,
        description="Thank you for the litter pick",
    )
    assert len(exchanges) == 3
    assert balances(tb) == [60, 30, 15]
    assert selectors.balance_minutes(own) == -105
    services.bulk_exchange(
        by=tb.broker,
        bank=tb.bank,
        one=tb.account(2),
        others=[(tb.account(0), 20), (tb.account(1), 20)],
        one_pays=False,
        description="Cooking class",
    )
    assert balances(tb) == [40, 10, 55]
    assert selectors.check_ledger(tb.bank) == []


def test_bulk_is_all_or_nothing():
    tb = make_bank(3, credit_limit=30)
    # Member 1 can pay 20, Member 2 cannot pay 40: nothing is written.
    with pytest.raises(InsufficientCredit, match="Member 2"):
        services.bulk_exchange(
            by=tb.broker,
            bank=tb.bank,
            one=tb.account(0),
            others=[(tb.account(1), 20), (tb.account(2), 40)],
            one_pays=False,
        )
    # Member 0 can pay the first 20 but not a second 20.
    with pytest.raises(InsufficientCredit, match="Member 0 has -20 minutes"):
        services.bulk_exchange(
            by=tb.broker,
            bank=tb.bank,
            one=tb.account(0),
            others=[(tb.account(1), 20), (tb.account(2), 20)],
            one_pays=True,
        )
    assert not Exchange.objects.filter(bank=tb.bank).exists()
    assert balances(tb) == [0, 0, 0]
    with pytest.raises(NotAllowed):
        services.bulk_exchange(
            by=tb.users[0],
            bank=tb.bank,
            one=tb.account(0),
            others=[(tb.account(1), 5)],
            one_pays=True,
        )


def test_inter_bank_needs_an_explicit_rule():
    a, b = make_bank(1), make_bank(1)
    officer_like = make_user("both")
    services.add_broker(by=a.broker, bank=a.bank, user=officer_like)
    services.add_broker(by=b.broker, bank=b.bank, user=officer_like)
    with pytest.raises(ExchangeRefused, match="different time banks"):
        services.record_exchange(
            by=officer_like, payer=a.account(0), payee=b.account(0), minutes=30
        )
    services.allow_inter_bank(by=officer_like, from_bank=a.bank, to_bank=b.bank)
    ex = services.record_exchange(
        by=officer_like, payer=a.account(0), payee=b.account(0), minutes=30
    )
    assert Movement.objects.filter(exchange=ex).count() == 4
    assert selectors.balance_minutes(a.account(0)) == -30
    assert selectors.balance_minutes(b.account(0)) == 30
    # Each bank still sums to zero: its own account stands in for the other bank.
    assert selectors.balance_minutes(a.own) == 30 and selectors.balance_minutes(b.own) == -30
    assert selectors.check_ledger(a.bank) == [] and selectors.check_ledger(b.bank) == []
    # The rule is one way.
    with pytest.raises(ExchangeRefused, match="different time banks"):
        services.record_exchange(by=officer_like, payer=b.account(0), payee=a.account(0), minutes=5)


def test_person_in_two_banks_has_two_accounts():
    a, b = make_bank(1), make_bank(0)
    user = a.users[0]
    m2 = services.join_bank(bank=b.bank, user=user, name="Member 0", approved_by=b.broker)
    assert m2.account.pk != a.account(0).pk
    assert {m.bank for m in selectors.memberships(user)} == {a.bank, b.bank}
    with pytest.raises(services.TimeBankError, match="already a member"):
        services.join_bank(bank=b.bank, user=user, name="Again")


def test_check_ledger_finds_tampering(tb):
    services.record_exchange(by=tb.broker, payer=tb.account(0), payee=tb.account(1), minutes=50)
    assert selectors.check_ledger() == []
    from livingmap.timebank.models import Account

    Account.objects.filter(pk=tb.account(0).pk).update(balance_minutes=0)
    problems = selectors.check_ledger(tb.bank)
    assert any("cached balance 0 but movements sum to -50" in p for p in problems)
    assert any("balances sum to 50" in p for p in problems)
    ex = Exchange.objects.filter(bank=tb.bank).first()
    Movement.objects.create(exchange=ex, account=tb.account(2), minutes=7)
    assert any(
        f"exchange {ex.pk}: movements sum to 7" in p for p in selectors.check_ledger(tb.bank)
    )


def test_statement_and_csv(tb):
    services.record_exchange(
        by=tb.broker, payer=tb.account(0), payee=tb.account(1), minutes=30, description="Lift to GP"
    )
    services.record_exchange(
        by=tb.broker, payer=tb.account(1), payee=tb.account(0), minutes=45, description="Ironing"
    )
    st = selectors.statement(tb.account(0))
    assert [(line.minutes, line.balance, line.other_party) for line in st.lines] == [
        (-30, -30, "Member 1"),
        (45, 15, "Member 1"),
    ]
    rows = list(selectors.statement_csv_rows(st))
    assert rows[0] == selectors.STATEMENT_CSV_HEADER and rows[2][4:] == [45, 15]
    rows = list(selectors.exchanges_csv_rows(tb.bank))
    assert len(rows) == 3 and rows[1][4:7] == ["Member 1", "Member 0", 30]
    assert selectors.format_minutes(-150) == "-2 h 30 min"


def test_retry_keys_on_error_class_not_message():
    import sqlite3

    from django.db import OperationalError
    from psycopg import errors as pg

    def wrapped(cause: BaseException) -> OperationalError:
        exc = OperationalError(str(cause))
        exc.__cause__ = cause
        return exc

    busy = sqlite3.OperationalError("anything at all")
    busy.sqlite_errorcode = 5
    locked_shared = sqlite3.OperationalError("x")
    locked_shared.sqlite_errorcode = 262  # SQLITE_LOCKED_SHAREDCACHE
    readonly = sqlite3.OperationalError("database is locked")  # the text alone means nothing
    readonly.sqlite_errorcode = 8
    assert services.is_retryable(wrapped(busy))
    assert services.is_retryable(wrapped(locked_shared))
    assert not services.is_retryable(wrapped(readonly))
    assert services.is_retryable(wrapped(pg.SerializationFailure("could not serialize")))
    assert services.is_retryable(wrapped(pg.DeadlockDetected("deadlock")))
    assert not services.is_retryable(wrapped(pg.UniqueViolation("deadlock detected")))

    calls = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise wrapped(busy)
        return "done"

    # Inside the test's transaction a retry cannot help, so it is raised at once ...
    with pytest.raises(OperationalError):
        services.with_retries(flaky)
    assert len(calls) == 1
