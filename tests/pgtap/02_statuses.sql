-- Every status claim_treasure() returns, every field of its row, and what each one does to every table.
-- All calls run in one transaction, so claimed_at is now() and windows are set relative to now().
BEGIN;
SELECT plan(87);

\ir include/table_state.psql
CREATE TEMP TABLE snap AS SELECT * FROM state;

-- The rows claim_treasure() returned, by step.
CREATE TEMP TABLE got (step text PRIMARY KEY, status text, replayed boolean, claim_id bigint, coins_awarded bigint,
                       item_awarded text, item_qty integer, key_used text, balance bigint, claimed_at timestamptz);

-- claim_id of the claim of (player, chest): ids come from a cached sequence, so tests never hard-code them.
CREATE FUNCTION pg_temp.cid(player bigint, chest bigint) RETURNS bigint LANGUAGE sql STABLE
  AS 'SELECT k.claim_id FROM treasure.claims k WHERE k.player_id = player AND k.chest_id = chest';

DO $$
BEGIN
  PERFORM treasure.put_chest(101, 100);                                        -- coins only
  PERFORM treasure.put_chest(102, 50, 'gem', 3);                               -- coins and 3 gems
  PERFORM treasure.put_chest(103, 10, 'crown', 1, 'bronze_key');               -- needs a key, gives a crown
  PERFORM treasure.put_chest(104, 5, NULL, 1, 'bronze_key');                   -- needs a key, coins only
  PERFORM treasure.put_chest(105, 7, NULL, 1, NULL, now() + interval '1 hour');                  -- not open yet
  PERFORM treasure.put_chest(106, 7, NULL, 1, NULL, NULL, now());                                -- closes now
  PERFORM treasure.put_chest(107, 7, NULL, 1, NULL, now() - interval '2 hours', now() - interval '1 hour');
  PERFORM treasure.put_chest(108, 8, NULL, 1, NULL, now(), now() + interval '1 hour');           -- opens now
  PERFORM treasure.put_chest(109, 0);                                          -- nothing in it
  PERFORM treasure.put_chest(110, 1, NULL, 1, 'bronze_key', now() + interval '1 hour');          -- key, not open
END
$$;

SELECT results_eq(
  'SELECT chest_id, coins, item, item_qty, key_item, opens_at, closes_at FROM treasure.chests ORDER BY chest_id',
  $$VALUES (101::bigint, 100::bigint, NULL::text, 1, NULL::text, NULL::timestamptz, NULL::timestamptz),
           (102, 50, 'gem', 3, NULL, NULL, NULL),
           (103, 10, 'crown', 1, 'bronze_key', NULL, NULL),
           (104, 5, NULL, 1, 'bronze_key', NULL, NULL),
           (105, 7, NULL, 1, NULL, now() + interval '1 hour', NULL),
           (106, 7, NULL, 1, NULL, NULL, now()),
           (107, 7, NULL, 1, NULL, now() - interval '2 hours', now() - interval '1 hour'),
           (108, 8, NULL, 1, NULL, now(), now() + interval '1 hour'),
           (109, 0, NULL, 1, NULL, NULL, NULL),
           (110, 1, NULL, 1, 'bronze_key', now() + interval '1 hour', NULL)$$,
  'put_chest stored every chest as given (item_qty defaults to 1)');
SELECT is_empty('SELECT player_id, balance FROM treasure.wallets UNION ALL SELECT player_id, 0 FROM treasure.claims', 'no wallet or claim before the first claim');
TRUNCATE snap; INSERT INTO snap SELECT * FROM state;

-- s01: a coins-only chest, session_id omitted
INSERT INTO got SELECT 's01', * FROM claim_treasure(1, 101, '00000000-0000-0000-0000-000000000001'::uuid);
SELECT results_eq(
  $$SELECT status, replayed, claim_id, coins_awarded, item_awarded, item_qty, key_used, balance, claimed_at
      FROM got WHERE step = 's01'$$,
  $$VALUES ('claimed'::text, false, pg_temp.cid(1, 101)::bigint, 100::bigint, NULL::text, NULL::integer, NULL::text,
            100::bigint, now()::timestamptz)$$,
  's01: claimed, coins only, balance opened at 100');
SELECT results_eq('SELECT player_id, balance FROM treasure.wallets ORDER BY player_id',
  $$VALUES (1::bigint, 100::bigint)$$, 's01: wallets');
SELECT is_empty('SELECT * FROM treasure.inventories', 's01: inventories empty');
SELECT results_eq(
  $$SELECT claim_id, player_id, chest_id, request_id, session_id, coins_awarded, item_awarded, item_qty, key_used,
           claimed_at FROM treasure.claims ORDER BY player_id, chest_id$$,
  $$VALUES (pg_temp.cid(1, 101), 1::bigint, 101::bigint, '00000000-0000-0000-0000-000000000001'::uuid, NULL::bigint, 100::bigint, NULL::text, NULL::integer, NULL::text, now())$$, 's01: claims');
SELECT results_eq(
  $$SELECT claim_id, player_id, chest_id, coins_awarded, balance_after, occurred_at
      FROM treasure.claim_events ORDER BY player_id, claim_id$$,
  $$VALUES (pg_temp.cid(1, 101), 1::bigint, 101::bigint, 100::bigint, 100::bigint, now())$$, 's01: claim_events');
