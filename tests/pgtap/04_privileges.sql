-- Privileges: after CREATE EXTENSION nothing is granted to PUBLIC; a role granted exactly the README's block
-- can claim and read, and nothing else.  The block, for the README:
--
--   GRANT USAGE ON SCHEMA treasure TO treasure_app;
--   GRANT EXECUTE ON FUNCTION claim_treasure(bigint, bigint, uuid, bigint) TO treasure_app;
--   GRANT SELECT ON treasure.wallets, treasure.inventories, treasure.claims, treasure.claim_events,
--                   treasure.player_stats TO treasure_app;
--
-- and since 1.3.0 (sql/CONTRACT-1.3.0.md: the companion, the loot explanation and the awards read surface;
-- every admin function and reverse_claim stay the owner's, the loot seed is readable by the owner alone):
--
--   GRANT EXECUTE ON FUNCTION treasure.claim_details(bigint, bigint, text),
--                             treasure.explain_claim(bigint, uuid) TO treasure_app;
--   GRANT SELECT ON treasure.claim_awards TO treasure_app;
--
-- The roles are created inside this transaction; the final ROLLBACK removes them again.
BEGIN;
SELECT plan(100);

\ir include/table_state.psql

-- Nothing for PUBLIC ---------------------------------------------------------------------------------------
SELECT is_empty($$
  SELECT p.oid::regprocedure::text FROM pg_catalog.pg_proc p
    JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
    JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid AND e.extname = 'treasure'
   WHERE pg_catalog.has_function_privilege('public', p.oid, 'EXECUTE')
$$, 'PUBLIC may execute no function of the extension');
SELECT is_empty($$
  SELECT c.oid::regclass::text FROM pg_catalog.pg_class c
   WHERE c.relnamespace = 'treasure'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm')
     AND CASE WHEN c.relkind IN ('r', 'p', 'v', 'm')
              THEN pg_catalog.has_table_privilege('public', c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER') END
$$, 'PUBLIC has no privilege on any table of schema treasure');
SELECT is_empty($$
  SELECT c.oid::regclass::text FROM pg_catalog.pg_class c
   WHERE c.relnamespace = 'treasure'::regnamespace AND c.relkind = 'S'
     AND CASE WHEN c.relkind = 'S' THEN pg_catalog.has_sequence_privilege('public', c.oid, 'USAGE, SELECT, UPDATE') END
$$, 'PUBLIC has no privilege on any sequence of schema treasure');
SELECT is_empty($$
  SELECT a.privilege_type FROM pg_catalog.pg_class c, aclexplode(c.relacl) a
   WHERE c.relnamespace = 'treasure'::regnamespace AND a.grantee = 0
$$, 'no ACL entry in schema treasure names PUBLIC');
SELECT ok(NOT pg_catalog.has_schema_privilege('public', 'treasure', 'USAGE, CREATE'), 'PUBLIC has neither USAGE nor CREATE on schema treasure');

CREATE ROLE treasure_nobody;
CREATE ROLE treasure_app;
GRANT USAGE ON SCHEMA treasure TO treasure_app;
GRANT EXECUTE ON FUNCTION claim_treasure(bigint, bigint, uuid, bigint) TO treasure_app;
GRANT SELECT ON treasure.wallets, treasure.inventories, treasure.claims, treasure.claim_events,
                treasure.player_stats TO treasure_app;
GRANT EXECUTE ON FUNCTION treasure.claim_details(bigint, bigint, text),
                          treasure.explain_claim(bigint, uuid) TO treasure_app;
GRANT SELECT ON treasure.claim_awards TO treasure_app;

DO $$
BEGIN
  PERFORM treasure.put_chest(1, 100);
  PERFORM treasure.put_chest(2, 10, 'crown', 1, 'bronze_key');
  PERFORM treasure.grant_item(3, 'bronze_key', 1);
END
$$;
CREATE TEMP TABLE snap AS SELECT * FROM state;

-- A role with no grant -----------------------------------------------------------------------------------
SET LOCAL ROLE treasure_nobody;
SELECT is(current_user::text, 'treasure_nobody', 'now acting as treasure_nobody');
SELECT throws_ok('SELECT * FROM claim_treasure(1, 1, ''00000000-0000-0000-0000-000000000001''::uuid)', '42501', NULL, 'nobody: cannot call claim_treasure');
SELECT throws_ok('SELECT treasure.put_chest(50, 1000000)', '42501', NULL, 'nobody: cannot call put_chest');
SELECT throws_ok('SELECT treasure.grant_item(42, ''bronze_key'', 1)', '42501', NULL, 'nobody: cannot call grant_item');
SELECT throws_ok('SELECT treasure.claim_details(1, 1, ''claimed'')', '42501', NULL, 'nobody: cannot call claim_details');
SELECT throws_ok('SELECT treasure.check_item_name(''item'', ''gem'')', '42501', NULL, 'nobody: cannot call check_item_name');
SELECT throws_ok('SELECT * FROM treasure.wallets', '42501', NULL, 'nobody: cannot read treasure.wallets');
SELECT throws_ok('SELECT * FROM treasure.inventories', '42501', NULL, 'nobody: cannot read treasure.inventories');
SELECT throws_ok('SELECT * FROM treasure.claims', '42501', NULL, 'nobody: cannot read treasure.claims');
SELECT throws_ok('SELECT * FROM treasure.claim_events', '42501', NULL, 'nobody: cannot read treasure.claim_events');
SELECT throws_ok('SELECT * FROM treasure.player_stats', '42501', NULL, 'nobody: cannot read treasure.player_stats');
SELECT throws_ok('SELECT * FROM treasure.chests', '42501', NULL, 'nobody: cannot read treasure.chests');
SELECT throws_ok('SELECT * FROM treasure.item_grants', '42501', NULL, 'nobody: cannot read treasure.item_grants');
SELECT throws_ok('INSERT INTO treasure.wallets (player_id, balance) VALUES (42, 1000000)', '42501', NULL, 'nobody: cannot insert into treasure.wallets');
SELECT throws_ok('INSERT INTO treasure.inventories (player_id, item, qty) VALUES (42, ''bronze_key'', 1)', '42501', NULL, 'nobody: cannot insert into treasure.inventories');
SELECT throws_ok('INSERT INTO treasure.claims (player_id, chest_id, request_id, coins_awarded, claimed_at) VALUES (42, 1, ''00000000-0000-0000-0000-00000000ffff'', 5, now())', '42501', NULL, 'nobody: cannot insert into treasure.claims');
SELECT throws_ok('INSERT INTO treasure.claim_events (player_id, claim_id, chest_id, coins_awarded, balance_after, occurred_at) VALUES (42, 1, 1, 5, 5, now())', '42501', NULL, 'nobody: cannot insert into treasure.claim_events');
SELECT throws_ok('INSERT INTO treasure.player_stats (player_id, claims, coins_awarded, last_claim_at) VALUES (42, 1, 5, now())', '42501', NULL, 'nobody: cannot insert into treasure.player_stats');
SELECT throws_ok('INSERT INTO treasure.chests (chest_id, coins) VALUES (42, 1000000)', '42501', NULL, 'nobody: cannot insert into treasure.chests');
SELECT throws_ok('INSERT INTO treasure.item_grants (player_id, item, qty) VALUES (42, ''bronze_key'', 1)', '42501', NULL, 'nobody: cannot insert into treasure.item_grants');
SELECT throws_ok('SELECT nextval(''treasure.claim_id_seq'')', '42501', NULL, 'nobody: cannot use the claim_id sequence');
RESET ROLE;
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'nobody wrote nothing');

-- The application role ------------------------------------------------------------------------------------
SET LOCAL ROLE treasure_app;
SELECT is(current_user::text, 'treasure_app', 'now acting as treasure_app');
SELECT results_eq($$SELECT status, replayed, coins_awarded, balance FROM claim_treasure(1, 1, '00000000-0000-0000-0000-000000000001'::uuid)$$,
  $$VALUES ('claimed'::text, false, 100::bigint, 100::bigint)$$, 'app: claims a chest');
SELECT results_eq($$SELECT status, replayed, coins_awarded, balance FROM claim_treasure(1, 1, '00000000-0000-0000-0000-000000000001'::uuid)$$,
  $$VALUES ('claimed'::text, true, 100::bigint, 100::bigint)$$, 'app: replays the claim');
SELECT results_eq($$SELECT status, coins_awarded, balance FROM claim_treasure(1, 1, '00000000-0000-0000-0000-000000000002'::uuid)$$,
  $$VALUES ('already_claimed'::text, 0::bigint, 100::bigint)$$, 'app: gets already_claimed');
SELECT results_eq($$SELECT status, item_awarded, key_used, balance FROM claim_treasure(3, 2, '00000000-0000-0000-0000-000000000003'::uuid, 5)$$,
  $$VALUES ('claimed'::text, 'crown'::text, 'bronze_key'::text, 10::bigint)$$, 'app: claims a key chest (the key is read and consumed as the owner)');
SELECT is((SELECT status FROM claim_treasure(1, 2, '00000000-0000-0000-0000-000000000004'::uuid)), 'key_required', 'app: gets key_required');
SELECT throws_ok('SELECT * FROM claim_treasure(1, 999, ''00000000-0000-0000-0000-000000000005''::uuid)', 'P0002', NULL, 'app: gets the ordinary errors (P0002)');
SELECT results_eq('SELECT player_id, balance FROM treasure.wallets ORDER BY player_id', $$VALUES (1::bigint, 100::bigint), (3, 10)$$, 'app: reads treasure.wallets');
SELECT results_eq('SELECT player_id, item, qty FROM treasure.inventories ORDER BY player_id, item', $$VALUES (3::bigint, 'bronze_key'::text, 0), (3, 'crown', 1)$$, 'app: reads treasure.inventories');
SELECT results_eq('SELECT player_id, chest_id, session_id FROM treasure.claims ORDER BY player_id', $$VALUES (1::bigint, 1::bigint, NULL::bigint), (3, 2, 5)$$, 'app: reads treasure.claims');
SELECT results_eq('SELECT player_id, chest_id, coins_awarded FROM treasure.claim_events ORDER BY player_id', $$VALUES (1::bigint, 1::bigint, 100::bigint), (3, 2, 10)$$, 'app: reads treasure.claim_events');
SELECT results_eq('SELECT player_id, claims, coins_awarded FROM treasure.player_stats ORDER BY player_id', $$VALUES (1::bigint, 1::bigint, 100::bigint), (3, 1, 10)$$, 'app: reads treasure.player_stats');
RESET ROLE;
TRUNCATE snap; INSERT INTO snap SELECT * FROM state;
SET LOCAL ROLE treasure_app;
SELECT throws_ok('INSERT INTO treasure.wallets (player_id, balance) VALUES (42, 1000000)', '42501', NULL, 'app: cannot insert into treasure.wallets');
SELECT throws_ok('UPDATE treasure.wallets SET balance = balance + 1000000', '42501', NULL, 'app: cannot update treasure.wallets');
SELECT throws_ok('DELETE FROM treasure.wallets', '42501', NULL, 'app: cannot delete from treasure.wallets');
SELECT throws_ok('TRUNCATE treasure.wallets', '42501', NULL, 'app: cannot truncate treasure.wallets');
SELECT throws_ok('SELECT * FROM treasure.wallets FOR UPDATE', '42501', NULL, 'app: cannot lock rows of treasure.wallets');
SELECT throws_ok('INSERT INTO treasure.inventories (player_id, item, qty) VALUES (42, ''bronze_key'', 1)', '42501', NULL, 'app: cannot insert into treasure.inventories');
SELECT throws_ok('UPDATE treasure.inventories SET qty = qty + 1', '42501', NULL, 'app: cannot update treasure.inventories');
SELECT throws_ok('DELETE FROM treasure.inventories', '42501', NULL, 'app: cannot delete from treasure.inventories');
SELECT throws_ok('TRUNCATE treasure.inventories', '42501', NULL, 'app: cannot truncate treasure.inventories');
SELECT throws_ok('SELECT * FROM treasure.inventories FOR UPDATE', '42501', NULL, 'app: cannot lock rows of treasure.inventories');
SELECT throws_ok('INSERT INTO treasure.claims (player_id, chest_id, request_id, coins_awarded, claimed_at) VALUES (42, 1, ''00000000-0000-0000-0000-00000000ffff'', 5, now())', '42501', NULL, 'app: cannot insert into treasure.claims');
SELECT throws_ok('UPDATE treasure.claims SET coins_awarded = 0', '42501', NULL, 'app: cannot update treasure.claims');
SELECT throws_ok('DELETE FROM treasure.claims', '42501', NULL, 'app: cannot delete from treasure.claims');
SELECT throws_ok('TRUNCATE treasure.claims', '42501', NULL, 'app: cannot truncate treasure.claims');
SELECT throws_ok('SELECT * FROM treasure.claims FOR UPDATE', '42501', NULL, 'app: cannot lock rows of treasure.claims');
SELECT throws_ok('INSERT INTO treasure.claim_events (player_id, claim_id, chest_id, coins_awarded, balance_after, occurred_at) VALUES (42, 1, 1, 5, 5, now())', '42501', NULL, 'app: cannot insert into treasure.claim_events');
SELECT throws_ok('UPDATE treasure.claim_events SET coins_awarded = 0', '42501', NULL, 'app: cannot update treasure.claim_events');
SELECT throws_ok('DELETE FROM treasure.claim_events', '42501', NULL, 'app: cannot delete from treasure.claim_events');
SELECT throws_ok('TRUNCATE treasure.claim_events', '42501', NULL, 'app: cannot truncate treasure.claim_events');
SELECT throws_ok('SELECT * FROM treasure.claim_events FOR UPDATE', '42501', NULL, 'app: cannot lock rows of treasure.claim_events');
SELECT throws_ok('INSERT INTO treasure.player_stats (player_id, claims, coins_awarded, last_claim_at) VALUES (42, 1, 5, now())', '42501', NULL, 'app: cannot insert into treasure.player_stats');
SELECT throws_ok('UPDATE treasure.player_stats SET claims = 0', '42501', NULL, 'app: cannot update treasure.player_stats');
SELECT throws_ok('DELETE FROM treasure.player_stats', '42501', NULL, 'app: cannot delete from treasure.player_stats');
SELECT throws_ok('TRUNCATE treasure.player_stats', '42809', NULL, 'app: cannot truncate treasure.player_stats (a view)');
SELECT throws_ok('SELECT * FROM treasure.player_stats FOR UPDATE', '42501', NULL, 'app: cannot lock rows of treasure.player_stats');
SELECT throws_ok('SELECT * FROM treasure.chests', '42501', NULL, 'app: cannot read treasure.chests');
SELECT throws_ok('INSERT INTO treasure.chests (chest_id, coins) VALUES (42, 1000000)', '42501', NULL, 'app: cannot insert into treasure.chests');
SELECT throws_ok('UPDATE treasure.chests SET coins = 1000000', '42501', NULL, 'app: cannot update treasure.chests');
SELECT throws_ok('SELECT * FROM treasure.item_grants', '42501', NULL, 'app: cannot read treasure.item_grants');
SELECT throws_ok('INSERT INTO treasure.item_grants (player_id, item, qty) VALUES (42, ''bronze_key'', 1)', '42501', NULL, 'app: cannot insert into treasure.item_grants');
SELECT throws_ok('UPDATE treasure.item_grants SET qty = 1', '42501', NULL, 'app: cannot update treasure.item_grants');
SELECT throws_ok('SELECT treasure.put_chest(50, 1000000)', '42501', NULL, 'app: cannot call put_chest');
SELECT throws_ok('SELECT treasure.grant_item(42, ''bronze_key'', 1)', '42501', NULL, 'app: cannot call grant_item');
SELECT throws_ok('SELECT treasure.check_item_name(''item'', ''gem'')', '42501', NULL, 'app: cannot call check_item_name');
SELECT throws_ok('SELECT nextval(''treasure.claim_id_seq'')', '42501', NULL, 'app: cannot advance the claim_id sequence');
SELECT throws_ok('SELECT setval(''treasure.event_id_seq'', 1)', '42501', NULL, 'app: cannot set the event_id sequence');
SELECT throws_ok('CREATE TABLE treasure.mine (x int)', '42501', NULL, 'app: cannot create objects in schema treasure');
RESET ROLE;
SELECT set_eq('SELECT * FROM state', 'SELECT * FROM snap', 'the app''s refused writes wrote nothing');
SELECT ok(NOT pg_catalog.has_function_privilege('treasure_app', 'treasure.put_chest(bigint, bigint, text, integer, text, timestamptz, timestamptz)', 'EXECUTE') AND NOT pg_catalog.has_function_privilege('treasure_app', 'treasure.grant_item(bigint, text, integer)', 'EXECUTE'), 'the catalog agrees: the app may not execute the admin functions');

-- 1.3.0 objects ---------------------------------------------------------------------------------------------
-- Chest 9: a bundle (crown + 2 gems) with a loot table, limited to 5 winners; the app claims it with the
-- companion in the same statement, and reads the awards and the loot explanation.
DO $$
BEGIN
  PERFORM treasure.put_chest(9, 5, 'crown');
  PERFORM treasure.put_chest_item(9, 'gem', 2);
  PERFORM treasure.put_loot(9, 2, '[{"item": "ruby", "qty": 1, "coins": 3, "weight": 1},
                                     {"item": null, "coins": 7, "weight": 1}]', 'privileges seed');
  PERFORM treasure.set_stock(9, 5);
END
$$;
SET LOCAL ROLE treasure_app;
CREATE TEMP TABLE app_claim AS
  SELECT c.*, treasure.claim_details(1, c.claim_id, c.status) AS details
    FROM claim_treasure(1, 9, '00000000-0000-0000-0000-000000000009'::uuid) c;
SELECT is((SELECT status FROM app_claim), 'claimed', 'app: claims a bundle/loot/limited chest');
SELECT is((SELECT details->'awards' FROM app_claim),
          (SELECT jsonb_agg(jsonb_build_object('item', item, 'qty', qty, 'source', source) ORDER BY source, item)
             FROM treasure.claim_awards WHERE player_id = 1),
          'app: calls claim_details() in the claim''s statement and reads treasure.claim_awards: the same awards');
-- 1.4.0's C claim_details() runs as the owner too: the retry comes from claim_rules, which the app cannot read.
RESET ROLE;
DO $$
BEGIN
  PERFORM treasure.set_claim_limit(1, '1 hour');
  PERFORM treasure.put_chest(10, 1);
  PERFORM treasure.put_chest(11, 1);
END
$$;
SET LOCAL ROLE treasure_app;
SELECT is((SELECT c.status || ' ' || (treasure.claim_details(4, c.claim_id, c.status) IS NOT NULL)::text
             FROM claim_treasure(4, 10, '00000000-0000-0000-0000-000000000010'::uuid) c), 'claimed true',
          'app: claims under a claim limit, with its details');
SELECT ok((SELECT (treasure.claim_details(4, c.claim_id, c.status)->>'retry_after_ms')::bigint BETWEEN 1 AND 3600000
             FROM claim_treasure(4, 11, '00000000-0000-0000-0000-000000000011'::uuid) c WHERE c.status = 'rate_limited'),
          'app: a rate_limited claim''s details give retry_after_ms, read from claim_rules the app cannot read');
RESET ROLE;
DO $$ BEGIN PERFORM treasure.set_claim_limit(NULL, NULL); END $$;
SET LOCAL ROLE treasure_app;
SELECT is((SELECT count(*)::int FROM treasure.explain_claim(1, '00000000-0000-0000-0000-000000000009'::uuid) WHERE roll IS NOT NULL),
          2, 'app: calls explain_claim(): one row per roll');
SELECT throws_ok('SELECT treasure.put_chest_item(9, ''gem'', 99)', '42501', NULL, 'app: cannot call put_chest_item');
SELECT throws_ok('SELECT treasure.put_loot(9, 1, ''[{"item": "ruby", "qty": 1, "coins": 0, "weight": 1}]'', ''known seed'')', '42501', NULL, 'app: cannot call put_loot');
SELECT throws_ok('SELECT treasure.set_stock(9, NULL)', '42501', NULL, 'app: cannot call set_stock');
SELECT throws_ok('SELECT * FROM treasure.chest_stock(9)', '42501', NULL, 'app: cannot call chest_stock');
SELECT throws_ok('SELECT treasure.set_claim_limit(1000, ''1 second'')', '42501', NULL, 'app: cannot call set_claim_limit');
SELECT throws_ok('SELECT treasure.set_wallet_cap(NULL)', '42501', NULL, 'app: cannot call set_wallet_cap');
SELECT throws_ok('SELECT treasure.set_item_cap(''gem'', NULL)', '42501', NULL, 'app: cannot call set_item_cap');
SELECT throws_ok('SELECT * FROM treasure.reverse_claim(1, ''00000000-0000-0000-0000-000000000009''::uuid, ''app'')', '42501', NULL, 'app: cannot call reverse_claim (a support tool, the owner''s)');
SELECT throws_ok('INSERT INTO treasure.claim_awards (player_id, claim_id, item, qty, source) VALUES (1, 1, ''gem'', 99, ''loot'')', '42501', NULL, 'app: cannot insert into treasure.claim_awards');
SELECT throws_ok('UPDATE treasure.claim_awards SET qty = 99', '42501', NULL, 'app: cannot update treasure.claim_awards');
SELECT throws_ok('DELETE FROM treasure.claim_awards', '42501', NULL, 'app: cannot delete from treasure.claim_awards');
SELECT throws_ok('SELECT * FROM treasure.chest_items', '42501', NULL, 'app: cannot read treasure.chest_items');
SELECT throws_ok('SELECT * FROM treasure.loot_tables', '42501', NULL, 'app: cannot read treasure.loot_tables');
RESET ROLE;
SELECT is_empty($$
  SELECT c.oid::regclass::text || ' ' || r.rolname FROM pg_catalog.pg_class c
    JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    CROSS JOIN pg_catalog.pg_roles r
   WHERE c.relnamespace = 'treasure'::regnamespace AND a.attname LIKE '%seed%' AND r.oid <> c.relowner
     AND NOT r.rolsuper AND r.oid >= 16384  -- predefined roles (pg_read_all_data) are the superuser's to grant
     AND (pg_catalog.has_table_privilege(r.oid, c.oid, 'SELECT')
                             OR pg_catalog.has_column_privilege(r.oid, c.oid, a.attnum, 'SELECT'))
$$, 'no role but the owner (and superusers, and the predefined pg_read_all_data) can read a loot seed');
SELECT ok(EXISTS (SELECT FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
                   WHERE c.relnamespace = 'treasure'::regnamespace AND a.attname LIKE '%seed%' AND a.attnum > 0),
          'the seed check above found the seed column (it lives in schema treasure)');
SELECT is_empty($$
  SELECT p.oid::regprocedure::text FROM pg_catalog.pg_proc p
    JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
    JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid AND e.extname = 'treasure'
   WHERE pg_catalog.has_function_privilege('treasure_app', p.oid, 'EXECUTE')
  EXCEPT VALUES ('claim_treasure(bigint,bigint,uuid,bigint)'), ('treasure.claim_details(bigint,bigint,text)'),
                ('treasure.explain_claim(bigint,uuid)')
$$, 'the app may execute claim_treasure, claim_details and explain_claim, and no other function of the extension');
SELECT is_empty($$
  SELECT c.oid::regclass::text FROM pg_catalog.pg_class c
   WHERE c.relnamespace = 'treasure'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm')
     AND pg_catalog.has_table_privilege('treasure_app', c.oid, 'SELECT')
  EXCEPT VALUES ('treasure.wallets'), ('treasure.inventories'), ('treasure.claims'), ('treasure.claim_events'),
                ('treasure.player_stats'), ('treasure.claim_awards')
$$, 'the app may read the read surface (with claim_awards) and nothing else');

SELECT * FROM finish();
ROLLBACK;
