-- Every error of claim_treasure() carries a documented SQLSTATE and leaves the database as it was.
\pset null '(null)'
-- Suites share one database: start from empty tables and fresh sequences.
TRUNCATE treasure.chests, treasure.wallets, treasure.inventories, treasure.claims, treasure.claim_events, treasure.claim_awards,
         treasure.item_grants RESTART IDENTITY;

\i tests/regress/include/error_of.sql

CREATE FUNCTION pg_temp.ledger() RETURNS text
LANGUAGE sql AS $$
  SELECT format('wallets=%s coins=%s inventory=%s items=%s claims=%s events=%s stats=%s/%s',
    (SELECT count(*) FROM treasure.wallets), (SELECT COALESCE(sum(balance), 0) FROM treasure.wallets),
    (SELECT count(*) FROM treasure.inventories), (SELECT COALESCE(sum(qty), 0) FROM treasure.inventories),
    (SELECT count(*) FROM treasure.claims), (SELECT count(*) FROM treasure.claim_events),
    (SELECT COALESCE(sum(claims), 0) FROM treasure.player_stats),
    (SELECT COALESCE(sum(coins_awarded), 0) FROM treasure.player_stats))
$$;

SELECT treasure.put_chest(1, 100);
SELECT treasure.put_chest(2, 9223372036854775800);
SELECT treasure.put_chest(3, 1000);
SELECT treasure.put_chest(4, 0, 'gem', 2147483000);
SELECT status FROM claim_treasure(20, 1, '00000000-0000-0000-0000-00000000b001');
SELECT pg_temp.ledger();

-- 22004: a NULL argument other than session_id.
SELECT pg_temp.error_of($$SELECT claim_treasure(NULL, 1, '00000000-0000-0000-0000-00000000b002')$$);
SELECT pg_temp.error_of($$SELECT claim_treasure(20, NULL, '00000000-0000-0000-0000-00000000b002')$$);
SELECT pg_temp.error_of($$SELECT claim_treasure(20, 1, NULL)$$);
-- session_id may be NULL.
SELECT status FROM claim_treasure(21, 1, '00000000-0000-0000-0000-00000000b003', NULL);

-- 22023: ids must be positive.
SELECT pg_temp.error_of($$SELECT claim_treasure(0, 1, '00000000-0000-0000-0000-00000000b004')$$);
SELECT pg_temp.error_of($$SELECT claim_treasure(-5, 1, '00000000-0000-0000-0000-00000000b004')$$);
SELECT pg_temp.error_of($$SELECT claim_treasure(20, 0, '00000000-0000-0000-0000-00000000b004')$$);
SELECT pg_temp.error_of($$SELECT claim_treasure(20, -9223372036854775808, '00000000-0000-0000-0000-00000000b004')$$);

-- P0002: unknown chest.
SELECT pg_temp.error_of($$SELECT claim_treasure(20, 999, '00000000-0000-0000-0000-00000000b005')$$);

-- 23505: a request_id already bound to another player or another chest.
SELECT pg_temp.error_of($$SELECT claim_treasure(22, 1, '00000000-0000-0000-0000-00000000b001')$$);
SELECT pg_temp.error_of($$SELECT claim_treasure(20, 3, '00000000-0000-0000-0000-00000000b001')$$);
SELECT pg_temp.ledger();

-- 22003: the wallet would overflow; the claim of chest 2 is not half-written.
SELECT pg_temp.error_of($$SELECT claim_treasure(20, 2, '00000000-0000-0000-0000-00000000b006')$$);
SELECT pg_temp.ledger();
SELECT count(*) AS claims_of_chest_2 FROM treasure.claims WHERE chest_id = 2;
-- A new player can take chest 2 (no overflow from a zero balance); then chest 3 overflows for that player.
SELECT status, balance FROM claim_treasure(23, 2, '00000000-0000-0000-0000-00000000b007');
SELECT pg_temp.error_of($$SELECT claim_treasure(23, 3, '00000000-0000-0000-0000-00000000b008')$$);

-- 22003: the inventory would overflow.
SELECT status, item_qty FROM claim_treasure(24, 4, '00000000-0000-0000-0000-00000000b009');
SELECT treasure.grant_item(25, 'gem', 2147483000);
SELECT pg_temp.ledger();
SELECT pg_temp.error_of($$SELECT claim_treasure(25, 4, '00000000-0000-0000-0000-00000000b010')$$);
SELECT pg_temp.ledger();

-- A failed request_id binds nothing: after the error it can be used for a claim that succeeds.
SELECT treasure.put_chest(5, 1);
SELECT status, replayed FROM claim_treasure(25, 5, '00000000-0000-0000-0000-00000000b010');

-- Errors raised inside a transaction abort it and leave nothing behind.
BEGIN;
SELECT status FROM claim_treasure(26, 1, '00000000-0000-0000-0000-00000000b011');
SELECT claim_treasure(26, 999, '00000000-0000-0000-0000-00000000b012');
ROLLBACK;
SELECT count(*) AS player_26_rows FROM treasure.claims WHERE player_id = 26;

-- treasure.reconcile() agrees: no disagreement anywhere.
SELECT * FROM treasure.reconcile();