SELECT results_eq('SELECT player_id, claims, coins_awarded, last_claim_at FROM treasure.player_stats ORDER BY player_id',
  $$VALUES (1::bigint, 1::bigint, 100::bigint, now())$$, 's01: player_stats');
SELECT is((SELECT count(*)::int FROM treasure.claim_events WHERE event_id IS NOT NULL), 1, 's01: the event has an event_id');
TRUNCATE snap; INSERT INTO snap SELECT * FROM state;

-- s02: the same request again is a replay of the same row
INSERT INTO got SELECT 's02', * FROM claim_treasure(1, 101, '00000000-0000-0000-0000-000000000001'::uuid);
SELECT results_eq(
  $$SELECT status, replayed, claim_id, coins_awarded, item_awarded, item_qty, key_used, balance, claimed_at
      FROM got WHERE step = 's02'$$,
  $$VALUES ('claimed'::text, true, pg_temp.cid(1, 101)::bigint, 100::bigint, NULL::text, NULL::integer, NULL::text,
            100::bigint, now()::timestamptz)$$,
  's02: replay returns the original row with replayed = true');
SELECT results_eq($$SELECT status, claim_id, coins_awarded, item_awarded, item_qty, key_used, balance, claimed_at
                          FROM got WHERE step = 's02'$$,
                  $$SELECT status, claim_id, coins_awarded, item_awarded, item_qty, key_used, balance, claimed_at
                          FROM got WHERE step = 's01'$$,
                  's02: every field but replayed equals the first call''s');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 's02: nothing written');

-- s03: the same chest with a new request_id
INSERT INTO got SELECT 's03', * FROM claim_treasure(1, 101, '00000000-0000-0000-0000-000000000002'::uuid);
SELECT results_eq(
  $$SELECT status, replayed, claim_id, coins_awarded, item_awarded, item_qty, key_used, balance, claimed_at
      FROM got WHERE step = 's03'$$,
  $$VALUES ('already_claimed'::text, false, pg_temp.cid(1, 101)::bigint, 0::bigint, NULL::text, NULL::integer, NULL::text,
            100::bigint, now()::timestamptz)$$,
  's03: already_claimed: the existing claim_id, 0 coins, no item, the current balance');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 's03: nothing written');

-- s04: an item chest, with a session_id
INSERT INTO got SELECT 's04', * FROM claim_treasure(2, 102, '00000000-0000-0000-0000-000000000003'::uuid, 42);
SELECT results_eq(
  $$SELECT status, replayed, claim_id, coins_awarded, item_awarded, item_qty, key_used, balance, claimed_at
      FROM got WHERE step = 's04'$$,
  $$VALUES ('claimed'::text, false, pg_temp.cid(2, 102)::bigint, 50::bigint, 'gem'::text, 3::integer, NULL::text,
            50::bigint, now()::timestamptz)$$,
  's04: claimed, coins and 3 gems');
SELECT results_eq('SELECT player_id, balance FROM treasure.wallets ORDER BY player_id',
  $$VALUES (1::bigint, 100::bigint),
         (2::bigint, 50::bigint)$$, 's04: wallets');
SELECT results_eq('SELECT player_id, item, qty FROM treasure.inventories ORDER BY player_id, item',
  $$VALUES (2::bigint, 'gem'::text, 3::integer)$$, 's04: inventories');
SELECT results_eq(
  $$SELECT claim_id, player_id, chest_id, request_id, session_id, coins_awarded, item_awarded, item_qty, key_used,
           claimed_at FROM treasure.claims ORDER BY player_id, chest_id$$,
  $$VALUES (pg_temp.cid(1, 101), 1::bigint, 101::bigint, '00000000-0000-0000-0000-000000000001'::uuid, NULL::bigint, 100::bigint, NULL::text, NULL::integer, NULL::text, now()),
         (pg_temp.cid(2, 102), 2::bigint, 102::bigint, '00000000-0000-0000-0000-000000000003'::uuid, 42::bigint, 50::bigint, 'gem'::text, 3::integer, NULL::text, now())$$, 's04: claims');
SELECT results_eq(
  $$SELECT claim_id, player_id, chest_id, coins_awarded, balance_after, occurred_at
      FROM treasure.claim_events ORDER BY player_id, claim_id$$,
  $$VALUES (pg_temp.cid(1, 101), 1::bigint, 101::bigint, 100::bigint, 100::bigint, now()),
         (pg_temp.cid(2, 102), 2::bigint, 102::bigint, 50::bigint, 50::bigint, now())$$, 's04: claim_events');
SELECT results_eq('SELECT player_id, claims, coins_awarded, last_claim_at FROM treasure.player_stats ORDER BY player_id',
  $$VALUES (1::bigint, 1::bigint, 100::bigint, now()),
         (2::bigint, 1::bigint, 50::bigint, now())$$, 's04: player_stats');
TRUNCATE snap; INSERT INTO snap SELECT * FROM state;

-- s05, s06: a key chest without the key (a player with a wallet, then one without)
INSERT INTO got SELECT 's05', * FROM claim_treasure(2, 103, '00000000-0000-0000-0000-000000000004'::uuid);
SELECT results_eq(
  $$SELECT status, replayed, claim_id, coins_awarded, item_awarded, item_qty, key_used, balance, claimed_at
      FROM got WHERE step = 's05'$$,
  $$VALUES ('key_required'::text, false, NULL::bigint, 0::bigint, NULL::text, NULL::integer, NULL::text,
            50::bigint, NULL::timestamptz)$$,
  's05: key_required: no claim_id, 0 coins, current balance, no claimed_at');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 's05: nothing written');
