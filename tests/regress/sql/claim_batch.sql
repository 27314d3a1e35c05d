-- treasure.claim_treasure_batch(): each tap keeps claim_treasure()'s own outcome, one tap's error leaves the
-- others committed and nothing of itself, bad input writes nothing, and a batch answers what the same taps
-- claimed one by one (in the batch's order: player_id, then position) answer.
\pset null '(null)'
TRUNCATE treasure.chests, treasure.wallets, treasure.inventories, treasure.claims, treasure.claim_events, treasure.claim_awards,
         treasure.item_grants, treasure.claim_loot, treasure.chest_items, treasure.loot_tables, treasure.loot_seeds,
         treasure.stock_slots, treasure.claim_rules, treasure.item_caps, treasure.claim_features,
         treasure.claim_reversals RESTART IDENTITY;
\i tests/regress/include/error_of.sql

-- Totals over every table a claim touches: a refused or failed tap leaves them as they were.
CREATE FUNCTION pg_temp.ledger() RETURNS text
LANGUAGE sql AS $$
  SELECT format('wallets=%s coins=%s inventory=%s items=%s claims=%s events=%s awards=%s stock=%s/%s',
    (SELECT count(*) FROM treasure.wallets), (SELECT COALESCE(sum(balance), 0) FROM treasure.wallets),
    (SELECT count(*) FROM treasure.inventories), (SELECT COALESCE(sum(qty), 0) FROM treasure.inventories),
    (SELECT count(*) FROM treasure.claims), (SELECT count(*) FROM treasure.claim_events),
    (SELECT count(*) FROM treasure.claim_awards), (SELECT stock FROM treasure.chest_stock(3)), (SELECT claimed FROM treasure.chest_stock(3)))
$$;

-- u(n): the n-th request_id of this file.
CREATE FUNCTION pg_temp.u(n integer) RETURNS uuid
LANGUAGE sql IMMUTABLE AS $$ SELECT lpad(to_hex(n), 32, '0')::uuid $$;

SELECT treasure.put_chest(1, 10);                              -- plain coins
SELECT treasure.put_chest(2, 20, 'gem', 1, 'key');             -- takes a key, gives an item
SELECT treasure.put_chest(3, 30);                              -- one unit of stock
SELECT treasure.set_stock(3, 1);
SELECT treasure.put_chest(4, 40, closes_at => now() - interval '1 hour');  -- closed
SELECT treasure.put_chest(5, 9223372036854775800);             -- overflows any wallet holding more than 7 coins
SELECT treasure.put_chest(6, 5);
SELECT treasure.put_chest_item(6, 'ruby', 2);                  -- a bundle: claim_details() lists its awards
SELECT treasure.grant_item(30, 'key', 1);

-- A claim made before the batch, which the batch then replays.
SELECT status FROM claim_treasure(10, 1, pg_temp.u(1));
SELECT pg_temp.ledger();

-- A mixed batch, in input order: claimed, a replay of the claim above, key_required, claimed with the key,
-- the last unit of stock, sold_out, chest_closed, already_claimed, the same request_id twice in the batch (the
-- second a replay of the first), and a bundle with its details.
SELECT tap, status, replayed, claim_id IS NOT NULL AS has_claim, coins_awarded, item_awarded, item_qty, key_used,
       balance, claimed_at IS NOT NULL AS has_time, details, sqlstate, message
  FROM treasure.claim_treasure_batch(
         ARRAY[20, 10, 21, 30, 22, 23, 24, 10, 25, 25, 26],
         ARRAY[1, 1, 2, 2, 3, 3, 4, 1, 1, 1, 6],
         ARRAY[pg_temp.u(2), pg_temp.u(1), pg_temp.u(3), pg_temp.u(4), pg_temp.u(5), pg_temp.u(6), pg_temp.u(7),
               pg_temp.u(8), pg_temp.u(9), pg_temp.u(9), pg_temp.u(10)],
         ARRAY[7, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 8]);
SELECT pg_temp.ledger();
SELECT player_id, chest_id, session_id FROM treasure.claims ORDER BY player_id, chest_id;
-- The batch claimed in (player_id, position) order: claim ids rise with the player.
SELECT array_agg(player_id ORDER BY claim_id) AS players_in_claim_order FROM treasure.claims WHERE claim_id > 1;
-- The key was taken and the item given.
SELECT player_id, item, qty FROM treasure.inventories ORDER BY player_id, item;

-- One tap of each error among taps that claim: 22003 (player 40's wallet would overflow), P0002 (no chest
-- 99), 23505 (a request_id of player 20's), 22004 (a NULL chest_id), 22023 (player_id 0).  The failed taps
-- leave no claim, event, wallet or inventory row; the others commit.
SELECT status FROM claim_treasure(40, 1, pg_temp.u(20));
SELECT pg_temp.ledger();
SELECT tap, status, replayed, coins_awarded, balance, sqlstate, message
  FROM treasure.claim_treasure_batch(
         ARRAY[41, 40, 42, 43, 44, 45, 0, 46],
         ARRAY[1, 5, 1, 99, 1, NULL, 1, 6],
         ARRAY[pg_temp.u(21), pg_temp.u(22), pg_temp.u(23), pg_temp.u(24), pg_temp.u(2), pg_temp.u(25),
               pg_temp.u(26), pg_temp.u(27)]);
SELECT pg_temp.ledger();
SELECT p.player_id,
       (SELECT count(*) FROM treasure.claims c WHERE c.player_id = p.player_id) AS claims,
       (SELECT count(*) FROM treasure.claim_events e WHERE e.player_id = p.player_id) AS events,
       (SELECT balance FROM treasure.wallets w WHERE w.player_id = p.player_id) AS balance,
       (SELECT count(*) FROM treasure.inventories i WHERE i.player_id = p.player_id) AS inventory_rows
  FROM unnest(ARRAY[40, 41, 42, 43, 44, 45, 46]) AS p(player_id)
 ORDER BY p.player_id;
-- The failed taps' request_ids are still free: retried with a chest that exists, they claim.
SELECT tap, status, replayed, sqlstate
  FROM treasure.claim_treasure_batch(ARRAY[43, 45], ARRAY[1, 1], ARRAY[pg_temp.u(24), pg_temp.u(25)]);

-- Bad input: an error for the whole batch, nothing written.
SELECT pg_temp.ledger();
SELECT pg_temp.error_of($$SELECT * FROM treasure.claim_treasure_batch(NULL, ARRAY[1], ARRAY[pg_temp.u(30)])$$);
SELECT pg_temp.error_of($$SELECT * FROM treasure.claim_treasure_batch(ARRAY[50], NULL, ARRAY[pg_temp.u(30)])$$);
SELECT pg_temp.error_of($$SELECT * FROM treasure.claim_treasure_batch(ARRAY[50], ARRAY[1], NULL)$$);
SELECT pg_temp.error_of($$SELECT * FROM treasure.claim_treasure_batch(ARRAY[50, 51], ARRAY[1], ARRAY[pg_temp.u(30), pg_temp.u(31)])$$);
SELECT pg_temp.error_of($$SELECT * FROM treasure.claim_treasure_batch(ARRAY[50], ARRAY[1], ARRAY[pg_temp.u(30), pg_temp.u(31)])$$);
SELECT pg_temp.error_of($$SELECT * FROM treasure.claim_treasure_batch(ARRAY[50], ARRAY[1], ARRAY[pg_temp.u(30)], ARRAY[1, 2])$$);
SELECT pg_temp.error_of($$SELECT * FROM treasure.claim_treasure_batch(ARRAY[[50]], ARRAY[[1]], ARRAY[[pg_temp.u(30)]])$$);
SELECT pg_temp.error_of($$SELECT * FROM treasure.claim_treasure_batch('{}', '{}', '{}')$$);
SELECT pg_temp.error_of($$SELECT * FROM treasure.claim_treasure_batch(
  ARRAY(SELECT 100 + n FROM generate_series(1, 33) n)::bigint[], array_fill(1::bigint, ARRAY[33]),
  ARRAY(SELECT pg_temp.u(100 + n) FROM generate_series(1, 33) n))$$);
SELECT pg_temp.ledger();
-- 32 taps is the most a batch holds.
SELECT count(*) FILTER (WHERE status = 'claimed') AS claimed, count(*) AS taps
  FROM treasure.claim_treasure_batch(ARRAY(SELECT 100 + n FROM generate_series(1, 32) n)::bigint[],
                                     array_fill(1::bigint, ARRAY[32]),
                                     ARRAY(SELECT pg_temp.u(100 + n) FROM generate_series(1, 32) n));

-- Nobody but the owner may call it until granted.
CREATE ROLE treasure_batch_stranger;
GRANT USAGE ON SCHEMA treasure TO treasure_batch_stranger;
SET ROLE treasure_batch_stranger;
SELECT pg_temp.error_of($$SELECT * FROM treasure.claim_treasure_batch(ARRAY[60], ARRAY[1], ARRAY[pg_temp.u(40)])$$);
RESET ROLE;
REVOKE USAGE ON SCHEMA treasure FROM treasure_batch_stranger;
DROP ROLE treasure_batch_stranger;

-- The same 32 taps as one batch and as 32 claim_treasure() calls in the batch's order (each with
-- claim_details() and its error caught), from the same state: equal answers, equal tables.  The batch is
-- rolled back so that the single calls start from where it started; the sequences are reset before each.
SELECT treasure.put_chest(7, 70);
SELECT treasure.set_stock(7, 3);
SELECT treasure.grant_item(200 + n, 'key', 1) FROM generate_series(1, 8, 3) n;
CREATE TABLE pg_temp.taps AS
SELECT n AS tap, (200 + (n * 7) % 9)::bigint AS player_id,
       (ARRAY[1, 2, 7, 6, 99, 5, 7, 1])[1 + n % 8]::bigint AS chest_id,
       pg_temp.u(CASE WHEN n % 11 = 5 THEN 1000 + n - 1 ELSE 1000 + n END) AS request_id
  FROM generate_series(1, 32) n;
SELECT treasure.grant_item(200 + n, 'ruby', 1) FROM generate_series(0, 8) n;
UPDATE treasure.wallets SET balance = 1000 WHERE player_id = 208;  -- chest 5 (tap 5) overflows this wallet: 22003
CREATE FUNCTION pg_temp.answers(rows jsonb) RETURNS jsonb
LANGUAGE sql AS $$
  SELECT jsonb_agg(r - 'claim_id' - 'claimed_at' || jsonb_build_object('has_time', r->'claimed_at' <> 'null'::jsonb)
                   ORDER BY (r->>'tap')::integer)
    FROM jsonb_array_elements(rows) r
$$;
CREATE FUNCTION pg_temp.tables() RETURNS text
LANGUAGE sql AS $$
  SELECT md5(string_agg(x, ';' ORDER BY x)) FROM (
    SELECT format('c %s %s %s %s %s %s', claim_id, player_id, chest_id, request_id, coins_awarded, item_awarded) x FROM treasure.claims
    UNION ALL SELECT format('w %s %s %s %s', player_id, balance, claims, coins_awarded) FROM treasure.wallets
    UNION ALL SELECT format('i %s %s %s', player_id, item, qty) FROM treasure.inventories
    UNION ALL SELECT format('e %s %s %s', event_id, claim_id, player_id) FROM treasure.claim_events
    UNION ALL SELECT format('a %s %s %s %s', claim_id, item, qty, source) FROM treasure.claim_awards
    UNION ALL SELECT format('s %s %s', stock, claimed) FROM treasure.chest_stock(7)) t
$$;
CREATE FUNCTION pg_temp.reset_sequences() RETURNS void
LANGUAGE sql AS $$
  SELECT setval('treasure.claim_id_seq', 5000, false), setval('treasure.event_id_seq', 5000, false)
$$;
CREATE FUNCTION pg_temp.one_by_one() RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  t record;
  answers jsonb := '[]';
  answer jsonb;
BEGIN
  FOR t IN SELECT * FROM pg_temp.taps ORDER BY player_id, tap LOOP
    BEGIN
      SELECT to_jsonb(r) INTO answer
        FROM (SELECT t.tap, c.*, treasure.claim_details(t.player_id, c.claim_id, c.status) AS details,
                     NULL::text AS sqlstate, NULL::text AS message
                FROM claim_treasure(t.player_id, t.chest_id, t.request_id) c) r;
    EXCEPTION WHEN OTHERS THEN
      answer := jsonb_build_object('tap', t.tap, 'status', NULL, 'replayed', NULL, 'claim_id', NULL,
                                   'coins_awarded', NULL, 'item_awarded', NULL, 'item_qty', NULL, 'key_used', NULL,
                                   'balance', NULL, 'claimed_at', NULL, 'details', NULL, 'sqlstate', SQLSTATE,
                                   'message', SQLERRM);
    END;
    answers := answers || jsonb_build_array(answer);
  END LOOP;
  RETURN answers;
END
$$;

BEGIN;
SELECT pg_temp.reset_sequences();
SELECT jsonb_agg(to_jsonb(b))::text AS batch_rows
  FROM treasure.claim_treasure_batch((SELECT array_agg(player_id ORDER BY tap) FROM pg_temp.taps),
                                     (SELECT array_agg(chest_id ORDER BY tap) FROM pg_temp.taps),
                                     (SELECT array_agg(request_id ORDER BY tap) FROM pg_temp.taps)) b \gset
SELECT pg_temp.tables() AS batch_tables \gset
ROLLBACK;
BEGIN;
SELECT pg_temp.reset_sequences();
SELECT pg_temp.one_by_one()::text AS single_rows \gset
SELECT pg_temp.tables() AS single_tables \gset
ROLLBACK;
SELECT pg_temp.answers(:'batch_rows') = pg_temp.answers(:'single_rows') AS same_answers,
       :'batch_tables' = :'single_tables' AS same_tables;
-- What they answered, so that a change to either shows here.
SELECT r->>'tap' AS tap, r->>'status' AS status, r->>'replayed' AS replayed, r->>'coins_awarded' AS coins,
       r->>'balance' AS balance, r->>'key_used' AS key, r->'details' AS details, r->>'sqlstate' AS sqlstate
  FROM jsonb_array_elements(:'batch_rows') r ORDER BY (r->>'tap')::integer;

TRUNCATE treasure.stock_slots, treasure.chest_items, treasure.claim_features, treasure.claim_awards;
