-- The core contract through the PL/Proxy router (run by tests/shards/shards_test.sh against treasure_router
-- with 4 shards).  Remote calls commit on their shards, so the final ROLLBACK only ends the pgTAP session.
BEGIN;
SELECT plan(36);

-- Same signature and result columns as on a shard.
SELECT has_function('public', 'claim_treasure', ARRAY['bigint', 'bigint', 'uuid', 'bigint'], 'router has claim_treasure');
SELECT is(pg_get_function_result('claim_treasure(bigint, bigint, uuid, bigint)'::regprocedure),
          'TABLE(status text, replayed boolean, claim_id bigint, coins_awarded bigint, item_awarded text, item_qty integer, key_used text, balance bigint, claimed_at timestamp with time zone)',
          'router claim_treasure returns the contract''s columns');
SELECT is(pg_get_function_arguments('claim_treasure(bigint, bigint, uuid, bigint)'::regprocedure),
          'player_id bigint, chest_id bigint, request_id uuid, session_id bigint DEFAULT NULL::bigint',
          'router claim_treasure takes the contract''s arguments');
SELECT function_lang_is('public', 'claim_treasure', ARRAY['bigint', 'bigint', 'uuid', 'bigint'], 'plproxy',
                        'claim_treasure is a PL/Proxy function on the router');
SELECT function_returns('treasure', 'put_chest',
                        ARRAY['bigint', 'bigint', 'text', 'integer', 'text', 'timestamp with time zone', 'timestamp with time zone'],
                        'void', 'router put_chest returns void like on a shard');
SELECT function_returns('treasure', 'grant_item', ARRAY['bigint', 'text', 'integer'], 'integer',
                        'router grant_item returns integer like on a shard');

SELECT lives_ok($$SELECT treasure.put_chest(1, 100)$$, 'put_chest: coin chest on every shard');
SELECT lives_ok($$SELECT treasure.put_chest(2, 50, 'golden_key')$$, 'put_chest: key chest');
SELECT lives_ok($$SELECT treasure.put_chest(3, 500, 'crown', 2, 'golden_key')$$, 'put_chest: chest that needs the key');
SELECT lives_ok($$SELECT treasure.put_chest(4, 10, opens_at => now() + interval '1 hour')$$, 'put_chest: a closed chest');

-- Every status, for players that land on different shards.
SELECT results_eq($$SELECT status, replayed, coins_awarded, balance FROM claim_treasure(101, 1, '00000000-0000-0000-0000-0000000c0001', 7)$$,
                  $$VALUES ('claimed', false, 100::bigint, 100::bigint)$$, 'claimed through the router');
SELECT results_eq($$SELECT status, replayed, coins_awarded, balance FROM claim_treasure(101, 1, '00000000-0000-0000-0000-0000000c0001', 7)$$,
                  $$VALUES ('claimed', true, 100::bigint, 100::bigint)$$, 'replayed through the router');
SELECT results_eq($$SELECT status, replayed, coins_awarded, balance FROM claim_treasure(101, 1, '00000000-0000-0000-0000-0000000c0002')$$,
                  $$VALUES ('already_claimed', false, 0::bigint, 100::bigint)$$, 'already_claimed through the router');
SELECT results_eq($$SELECT status, coins_awarded FROM claim_treasure(102, 3, '00000000-0000-0000-0000-0000000c0003')$$,
                  $$VALUES ('key_required', 0::bigint)$$, 'key_required through the router');
SELECT results_eq($$SELECT status, coins_awarded FROM claim_treasure(102, 4, '00000000-0000-0000-0000-0000000c0004')$$,
                  $$VALUES ('chest_closed', 0::bigint)$$, 'chest_closed through the router');
SELECT results_eq($$SELECT status, item_awarded, balance FROM claim_treasure(102, 2, '00000000-0000-0000-0000-0000000c0005')$$,
                  $$VALUES ('claimed', 'golden_key', 50::bigint)$$, 'the key chest through the router');