INSERT INTO got SELECT 's06', * FROM claim_treasure(3, 103, '00000000-0000-0000-0000-000000000005'::uuid);
SELECT results_eq(
  $$SELECT status, replayed, claim_id, coins_awarded, item_awarded, item_qty, key_used, balance, claimed_at
      FROM got WHERE step = 's06'$$,
  $$VALUES ('key_required'::text, false, NULL::bigint, 0::bigint, NULL::text, NULL::integer, NULL::text,
            0::bigint, NULL::timestamptz)$$,
  's06: key_required for a player without a wallet: balance 0');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 's06: nothing written');

-- grants: a key for player 2 (who has a wallet) and two for player 3 (who has none yet)
SELECT is(treasure.grant_item(2, 'bronze_key', 1), 1, 'grant_item returns the new quantity (1)');
SELECT is(treasure.grant_item(3, 'bronze_key', 2), 2, 'grant_item returns the new quantity (2)');
SELECT results_eq('SELECT player_id, balance FROM treasure.wallets ORDER BY player_id',
  $$VALUES (1::bigint, 100::bigint), (2::bigint, 50::bigint), (3::bigint, 0::bigint)$$, 'grant_item opened a 0 wallet for player 3 only');
SELECT results_eq('SELECT player_id, item, qty FROM treasure.inventories ORDER BY player_id, item',
  $$VALUES (2::bigint, 'bronze_key'::text, 1::integer), (2::bigint, 'gem'::text, 3::integer), (3::bigint, 'bronze_key'::text, 2::integer)$$, 'grant_item added the keys');
SELECT results_eq('SELECT player_id, item, qty, granted_at FROM treasure.item_grants ORDER BY player_id',
  $$VALUES (2::bigint, 'bronze_key'::text, 1, now()), (3, 'bronze_key', 2, now())$$, 'grant_item recorded both grants');
SELECT is((SELECT count(*)::int FROM treasure.claims), 2, 'grant_item wrote no claim');
TRUNCATE snap; INSERT INTO snap SELECT * FROM state;

-- s07: with the key: the key is consumed and the item given
INSERT INTO got SELECT 's07', * FROM claim_treasure(2, 103, '00000000-0000-0000-0000-000000000006'::uuid);
SELECT results_eq(
  $$SELECT status, replayed, claim_id, coins_awarded, item_awarded, item_qty, key_used, balance, claimed_at
      FROM got WHERE step = 's07'$$,
  $$VALUES ('claimed'::text, false, pg_temp.cid(2, 103)::bigint, 10::bigint, 'crown'::text, 1::integer, 'bronze_key'::text,
            60::bigint, now()::timestamptz)$$,
  's07: claimed with a key: crown given, bronze_key used');
SELECT results_eq('SELECT player_id, balance FROM treasure.wallets ORDER BY player_id',
  $$VALUES (1::bigint, 100::bigint),
         (2::bigint, 60::bigint),
         (3::bigint, 0::bigint)$$, 's07: wallets');
SELECT results_eq('SELECT player_id, item, qty FROM treasure.inventories ORDER BY player_id, item',
  $$VALUES (2::bigint, 'bronze_key'::text, 0::integer),
         (2::bigint, 'crown'::text, 1::integer),
         (2::bigint, 'gem'::text, 3::integer),
         (3::bigint, 'bronze_key'::text, 2::integer)$$, 's07: inventories');
SELECT results_eq(
  $$SELECT claim_id, player_id, chest_id, request_id, session_id, coins_awarded, item_awarded, item_qty, key_used,
           claimed_at FROM treasure.claims ORDER BY player_id, chest_id$$,
  $$VALUES (pg_temp.cid(1, 101), 1::bigint, 101::bigint, '00000000-0000-0000-0000-000000000001'::uuid, NULL::bigint, 100::bigint, NULL::text, NULL::integer, NULL::text, now()),
         (pg_temp.cid(2, 102), 2::bigint, 102::bigint, '00000000-0000-0000-0000-000000000003'::uuid, 42::bigint, 50::bigint, 'gem'::text, 3::integer, NULL::text, now()),
         (pg_temp.cid(2, 103), 2::bigint, 103::bigint, '00000000-0000-0000-0000-000000000006'::uuid, NULL::bigint, 10::bigint, 'crown'::text, 1::integer, 'bronze_key'::text, now())$$, 's07: claims');
SELECT results_eq(
  $$SELECT claim_id, player_id, chest_id, coins_awarded, balance_after, occurred_at
      FROM treasure.claim_events ORDER BY player_id, claim_id$$,
  $$VALUES (pg_temp.cid(1, 101), 1::bigint, 101::bigint, 100::bigint, 100::bigint, now()),
         (pg_temp.cid(2, 102), 2::bigint, 102::bigint, 50::bigint, 50::bigint, now()),
         (pg_temp.cid(2, 103), 2::bigint, 103::bigint, 10::bigint, 60::bigint, now())$$, 's07: claim_events');
