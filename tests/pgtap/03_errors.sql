-- Every error claim_treasure(), put_chest() and grant_item() raise, by SQLSTATE, and after each one a check
-- that nothing at all was written: every row of every table is compared with a snapshot taken before.
BEGIN;
SELECT plan(119);

\ir include/table_state.psql

-- Counts and sums, a second, coarser witness.
CREATE TEMP VIEW totals AS
  SELECT (SELECT count(*) FROM treasure.chests) AS chests,
         (SELECT count(*) FROM treasure.wallets) AS wallets, (SELECT sum(balance) FROM treasure.wallets) AS coins,
         (SELECT count(*) FROM treasure.inventories) AS inventories,
         (SELECT sum(qty::numeric) FROM treasure.inventories) AS items,
         (SELECT count(*) FROM treasure.claims) AS claims, (SELECT count(*) FROM treasure.claim_events) AS events,
         (SELECT sum(claims) FROM treasure.player_stats) AS stats_claims,
         (SELECT count(*) FROM treasure.item_grants) AS grants;

-- Before the errors: some chests, one ordinary claim, one wallet at the bigint limit, one inventory at the int limit.
DO $$
BEGIN
  PERFORM treasure.put_chest(1, 100);
  PERFORM treasure.put_chest(2, 9223372036854775807);
  PERFORM treasure.put_chest(3, 9223372036854775807);
  PERFORM treasure.put_chest(4, 1, 'gem');
  PERFORM treasure.put_chest(5, 10, 'crown', 1, 'bronze_key');
  PERFORM treasure.put_chest(6, 10, NULL, 1, NULL, now() + interval '1 day');
  PERFORM claim_treasure(1, 1, '00000000-0000-0000-0000-000000000001');
  PERFORM claim_treasure(5, 2, '00000000-0000-0000-0000-000000000002');
  PERFORM treasure.grant_item(9, 'gem', 2147483647);
END
$$;
CREATE TEMP TABLE snap AS SELECT * FROM state;
CREATE TEMP TABLE snap_totals AS SELECT * FROM totals;

SELECT results_eq('SELECT player_id, balance FROM treasure.wallets ORDER BY player_id',
  $$VALUES (1::bigint, 100::bigint), (5, 9223372036854775807), (9, 0)$$, 'setup: wallets as expected');
SELECT results_eq('SELECT player_id, item, qty FROM treasure.inventories ORDER BY player_id, item',
  $$VALUES (9::bigint, 'gem'::text, 2147483647)$$, 'setup: an inventory at the integer limit');

-- claim_treasure: 22004 NULL argument (session_id may be NULL)
SELECT throws_ok('SELECT * FROM claim_treasure(NULL, 1, ''00000000-0000-0000-0000-000000000010''::uuid)', '22004', NULL, 'claim_treasure: NULL player_id');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'claim_treasure: NULL player_id: nothing written');
SELECT throws_ok('SELECT * FROM claim_treasure(1, NULL, ''00000000-0000-0000-0000-000000000010''::uuid)', '22004', NULL, 'claim_treasure: NULL chest_id');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'claim_treasure: NULL chest_id: nothing written');
SELECT throws_ok('SELECT * FROM claim_treasure(2, 1, NULL)', '22004', NULL, 'claim_treasure: NULL request_id');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'claim_treasure: NULL request_id: nothing written');
SELECT throws_ok('SELECT * FROM claim_treasure(NULL, NULL, NULL, NULL)', '22004', NULL, 'claim_treasure: every argument NULL');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'claim_treasure: every argument NULL: nothing written');
SELECT throws_ok('SELECT * FROM claim_treasure(NULL, 999, NULL)', '22004', NULL, 'claim_treasure: NULL checked before the chest exists');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'claim_treasure: NULL checked before the chest exists: nothing written');

