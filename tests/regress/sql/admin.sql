-- put_chest() and grant_item(): validation (with SQLSTATEs), create-or-replace, and nothing half-written.
\pset null '(null)'
-- Suites share one database: start from empty tables and fresh sequences.
TRUNCATE treasure.chests, treasure.wallets, treasure.inventories, treasure.claims, treasure.claim_events, treasure.claim_awards,
         treasure.item_grants RESTART IDENTITY;

\i tests/regress/include/error_of.sql

SELECT treasure.put_chest(1, 10, 'rope', 3, 'lockpick', '2030-01-01 00:00+00', '2030-02-01 00:00+00');
SELECT * FROM treasure.chests;
-- Replacing a chest keeps one row with the new definition; omitted arguments take their defaults.
SELECT treasure.put_chest(1, 20);
SELECT * FROM treasure.chests;

-- 22004
SELECT pg_temp.error_of($$SELECT treasure.put_chest(NULL, 10)$$);
SELECT pg_temp.error_of($$SELECT treasure.put_chest(2, NULL)$$);
SELECT pg_temp.error_of($$SELECT treasure.put_chest(2, 10, 'x', NULL)$$);
-- 22023
SELECT pg_temp.error_of($$SELECT treasure.put_chest(0, 10)$$);
SELECT pg_temp.error_of($$SELECT treasure.put_chest(2, -1)$$);
SELECT pg_temp.error_of($$SELECT treasure.put_chest(2, 10, 'x', 0)$$);
SELECT pg_temp.error_of($$SELECT treasure.put_chest(2, 10, '')$$);
SELECT pg_temp.error_of($$SELECT treasure.put_chest(2, 10, '   ')$$);
SELECT pg_temp.error_of($$SELECT treasure.put_chest(2, 10, key_item => '')$$);
SELECT pg_temp.error_of($$SELECT treasure.put_chest(2, 10, opens_at => '2030-01-01', closes_at => '2030-01-01')$$);
SELECT pg_temp.error_of($$SELECT treasure.put_chest(2, 10, opens_at => '2030-01-02', closes_at => '2030-01-01')$$);
SELECT pg_temp.error_of($$SELECT treasure.put_chest(2, 10, 'key', key_item => 'key')$$);
-- 22001
SELECT pg_temp.error_of($$SELECT treasure.put_chest(2, 10, repeat('x', 129))$$);
SELECT pg_temp.error_of($$SELECT treasure.put_chest(2, 10, key_item => repeat('x', 129))$$);
-- Names up to 128 characters of any script are fine.
SELECT treasure.put_chest(3, 1, repeat('é', 128), 1, '鍵');
SELECT chest_id, char_length(item), key_item FROM treasure.chests WHERE chest_id = 3;
SELECT count(*) AS chests FROM treasure.chests;

SELECT treasure.grant_item(30, 'lockpick', 2);
SELECT treasure.grant_item(30, 'lockpick', 5);
SELECT * FROM treasure.inventories;
SELECT player_id, item, qty FROM treasure.item_grants ORDER BY grant_id;
-- 22004, 22023, 22001, 22003
SELECT pg_temp.error_of($$SELECT treasure.grant_item(NULL, 'x', 1)$$);
SELECT pg_temp.error_of($$SELECT treasure.grant_item(30, NULL, 1)$$);
SELECT pg_temp.error_of($$SELECT treasure.grant_item(30, 'x', NULL)$$);
SELECT pg_temp.error_of($$SELECT treasure.grant_item(0, 'x', 1)$$);
SELECT pg_temp.error_of($$SELECT treasure.grant_item(30, 'x', 0)$$);
SELECT pg_temp.error_of($$SELECT treasure.grant_item(30, 'x', -3)$$);
SELECT pg_temp.error_of($$SELECT treasure.grant_item(30, '', 1)$$);
SELECT pg_temp.error_of($$SELECT treasure.grant_item(30, repeat('x', 129), 1)$$);
SELECT pg_temp.error_of($$SELECT treasure.grant_item(30, 'lockpick', 2147483647)$$);
SELECT * FROM treasure.inventories;
SELECT count(*) AS grants FROM treasure.item_grants;
SELECT count(*) AS wallets FROM treasure.wallets;