SELECT results_eq('SELECT player_id, claims, coins_awarded, last_claim_at FROM treasure.player_stats ORDER BY player_id',
  $$VALUES (1::bigint, 1::bigint, 100::bigint, now()),
         (2::bigint, 2::bigint, 60::bigint, now())$$, 's07: player_stats');
TRUNCATE snap; INSERT INTO snap SELECT * FROM state;

-- s08: replay of the key claim consumes nothing more
INSERT INTO got SELECT 's08', * FROM claim_treasure(2, 103, '00000000-0000-0000-0000-000000000006'::uuid);
SELECT results_eq(
  $$SELECT status, replayed, claim_id, coins_awarded, item_awarded, item_qty, key_used, balance, claimed_at
      FROM got WHERE step = 's08'$$,
  $$VALUES ('claimed'::text, true, pg_temp.cid(2, 103)::bigint, 10::bigint, 'crown'::text, 1::integer, 'bronze_key'::text,
            60::bigint, now()::timestamptz)$$,
  's08: replay of a key claim returns the same row');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 's08: nothing written');

-- s09: the key (now qty 0) does not open another chest
INSERT INTO got SELECT 's09', * FROM claim_treasure(2, 104, '00000000-0000-0000-0000-000000000007'::uuid);
SELECT results_eq(
  $$SELECT status, replayed, claim_id, coins_awarded, item_awarded, item_qty, key_used, balance, claimed_at
      FROM got WHERE step = 's09'$$,
  $$VALUES ('key_required'::text, false, NULL::bigint, 0::bigint, NULL::text, NULL::integer, NULL::text,
            60::bigint, NULL::timestamptz)$$,
  's09: key_required once the only key was used');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 's09: nothing written');

-- s10: session_id passed explicitly as NULL
INSERT INTO got SELECT 's10', * FROM claim_treasure(3, 103, '00000000-0000-0000-0000-000000000008'::uuid, NULL);
SELECT results_eq(
  $$SELECT status, replayed, claim_id, coins_awarded, item_awarded, item_qty, key_used, balance, claimed_at
      FROM got WHERE step = 's10'$$,
  $$VALUES ('claimed'::text, false, pg_temp.cid(3, 103)::bigint, 10::bigint, 'crown'::text, 1::integer, 'bronze_key'::text,
            10::bigint, now()::timestamptz)$$,
  's10: claimed with session_id NULL');
SELECT results_eq('SELECT player_id, balance FROM treasure.wallets ORDER BY player_id',
  $$VALUES (1::bigint, 100::bigint),
         (2::bigint, 60::bigint),
         (3::bigint, 10::bigint)$$, 's10: wallets');
SELECT results_eq('SELECT player_id, item, qty FROM treasure.inventories ORDER BY player_id, item',
  $$VALUES (2::bigint, 'bronze_key'::text, 0::integer),
         (2::bigint, 'crown'::text, 1::integer),
         (2::bigint, 'gem'::text, 3::integer),
         (3::bigint, 'bronze_key'::text, 1::integer),
         (3::bigint, 'crown'::text, 1::integer)$$, 's10: inventories');
SELECT results_eq(
  $$SELECT claim_id, player_id, chest_id, request_id, session_id, coins_awarded, item_awarded, item_qty, key_used,
           claimed_at FROM treasure.claims ORDER BY player_id, chest_id$$,
  $$VALUES (pg_temp.cid(1, 101), 1::bigint, 101::bigint, '00000000-0000-0000-0000-000000000001'::uuid, NULL::bigint, 100::bigint, NULL::text, NULL::integer, NULL::text, now()),
         (pg_temp.cid(2, 102), 2::bigint, 102::bigint, '00000000-0000-0000-0000-000000000003'::uuid, 42::bigint, 50::bigint, 'gem'::text, 3::integer, NULL::text, now()),
         (pg_temp.cid(2, 103), 2::bigint, 103::bigint, '00000000-0000-0000-0000-000000000006'::uuid, NULL::bigint, 10::bigint, 'crown'::text, 1::integer, 'bronze_key'::text, now()),
         (pg_temp.cid(3, 103), 3::bigint, 103::bigint, '00000000-0000-0000-0000-000000000008'::uuid, NULL::bigint, 10::bigint, 'crown'::text, 1::integer, 'bronze_key'::text, now())$$, 's10: claims');
SELECT results_eq(
  $$SELECT claim_id, player_id, chest_id, coins_awarded, balance_after, occurred_at
      FROM treasure.claim_events ORDER BY player_id, claim_id$$,
  $$VALUES (pg_temp.cid(1, 101), 1::bigint, 101::bigint, 100::bigint, 100::bigint, now()),
         (pg_temp.cid(2, 102), 2::bigint, 102::bigint, 50::bigint, 50::bigint, now()),
         (pg_temp.cid(2, 103), 2::bigint, 103::bigint, 10::bigint, 60::bigint, now()),
         (pg_temp.cid(3, 103), 3::bigint, 103::bigint, 10::bigint, 10::bigint, now())$$, 's10: claim_events');
SELECT results_eq('SELECT player_id, claims, coins_awarded, last_claim_at FROM treasure.player_stats ORDER BY player_id',
  $$VALUES (1::bigint, 1::bigint, 100::bigint, now()),
         (2::bigint, 2::bigint, 60::bigint, now()),
         (3::bigint, 1::bigint, 10::bigint, now())$$, 's10: player_stats');