-- claim_treasure: 22023 ids <= 0
SELECT throws_ok('SELECT * FROM claim_treasure(0, 1, ''00000000-0000-0000-0000-000000000010''::uuid)', '22023', NULL, 'claim_treasure: player_id 0');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'claim_treasure: player_id 0: nothing written');
SELECT throws_ok('SELECT * FROM claim_treasure(-1, 1, ''00000000-0000-0000-0000-000000000010''::uuid)', '22023', NULL, 'claim_treasure: negative player_id');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'claim_treasure: negative player_id: nothing written');
SELECT throws_ok('SELECT * FROM claim_treasure(2, 0, ''00000000-0000-0000-0000-000000000010''::uuid)', '22023', NULL, 'claim_treasure: chest_id 0');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'claim_treasure: chest_id 0: nothing written');
SELECT throws_ok('SELECT * FROM claim_treasure(2, -9223372036854775808, ''00000000-0000-0000-0000-000000000010''::uuid)', '22023', NULL, 'claim_treasure: minimum bigint chest_id');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'claim_treasure: minimum bigint chest_id: nothing written');

-- claim_treasure: P0002 unknown chest
SELECT throws_ok('SELECT * FROM claim_treasure(1, 999, ''00000000-0000-0000-0000-000000000010''::uuid)', 'P0002', NULL, 'claim_treasure: unknown chest (player with a wallet)');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'claim_treasure: unknown chest (player with a wallet): nothing written');
SELECT throws_ok('SELECT * FROM claim_treasure(77, 999, ''00000000-0000-0000-0000-000000000010''::uuid)', 'P0002', NULL, 'claim_treasure: unknown chest (player without a wallet)');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'claim_treasure: unknown chest (player without a wallet): nothing written');
SELECT throws_ok('SELECT * FROM claim_treasure(1, 999, ''00000000-0000-0000-0000-000000000001''::uuid)', 'P0002', NULL, 'claim_treasure: unknown chest with a used request_id');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'claim_treasure: unknown chest with a used request_id: nothing written');

-- claim_treasure: 23505 request_id already used for a different player or chest
SELECT throws_ok('SELECT * FROM claim_treasure(2, 1, ''00000000-0000-0000-0000-000000000001''::uuid)', '23505', NULL, 'claim_treasure: request_id reused by another player, same chest');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'claim_treasure: request_id reused by another player, same chest: nothing written');
SELECT throws_ok('SELECT * FROM claim_treasure(1, 4, ''00000000-0000-0000-0000-000000000001''::uuid)', '23505', NULL, 'claim_treasure: request_id reused by the same player, another chest');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'claim_treasure: request_id reused by the same player, another chest: nothing written');
SELECT throws_ok('SELECT * FROM claim_treasure(2, 4, ''00000000-0000-0000-0000-000000000001''::uuid)', '23505', NULL, 'claim_treasure: request_id reused by another player and chest');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'claim_treasure: request_id reused by another player and chest: nothing written');
SELECT throws_ok('SELECT * FROM claim_treasure(1, 5, ''00000000-0000-0000-0000-000000000001''::uuid)', '23505', NULL, 'claim_treasure: request_id reused on a key chest without the key');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'claim_treasure: request_id reused on a key chest without the key: nothing written');
SELECT throws_ok('SELECT * FROM claim_treasure(1, 6, ''00000000-0000-0000-0000-000000000001''::uuid)', '23505', NULL, 'claim_treasure: request_id reused on a closed chest');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'claim_treasure: request_id reused on a closed chest: nothing written');
SELECT throws_ok('SELECT * FROM claim_treasure(5, 1, ''00000000-0000-0000-0000-000000000001''::uuid, 3)', '23505', NULL, 'claim_treasure: request_id reused with a session_id');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'claim_treasure: request_id reused with a session_id: nothing written');

-- claim_treasure: 22003 overflow
SELECT throws_ok('SELECT * FROM claim_treasure(5, 3, ''00000000-0000-0000-0000-000000000011''::uuid)', '22003', NULL, 'claim_treasure: wallet balance overflow (two max-coin chests)');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'claim_treasure: wallet balance overflow (two max-coin chests): nothing written');
SELECT throws_ok('SELECT * FROM claim_treasure(9, 4, ''00000000-0000-0000-0000-000000000012''::uuid)', '22003', NULL, 'claim_treasure: inventory overflow (item awarded to a full stack)');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'claim_treasure: inventory overflow (item awarded to a full stack): nothing written');

