"""On PostgreSQL, the hot path of the ledger as one server-side function (see services.py).

`timebank_post_exchange` does, in one round trip, what `services._record` does for an exchange a
broker records between two members of one bank: lock both accounts in key order, check the
parties and the credit limit on the locked rows, insert the exchange and its two movements, and
move both cached balances. It answers an outcome code ('ok', 'no_account', 'different_bank',
'payer_inactive', 'payee_inactive', 'insufficient') that services.py turns into the same refusal
as the Python path. On SQLite this migration does nothing. If a later migration changes the
columns of timebank_exchange, timebank_movement or timebank_account, replace this function too.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION timebank_post_exchange(
    p_payer bigint, p_payee bigint, p_minutes integer, p_description varchar,
    p_by integer, p_now timestamptz
) RETURNS TABLE (outcome text, exchange_id bigint, payer_balance bigint, payee_balance bigint,
                 payer_limit integer)
LANGUAGE plpgsql AS $$
DECLARE
    r record;
    found_rows integer := 0;
    payer_bank bigint; payee_bank bigint;
    payer_bal bigint; payee_bal bigint; p_limit integer;
    payer_status text; payee_status text;
    new_id bigint;
BEGIN
    FOR r IN
        SELECT a.id, a.bank_id, a.balance_minutes, a.credit_limit_minutes, m.status
        FROM timebank_account a LEFT JOIN timebank_member m ON m.id = a.member_id
        WHERE a.id IN (p_payer, p_payee)
        ORDER BY a.id
        FOR UPDATE OF a
    LOOP
        found_rows := found_rows + 1;
        IF r.id = p_payer THEN
            payer_bank := r.bank_id; payer_bal := r.balance_minutes;
            p_limit := r.credit_limit_minutes; payer_status := r.status;
        ELSE
            payee_bank := r.bank_id; payee_bal := r.balance_minutes; payee_status := r.status;
        END IF;
    END LOOP;
    IF found_rows < 2 THEN
        RETURN QUERY SELECT 'no_account'::text, NULL::bigint, NULL::bigint, NULL::bigint, NULL::integer;
        RETURN;
    END IF;
    IF payer_bank <> payee_bank THEN
        RETURN QUERY SELECT 'different_bank'::text, NULL::bigint, payer_bal, payee_bal, p_limit;
        RETURN;
    END IF;
    IF payer_status IS NOT NULL AND payer_status <> 'active' THEN
        RETURN QUERY SELECT 'payer_inactive'::text, NULL::bigint, payer_bal, payee_bal, p_limit;
        RETURN;
    END IF;
    IF payee_status IS NOT NULL AND payee_status <> 'active' THEN
        RETURN QUERY SELECT 'payee_inactive'::text, NULL::bigint, payer_bal, payee_bal, p_limit;
        RETURN;
    END IF;
    IF p_limit IS NOT NULL AND payer_bal - p_minutes < -p_limit THEN
        RETURN QUERY SELECT 'insufficient'::text, NULL::bigint, payer_bal, payee_bal, p_limit;
        RETURN;
    END IF;
    INSERT INTO timebank_exchange (bank_id, payer_id, payee_id, minutes, description, status,
                                   recorded_by_id, confirmed_by_id, reverses_id, created_at,
                                   confirmed_at)
    VALUES (payer_bank, p_payer, p_payee, p_minutes, p_description, 'confirmed', p_by, p_by,
            NULL, p_now, p_now)
    RETURNING id INTO new_id;
    INSERT INTO timebank_movement (exchange_id, account_id, minutes, created_at)
    VALUES (new_id, p_payer, -p_minutes, p_now), (new_id, p_payee, p_minutes, p_now);
    UPDATE timebank_account
    SET balance_minutes = balance_minutes + CASE WHEN id = p_payer THEN -p_minutes ELSE p_minutes END
    WHERE id IN (p_payer, p_payee);
    RETURN QUERY SELECT 'ok'::text, new_id, payer_bal - p_minutes, payee_bal + p_minutes, p_limit;
END
$$;
"""

DROP = "DROP FUNCTION IF EXISTS timebank_post_exchange(bigint, bigint, integer, varchar, integer, timestamptz);"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("timebank", "0001_initial")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