TRUNCATE snap; INSERT INTO snap SELECT * FROM state;

-- s11: already_claimed on a key chest while holding another key: the key is not consumed
INSERT INTO got SELECT 's11', * FROM claim_treasure(3, 103, '00000000-0000-0000-0000-000000000009'::uuid);
SELECT results_eq(
  $$SELECT status, replayed, claim_id, coins_awarded, item_awarded, item_qty, key_used, balance, claimed_at
      FROM got WHERE step = 's11'$$,
  $$VALUES ('already_claimed'::text, false, pg_temp.cid(3, 103)::bigint, 0::bigint, NULL::text, NULL::integer, NULL::text,
            10::bigint, now()::timestamptz)$$,
  's11: already_claimed on a key chest');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 's11: nothing written');

-- s12..s17: closed chests
INSERT INTO got SELECT 's12', * FROM claim_treasure(1, 105, '00000000-0000-0000-0000-000000000010'::uuid);
SELECT results_eq(
  $$SELECT status, replayed, claim_id, coins_awarded, item_awarded, item_qty, key_used, balance, claimed_at
      FROM got WHERE step = 's12'$$,
  $$VALUES ('chest_closed'::text, false, NULL::bigint, 0::bigint, NULL::text, NULL::integer, NULL::text,
            100::bigint, NULL::timestamptz)$$,
  's12: chest_closed before opens_at');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 's12: nothing written');
INSERT INTO got SELECT 's13', * FROM claim_treasure(1, 106, '00000000-0000-0000-0000-000000000011'::uuid);
SELECT results_eq(
  $$SELECT status, replayed, claim_id, coins_awarded, item_awarded, item_qty, key_used, balance, claimed_at
      FROM got WHERE step = 's13'$$,
  $$VALUES ('chest_closed'::text, false, NULL::bigint, 0::bigint, NULL::text, NULL::integer, NULL::text,
            100::bigint, NULL::timestamptz)$$,
  's13: chest_closed at closes_at');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 's13: nothing written');
INSERT INTO got SELECT 's14', * FROM claim_treasure(1, 107, '00000000-0000-0000-0000-000000000012'::uuid);
SELECT results_eq(
  $$SELECT status, replayed, claim_id, coins_awarded, item_awarded, item_qty, key_used, balance, claimed_at
      FROM got WHERE step = 's14'$$,
  $$VALUES ('chest_closed'::text, false, NULL::bigint, 0::bigint, NULL::text, NULL::integer, NULL::text,
            100::bigint, NULL::timestamptz)$$,
  's14: chest_closed after closes_at');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 's14: nothing written');
INSERT INTO got SELECT 's15', * FROM claim_treasure(4, 105, '00000000-0000-0000-0000-000000000013'::uuid);
SELECT results_eq(
  $$SELECT status, replayed, claim_id, coins_awarded, item_awarded, item_qty, key_used, balance, claimed_at
      FROM got WHERE step = 's15'$$,
  $$VALUES ('chest_closed'::text, false, NULL::bigint, 0::bigint, NULL::text, NULL::integer, NULL::text,
            0::bigint, NULL::timestamptz)$$,
  's15: chest_closed for a player without a wallet: balance 0');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 's15: nothing written');
INSERT INTO got SELECT 's16', * FROM claim_treasure(3, 110, '00000000-0000-0000-0000-000000000014'::uuid);
SELECT results_eq(
  $$SELECT status, replayed, claim_id, coins_awarded, item_awarded, item_qty, key_used, balance, claimed_at
      FROM got WHERE step = 's16'$$,
  $$VALUES ('chest_closed'::text, false, NULL::bigint, 0::bigint, NULL::text, NULL::integer, NULL::text,
            10::bigint, NULL::timestamptz)$$,
  's16: chest_closed for a key chest even when holding the key');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 's16: nothing written');
INSERT INTO got SELECT 's17', * FROM claim_treasure(2, 110, '00000000-0000-0000-0000-000000000015'::uuid);
SELECT results_eq(
  $$SELECT status, replayed, claim_id, coins_awarded, item_awarded, item_qty, key_used, balance, claimed_at
      FROM got WHERE step = 's17'$$,
  $$VALUES ('chest_closed'::text, false, NULL::bigint, 0::bigint, NULL::text, NULL::integer, NULL::text,
            60::bigint, NULL::timestamptz)$$,
  's17: chest_closed takes precedence over key_required');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 's17: nothing written');

-- s18: opens_at = now() is open
INSERT INTO got SELECT 's18', * FROM claim_treasure(1, 108, '00000000-0000-0000-0000-000000000016'::uuid);
SELECT results_eq(
  $$SELECT status, replayed, claim_id, coins_awarded, item_awarded, item_qty, key_used, balance, claimed_at
      FROM got WHERE step = 's18'$$,
  $$VALUES ('claimed'::text, false, pg_temp.cid(1, 108)::bigint, 8::bigint, NULL::text, NULL::integer, NULL::text,
            108::bigint, now()::timestamptz)$$,
  's18: claimed at opens_at');
SELECT results_eq('SELECT player_id, balance FROM treasure.wallets ORDER BY player_id',
  $$VALUES (1::bigint, 108::bigint),
         (2::bigint, 60::bigint),
         (3::bigint, 10::bigint)$$, 's18: wallets');