-- put_chest: 22004 NULL argument
SELECT throws_ok('SELECT treasure.put_chest(NULL, 1)', '22004', NULL, 'put_chest: NULL chest_id');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'put_chest: NULL chest_id: nothing written');
SELECT throws_ok('SELECT treasure.put_chest(7, NULL)', '22004', NULL, 'put_chest: NULL coins');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'put_chest: NULL coins: nothing written');
SELECT throws_ok('SELECT treasure.put_chest(7, 1, ''gem'', NULL)', '22004', NULL, 'put_chest: NULL item_qty');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'put_chest: NULL item_qty: nothing written');
SELECT throws_ok('SELECT treasure.put_chest(1, NULL)', '22004', NULL, 'put_chest: NULL coins on an existing chest');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'put_chest: NULL coins on an existing chest: nothing written');

-- put_chest: 22023 invalid values
SELECT throws_ok('SELECT treasure.put_chest(0, 1)', '22023', NULL, 'put_chest: chest_id 0');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'put_chest: chest_id 0: nothing written');
SELECT throws_ok('SELECT treasure.put_chest(-1, 1)', '22023', NULL, 'put_chest: negative chest_id');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'put_chest: negative chest_id: nothing written');
SELECT throws_ok('SELECT treasure.put_chest(7, -1)', '22023', NULL, 'put_chest: negative coins');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'put_chest: negative coins: nothing written');
SELECT throws_ok('SELECT treasure.put_chest(1, -1)', '22023', NULL, 'put_chest: negative coins on an existing chest');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'put_chest: negative coins on an existing chest: nothing written');
SELECT throws_ok('SELECT treasure.put_chest(7, 1, ''gem'', 0)', '22023', NULL, 'put_chest: item_qty 0');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'put_chest: item_qty 0: nothing written');
SELECT throws_ok('SELECT treasure.put_chest(7, 1, ''gem'', -1)', '22023', NULL, 'put_chest: negative item_qty');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'put_chest: negative item_qty: nothing written');
SELECT throws_ok('SELECT treasure.put_chest(7, 1, '''')', '22023', NULL, 'put_chest: empty item');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'put_chest: empty item: nothing written');
SELECT throws_ok('SELECT treasure.put_chest(7, 1, ''   '')', '22023', NULL, 'put_chest: blank item');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'put_chest: blank item: nothing written');
SELECT throws_ok('SELECT treasure.put_chest(7, 1, NULL, 1, '''')', '22023', NULL, 'put_chest: empty key_item');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'put_chest: empty key_item: nothing written');
SELECT throws_ok('SELECT treasure.put_chest(7, 1, NULL, 1, ''  '')', '22023', NULL, 'put_chest: blank key_item');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'put_chest: blank key_item: nothing written');
SELECT throws_ok('SELECT treasure.put_chest(7, 1, NULL, 1, NULL, now(), now())', '22023', NULL, 'put_chest: closes_at = opens_at');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'put_chest: closes_at = opens_at: nothing written');
SELECT throws_ok('SELECT treasure.put_chest(7, 1, NULL, 1, NULL, now(), now() - interval ''1 second'')', '22023', NULL, 'put_chest: closes_at before opens_at');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'put_chest: closes_at before opens_at: nothing written');
SELECT throws_ok('SELECT treasure.put_chest(7, 1, ''gem'', 1, ''gem'')', '22023', NULL, 'put_chest: item = key_item');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'put_chest: item = key_item: nothing written');
SELECT throws_ok('SELECT treasure.put_chest(1, 1, ''gem'', 1, ''gem'')', '22023', NULL, 'put_chest: item = key_item on an existing chest');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'put_chest: item = key_item on an existing chest: nothing written');
-- Blank means any whitespace, not just spaces.
SELECT throws_ok($$SELECT treasure.put_chest(7, 1, E'\t')$$, '22023', NULL, 'put_chest: item of a tab');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'put_chest: item of a tab: nothing written');
SELECT throws_ok($$SELECT treasure.grant_item(2, E' \n ', 1)$$, '22023', NULL, 'grant_item: item of whitespace');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'grant_item: item of whitespace: nothing written');