SELECT results_eq($$SELECT status, item_awarded, item_qty, key_used, balance FROM claim_treasure(102, 3, '00000000-0000-0000-0000-0000000c0006')$$,
                  $$VALUES ('claimed', 'crown', 2, 'golden_key', 550::bigint)$$, 'the key is consumed on the owning shard');
SELECT is(treasure.grant_item(103, 'golden_key', 2), 2, 'grant_item routes to the owning shard');
SELECT results_eq($$SELECT status, key_used FROM claim_treasure(103, 3, '00000000-0000-0000-0000-0000000c0007')$$,
                  $$VALUES ('claimed', 'golden_key')$$, 'a granted key opens the chest');

-- The read surface, routed by player.
SELECT results_eq($$SELECT player_id, balance FROM treasure.wallets(102)$$, $$VALUES (102::bigint, 550::bigint)$$, 'wallets(player)');
SELECT results_eq($$SELECT item, qty FROM treasure.inventories(102)$$, $$VALUES ('crown', 2), ('golden_key', 0)$$, 'inventories(player)');
SELECT results_eq($$SELECT chest_id, coins_awarded FROM treasure.claims(102)$$, $$VALUES (2::bigint, 50::bigint), (3::bigint, 500::bigint)$$, 'claims(player)');
SELECT results_eq($$SELECT chest_id, coins_awarded FROM treasure.claim_events(102)$$, $$VALUES (2::bigint, 50::bigint), (3::bigint, 500::bigint)$$, 'claim_events(player)');
SELECT results_eq($$SELECT claims, coins_awarded FROM treasure.player_stats(102)$$, $$VALUES (2::bigint, 550::bigint)$$, 'player_stats(player)');
SELECT is_empty($$SELECT * FROM treasure.wallets(999999)$$, 'an unknown player has no wallet');

-- SQLSTATEs survive the hop.
SELECT throws_ok($$SELECT * FROM claim_treasure(NULL, 1, '00000000-0000-0000-0000-0000000c0010')$$, '22004', NULL, 'NULL player_id: 22004');
SELECT throws_ok($$SELECT * FROM claim_treasure(101, NULL, '00000000-0000-0000-0000-0000000c0010')$$, '22004', NULL, 'NULL chest_id: 22004');
SELECT throws_ok($$SELECT * FROM claim_treasure(101, 1, NULL)$$, '22004', NULL, 'NULL request_id: 22004');
SELECT throws_ok($$SELECT * FROM claim_treasure(0, 1, '00000000-0000-0000-0000-0000000c0010')$$, '22023', NULL, 'player_id 0: 22023');
SELECT throws_ok($$SELECT * FROM claim_treasure(101, -1, '00000000-0000-0000-0000-0000000c0010')$$, '22023', NULL, 'chest_id -1: 22023');
SELECT throws_ok($$SELECT * FROM claim_treasure(101, 99, '00000000-0000-0000-0000-0000000c0010')$$, 'P0002', NULL, 'unknown chest: P0002');
SELECT throws_ok($$SELECT * FROM claim_treasure(101, 2, '00000000-0000-0000-0000-0000000c0001')$$, '23505', NULL, 'request_id bound to another chest: 23505');
SELECT throws_ok($$SELECT treasure.put_chest(5, -1)$$, '22023', NULL, 'put_chest validation: 22023');
SELECT throws_ok($$SELECT treasure.grant_item(101, 'x', 0)$$, '22023', NULL, 'grant_item validation: 22023');
SELECT throws_ok($$SELECT treasure.put_chest(9, 9223372036854775807)$$ || $$; SELECT * FROM claim_treasure(101, 9, '00000000-0000-0000-0000-0000000c0011')$$,
                 '22003', NULL, 'wallet overflow: 22003');
SELECT results_eq($$SELECT balance FROM treasure.wallets(101)$$, $$VALUES (100::bigint)$$, 'the overflowing claim wrote nothing');

SELECT * FROM finish();
ROLLBACK;