SELECT results_eq('SELECT player_id, item, qty FROM treasure.inventories ORDER BY player_id, item',
  $$VALUES (2::bigint, 'bronze_key'::text, 0::integer),
         (2::bigint, 'crown'::text, 1::integer),
         (2::bigint, 'gem'::text, 3::integer),
         (3::bigint, 'bronze_key'::text, 1::integer),
         (3::bigint, 'crown'::text, 1::integer)$$, 's18: inventories');
SELECT results_eq(
  $$SELECT claim_id, player_id, chest_id, request_id, session_id, coins_awarded, item_awarded, item_qty, key_used,
           claimed_at FROM treasure.claims ORDER BY player_id, chest_id$$,
  $$VALUES (pg_temp.cid(1, 101), 1::bigint, 101::bigint, '00000000-0000-0000-0000-000000000001'::uuid, NULL::bigint, 100::bigint, NULL::text, NULL::integer, NULL::text, now()),
         (pg_temp.cid(1, 108), 1::bigint, 108::bigint, '00000000-0000-0000-0000-000000000016'::uuid, NULL::bigint, 8::bigint, NULL::text, NULL::integer, NULL::text, now()),
         (pg_temp.cid(2, 102), 2::bigint, 102::bigint, '00000000-0000-0000-0000-000000000003'::uuid, 42::bigint, 50::bigint, 'gem'::text, 3::integer, NULL::text, now()),
         (pg_temp.cid(2, 103), 2::bigint, 103::bigint, '00000000-0000-0000-0000-000000000006'::uuid, NULL::bigint, 10::bigint, 'crown'::text, 1::integer, 'bronze_key'::text, now()),
         (pg_temp.cid(3, 103), 3::bigint, 103::bigint, '00000000-0000-0000-0000-000000000008'::uuid, NULL::bigint, 10::bigint, 'crown'::text, 1::integer, 'bronze_key'::text, now())$$, 's18: claims');
SELECT results_eq(
  $$SELECT claim_id, player_id, chest_id, coins_awarded, balance_after, occurred_at
      FROM treasure.claim_events ORDER BY player_id, claim_id$$,
  $$VALUES (pg_temp.cid(1, 101), 1::bigint, 101::bigint, 100::bigint, 100::bigint, now()),
         (pg_temp.cid(1, 108), 1::bigint, 108::bigint, 8::bigint, 108::bigint, now()),
         (pg_temp.cid(2, 102), 2::bigint, 102::bigint, 50::bigint, 50::bigint, now()),
         (pg_temp.cid(2, 103), 2::bigint, 103::bigint, 10::bigint, 60::bigint, now()),
         (pg_temp.cid(3, 103), 3::bigint, 103::bigint, 10::bigint, 10::bigint, now())$$, 's18: claim_events');
SELECT results_eq('SELECT player_id, claims, coins_awarded, last_claim_at FROM treasure.player_stats ORDER BY player_id',
  $$VALUES (1::bigint, 2::bigint, 108::bigint, now()),
         (2::bigint, 2::bigint, 60::bigint, now()),
         (3::bigint, 1::bigint, 10::bigint, now())$$, 's18: player_stats');
TRUNCATE snap; INSERT INTO snap SELECT * FROM state;

-- s19: an empty chest still makes a claim and opens a 0 wallet
INSERT INTO got SELECT 's19', * FROM claim_treasure(4, 109, '00000000-0000-0000-0000-000000000017'::uuid, 7);
SELECT results_eq(
  $$SELECT status, replayed, claim_id, coins_awarded, item_awarded, item_qty, key_used, balance, claimed_at
      FROM got WHERE step = 's19'$$,
  $$VALUES ('claimed'::text, false, pg_temp.cid(4, 109)::bigint, 0::bigint, NULL::text, NULL::integer, NULL::text,
            0::bigint, now()::timestamptz)$$,
  's19: claimed, 0 coins');
SELECT results_eq('SELECT player_id, balance FROM treasure.wallets ORDER BY player_id',
  $$VALUES (1::bigint, 108::bigint),
         (2::bigint, 60::bigint),
         (3::bigint, 10::bigint),
         (4::bigint, 0::bigint)$$, 's19: wallets');
SELECT results_eq('SELECT player_id, item, qty FROM treasure.inventories ORDER BY player_id, item',
  $$VALUES (2::bigint, 'bronze_key'::text, 0::integer),
         (2::bigint, 'crown'::text, 1::integer),
         (2::bigint, 'gem'::text, 3::integer),
         (3::bigint, 'bronze_key'::text, 1::integer),
         (3::bigint, 'crown'::text, 1::integer)$$, 's19: inventories');