-- put_chest: 22001 item name longer than 128 characters
SELECT throws_ok('SELECT treasure.put_chest(7, 1, repeat(''x'', 129))', '22001', NULL, 'put_chest: 129-character item');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'put_chest: 129-character item: nothing written');
SELECT throws_ok('SELECT treasure.put_chest(7, 1, NULL, 1, repeat(''x'', 129))', '22001', NULL, 'put_chest: 129-character key_item');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'put_chest: 129-character key_item: nothing written');
SELECT throws_ok('SELECT treasure.put_chest(7, 1, repeat(''é'', 129))', '22001', NULL, 'put_chest: 129 multibyte characters');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'put_chest: 129 multibyte characters: nothing written');

-- grant_item: 22004 NULL argument
SELECT throws_ok('SELECT treasure.grant_item(NULL, ''gem'', 1)', '22004', NULL, 'grant_item: NULL player_id');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'grant_item: NULL player_id: nothing written');
SELECT throws_ok('SELECT treasure.grant_item(2, NULL, 1)', '22004', NULL, 'grant_item: NULL item');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'grant_item: NULL item: nothing written');
SELECT throws_ok('SELECT treasure.grant_item(2, ''gem'', NULL)', '22004', NULL, 'grant_item: NULL qty');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'grant_item: NULL qty: nothing written');

-- grant_item: 22023 invalid values
SELECT throws_ok('SELECT treasure.grant_item(0, ''gem'', 1)', '22023', NULL, 'grant_item: player_id 0');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'grant_item: player_id 0: nothing written');
SELECT throws_ok('SELECT treasure.grant_item(-1, ''gem'', 1)', '22023', NULL, 'grant_item: negative player_id');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'grant_item: negative player_id: nothing written');
SELECT throws_ok('SELECT treasure.grant_item(2, ''gem'', 0)', '22023', NULL, 'grant_item: qty 0');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'grant_item: qty 0: nothing written');
SELECT throws_ok('SELECT treasure.grant_item(2, ''gem'', -1)', '22023', NULL, 'grant_item: negative qty');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'grant_item: negative qty: nothing written');
SELECT throws_ok('SELECT treasure.grant_item(9, ''gem'', -1)', '22023', NULL, 'grant_item: negative qty on an existing stack');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'grant_item: negative qty on an existing stack: nothing written');
SELECT throws_ok('SELECT treasure.grant_item(2, '''', 1)', '22023', NULL, 'grant_item: empty item');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'grant_item: empty item: nothing written');
SELECT throws_ok('SELECT treasure.grant_item(2, ''    '', 1)', '22023', NULL, 'grant_item: blank item');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'grant_item: blank item: nothing written');

-- grant_item: 22001 and 22003
SELECT throws_ok('SELECT treasure.grant_item(2, repeat(''x'', 129), 1)', '22001', NULL, 'grant_item: 129-character item');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'grant_item: 129-character item: nothing written');
SELECT throws_ok('SELECT treasure.grant_item(9, ''gem'', 1)', '22003', NULL, 'grant_item: inventory overflow past the integer limit');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'grant_item: inventory overflow past the integer limit: nothing written');
SELECT throws_ok('SELECT treasure.grant_item(9, ''gem'', 2147483647)', '22003', NULL, 'grant_item: inventory overflow by a full stack');
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'grant_item: inventory overflow by a full stack: nothing written');
SELECT results_eq('SELECT * FROM totals', 'SELECT * FROM snap_totals', 'after every error: counts and sums unchanged');

-- The limits themselves are accepted, and a request_id whose call failed is still free
SELECT lives_ok($$SELECT treasure.put_chest(7, 0, repeat('x', 128), 2147483647, repeat('y', 128), now(), now() + interval '1 microsecond')$$, 'put_chest: 128-character names, maximum item_qty, 1 microsecond window');
SELECT is(treasure.grant_item(2, repeat('z', 128), 2147483647), 2147483647, 'grant_item: 128-character item and maximum qty');
SELECT is((SELECT status FROM claim_treasure(1, 4, '00000000-0000-0000-0000-000000000010'::uuid)), 'claimed', 'a request_id used only by failed calls can still claim');
SELECT is((SELECT status FROM claim_treasure(6, 4, '00000000-0000-0000-0000-000000000011'::uuid)), 'claimed', 'the request_id of the overflowing claim is free too');

SELECT * FROM finish();
ROLLBACK;