SELECT results_eq(
  $$SELECT claim_id, player_id, chest_id, request_id, session_id, coins_awarded, item_awarded, item_qty, key_used,
           claimed_at FROM treasure.claims ORDER BY player_id, chest_id$$,
  $$VALUES (pg_temp.cid(1, 101), 1::bigint, 101::bigint, '00000000-0000-0000-0000-000000000001'::uuid, NULL::bigint, 100::bigint, NULL::text, NULL::integer, NULL::text, now()),
         (pg_temp.cid(1, 108), 1::bigint, 108::bigint, '00000000-0000-0000-0000-000000000016'::uuid, NULL::bigint, 8::bigint, NULL::text, NULL::integer, NULL::text, now()),
         (pg_temp.cid(2, 102), 2::bigint, 102::bigint, '00000000-0000-0000-0000-000000000003'::uuid, 42::bigint, 50::bigint, 'gem'::text, 3::integer, NULL::text, now()),
         (pg_temp.cid(2, 103), 2::bigint, 103::bigint, '00000000-0000-0000-0000-000000000006'::uuid, NULL::bigint, 10::bigint, 'crown'::text, 1::integer, 'bronze_key'::text, now()),
         (pg_temp.cid(3, 103), 3::bigint, 103::bigint, '00000000-0000-0000-0000-000000000008'::uuid, NULL::bigint, 10::bigint, 'crown'::text, 1::integer, 'bronze_key'::text, now()),
         (pg_temp.cid(4, 109), 4::bigint, 109::bigint, '00000000-0000-0000-0000-000000000017'::uuid, 7::bigint, 0::bigint, NULL::text, NULL::integer, NULL::text, now())$$, 's19: claims');
SELECT results_eq(
  $$SELECT claim_id, player_id, chest_id, coins_awarded, balance_after, occurred_at
      FROM treasure.claim_events ORDER BY player_id, claim_id$$,
  $$VALUES (pg_temp.cid(1, 101), 1::bigint, 101::bigint, 100::bigint, 100::bigint, now()),
         (pg_temp.cid(1, 108), 1::bigint, 108::bigint, 8::bigint, 108::bigint, now()),
         (pg_temp.cid(2, 102), 2::bigint, 102::bigint, 50::bigint, 50::bigint, now()),
         (pg_temp.cid(2, 103), 2::bigint, 103::bigint, 10::bigint, 60::bigint, now()),
         (pg_temp.cid(3, 103), 3::bigint, 103::bigint, 10::bigint, 10::bigint, now()),
         (pg_temp.cid(4, 109), 4::bigint, 109::bigint, 0::bigint, 0::bigint, now())$$, 's19: claim_events');
SELECT results_eq('SELECT player_id, claims, coins_awarded, last_claim_at FROM treasure.player_stats ORDER BY player_id',
  $$VALUES (1::bigint, 2::bigint, 108::bigint, now()),
         (2::bigint, 2::bigint, 60::bigint, now()),
         (3::bigint, 1::bigint, 10::bigint, now()),
         (4::bigint, 1::bigint, 0::bigint, now())$$, 's19: player_stats');
TRUNCATE snap; INSERT INTO snap SELECT * FROM state;

-- s20, s21: redefining a chest changes no claim made; a replay returns the balance right after the claim
DO $$ BEGIN PERFORM treasure.put_chest(101, 999, 'ruby'); END $$;
TRUNCATE snap; INSERT INTO snap SELECT * FROM state;
INSERT INTO got SELECT 's20', * FROM claim_treasure(1, 101, '00000000-0000-0000-0000-000000000001'::uuid);
SELECT results_eq(
  $$SELECT status, replayed, claim_id, coins_awarded, item_awarded, item_qty, key_used, balance, claimed_at
      FROM got WHERE step = 's20'$$,
  $$VALUES ('claimed'::text, true, pg_temp.cid(1, 101)::bigint, 100::bigint, NULL::text, NULL::integer, NULL::text,
            100::bigint, now()::timestamptz)$$,
  's20: replay after put_chest changed the chest and the balance moved: the original coins and balance');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 's20: nothing written');
INSERT INTO got SELECT 's21', * FROM claim_treasure(1, 101, '00000000-0000-0000-0000-000000000018'::uuid);
SELECT results_eq(
  $$SELECT status, replayed, claim_id, coins_awarded, item_awarded, item_qty, key_used, balance, claimed_at
      FROM got WHERE step = 's21'$$,
  $$VALUES ('already_claimed'::text, false, pg_temp.cid(1, 101)::bigint, 0::bigint, NULL::text, NULL::integer, NULL::text,
            108::bigint, now()::timestamptz)$$,
  's21: already_claimed reports the current balance');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 's21: nothing written');

-- s22: a replay with another session_id replays, and keeps the stored session_id
INSERT INTO got SELECT 's22', * FROM claim_treasure(2, 102, '00000000-0000-0000-0000-000000000003'::uuid, 99);
SELECT results_eq(
  $$SELECT status, replayed, claim_id, coins_awarded, item_awarded, item_qty, key_used, balance, claimed_at
      FROM got WHERE step = 's22'$$,
  $$VALUES ('claimed'::text, true, pg_temp.cid(2, 102)::bigint, 50::bigint, 'gem'::text, 3::integer, NULL::text,
            50::bigint, now()::timestamptz)$$,
  's22: replay with a different session_id');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 's22: nothing written');
SELECT is((SELECT session_id FROM treasure.claims WHERE player_id = 2 AND chest_id = 102), 42::bigint, 's22: session_id stays 42');

-- s23: a new claim of the redefined chest gets the new contents
INSERT INTO got SELECT 's23', * FROM claim_treasure(5, 101, '00000000-0000-0000-0000-000000000019'::uuid);
SELECT results_eq(
  $$SELECT status, replayed, claim_id, coins_awarded, item_awarded, item_qty, key_used, balance, claimed_at
      FROM got WHERE step = 's23'$$,
  $$VALUES ('claimed'::text, false, pg_temp.cid(5, 101)::bigint, 999::bigint, 'ruby'::text, 1::integer, NULL::text,
            999::bigint, now()::timestamptz)$$,
  's23: claimed the redefined chest: 999 coins and a ruby');
SELECT results_eq('SELECT player_id, balance FROM treasure.wallets ORDER BY player_id',
  $$VALUES (1::bigint, 108::bigint),
         (2::bigint, 60::bigint),
         (3::bigint, 10::bigint),
         (4::bigint, 0::bigint),
         (5::bigint, 999::bigint)$$, 's23: wallets');
SELECT results_eq('SELECT player_id, item, qty FROM treasure.inventories ORDER BY player_id, item',
  $$VALUES (2::bigint, 'bronze_key'::text, 0::integer),
         (2::bigint, 'crown'::text, 1::integer),
         (2::bigint, 'gem'::text, 3::integer),
         (3::bigint, 'bronze_key'::text, 1::integer),
         (3::bigint, 'crown'::text, 1::integer),
         (5::bigint, 'ruby'::text, 1::integer)$$, 's23: inventories');
SELECT results_eq(
  $$SELECT claim_id, player_id, chest_id, request_id, session_id, coins_awarded, item_awarded, item_qty, key_used,
           claimed_at FROM treasure.claims ORDER BY player_id, chest_id$$,
  $$VALUES (pg_temp.cid(1, 101), 1::bigint, 101::bigint, '00000000-0000-0000-0000-000000000001'::uuid, NULL::bigint, 100::bigint, NULL::text, NULL::integer, NULL::text, now()),
         (pg_temp.cid(1, 108), 1::bigint, 108::bigint, '00000000-0000-0000-0000-000000000016'::uuid, NULL::bigint, 8::bigint, NULL::text, NULL::integer, NULL::text, now()),
         (pg_temp.cid(2, 102), 2::bigint, 102::bigint, '00000000-0000-0000-0000-000000000003'::uuid, 42::bigint, 50::bigint, 'gem'::text, 3::integer, NULL::text, now()),
         (pg_temp.cid(2, 103), 2::bigint, 103::bigint, '00000000-0000-0000-0000-000000000006'::uuid, NULL::bigint, 10::bigint, 'crown'::text, 1::integer, 'bronze_key'::text, now()),
         (pg_temp.cid(3, 103), 3::bigint, 103::bigint, '00000000-0000-0000-0000-000000000008'::uuid, NULL::bigint, 10::bigint, 'crown'::text, 1::integer, 'bronze_key'::text, now()),
         (pg_temp.cid(4, 109), 4::bigint, 109::bigint, '00000000-0000-0000-0000-000000000017'::uuid, 7::bigint, 0::bigint, NULL::text, NULL::integer, NULL::text, now()),
         (pg_temp.cid(5, 101), 5::bigint, 101::bigint, '00000000-0000-0000-0000-000000000019'::uuid, NULL::bigint, 999::bigint, 'ruby'::text, 1::integer, NULL::text, now())$$, 's23: claims');
SELECT results_eq(
  $$SELECT claim_id, player_id, chest_id, coins_awarded, balance_after, occurred_at
      FROM treasure.claim_events ORDER BY player_id, claim_id$$,
  $$VALUES (pg_temp.cid(1, 101), 1::bigint, 101::bigint, 100::bigint, 100::bigint, now()),
         (pg_temp.cid(1, 108), 1::bigint, 108::bigint, 8::bigint, 108::bigint, now()),
         (pg_temp.cid(2, 102), 2::bigint, 102::bigint, 50::bigint, 50::bigint, now()),
         (pg_temp.cid(2, 103), 2::bigint, 103::bigint, 10::bigint, 60::bigint, now()),
         (pg_temp.cid(3, 103), 3::bigint, 103::bigint, 10::bigint, 10::bigint, now()),
         (pg_temp.cid(4, 109), 4::bigint, 109::bigint, 0::bigint, 0::bigint, now()),
         (pg_temp.cid(5, 101), 5::bigint, 101::bigint, 999::bigint, 999::bigint, now())$$, 's23: claim_events');
SELECT results_eq('SELECT player_id, claims, coins_awarded, last_claim_at FROM treasure.player_stats ORDER BY player_id',
  $$VALUES (1::bigint, 2::bigint, 108::bigint, now()),
         (2::bigint, 2::bigint, 60::bigint, now()),
         (3::bigint, 1::bigint, 10::bigint, now()),
         (4::bigint, 1::bigint, 0::bigint, now()),
         (5::bigint, 1::bigint, 999::bigint, now())$$, 's23: player_stats');

-- Also callable in a target list, as a composite
SELECT is((claim_treasure(1, 101, '00000000-0000-0000-0000-000000000001'::uuid)).status || '/' || (claim_treasure(1, 101, '00000000-0000-0000-0000-000000000001'::uuid)).replayed::text,
          'claimed/true', 'claim_treasure works as a target-list function too');
SELECT is((SELECT count(*)::int FROM got WHERE status IS NULL OR replayed IS NULL OR coins_awarded IS NULL OR balance IS NULL), 0, 'status, replayed, coins_awarded and balance are never NULL');

SELECT * FROM finish();
ROLLBACK;
