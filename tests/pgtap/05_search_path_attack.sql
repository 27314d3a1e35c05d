-- A caller's search_path cannot redirect anything claim_treasure(), put_chest() or grant_item() use.
-- treasure_evil, a role with CREATE on schema evil and the app's grants, plants objects that would hijack every
-- unqualified name and operator the functions could use: now(), nextval(), btrim(), char_length(), the =, <, <=,
-- >, + and - operators of bigint, integer, text, uuid and timestamptz, and tables named like the extension's (in
-- evil and in pg_temp).  Every planted function records its call in evil.tripwire.  Then the functions are
-- called with search_path = evil, pg_catalog and evil, public, pg_catalog, and must behave exactly as usual.
-- The 1.3.0 functions (sql/CONTRACT-1.3.0.md) get the same treatment at the end, with more planted objects
-- (jsonb, hashing, randomness, interval arithmetic, look-alike award and loot tables).
BEGIN;
SELECT plan(41);

DO $$
BEGIN
  PERFORM treasure.put_chest(1, 100, NULL, 1, NULL, now() - interval '1 hour', now() + interval '1 hour');
  PERFORM treasure.put_chest(2, 50);
  PERFORM treasure.put_chest(3, 10, 'crown', 1, 'bronze_key');
  PERFORM treasure.put_chest(4, 7, NULL, 1, NULL, now() + interval '1 hour');
  PERFORM treasure.grant_item(3, 'bronze_key', 1);
END
$$;

CREATE ROLE treasure_evil;
GRANT USAGE ON SCHEMA treasure TO treasure_evil;
GRANT EXECUTE ON FUNCTION claim_treasure(bigint, bigint, uuid, bigint) TO treasure_evil;
CREATE SCHEMA evil;
GRANT USAGE, CREATE ON SCHEMA evil TO treasure_evil;

-- What the calls return, and the SQLSTATEs of the calls that fail.
CREATE TEMP TABLE got (step text PRIMARY KEY, status text, replayed boolean, claim_id bigint, coins_awarded bigint,
                       item_awarded text, item_qty integer, key_used text, balance bigint, claimed_at timestamptz);
CREATE TEMP TABLE errs (step text PRIMARY KEY, sqlstate text);
CREATE TEMP TABLE grants_got (step text PRIMARY KEY, qty integer);
GRANT INSERT ON got, errs TO treasure_evil;

SET LOCAL ROLE treasure_evil;

CREATE TABLE evil.tripwire (called text NOT NULL);
GRANT INSERT ON evil.tripwire TO PUBLIC;

CREATE FUNCTION evil.now() RETURNS timestamptz LANGUAGE plpgsql VOLATILE
  AS $f$ BEGIN INSERT INTO evil.tripwire VALUES ('now()'); RETURN '2000-01-01 00:00:00+00'; END $f$;
CREATE FUNCTION evil.nextval(regclass) RETURNS bigint LANGUAGE plpgsql VOLATILE
  AS $f$ BEGIN INSERT INTO evil.tripwire VALUES ('nextval()'); RETURN 1; END $f$;
CREATE FUNCTION evil.btrim(text) RETURNS text LANGUAGE plpgsql VOLATILE
  AS $f$ BEGIN INSERT INTO evil.tripwire VALUES ('btrim()'); RETURN 'x'; END $f$;
CREATE FUNCTION evil.char_length(text) RETURNS integer LANGUAGE plpgsql VOLATILE
  AS $f$ BEGIN INSERT INTO evil.tripwire VALUES ('char_length()'); RETURN 1; END $f$;
CREATE FUNCTION evil.uuid_eq(uuid, uuid) RETURNS boolean LANGUAGE plpgsql VOLATILE
  AS $f$ BEGIN INSERT INTO evil.tripwire VALUES ('uuid ='); RETURN true; END $f$;
CREATE OPERATOR evil.= (LEFTARG = uuid, RIGHTARG = uuid, FUNCTION = evil.uuid_eq);
CREATE FUNCTION evil.int8_eq(bigint, bigint) RETURNS boolean LANGUAGE plpgsql VOLATILE
  AS $f$ BEGIN INSERT INTO evil.tripwire VALUES ('bigint ='); RETURN true; END $f$;
CREATE OPERATOR evil.= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = evil.int8_eq);
CREATE FUNCTION evil.int8_le(bigint, bigint) RETURNS boolean LANGUAGE plpgsql VOLATILE
  AS $f$ BEGIN INSERT INTO evil.tripwire VALUES ('bigint <='); RETURN false; END $f$;
CREATE OPERATOR evil.<= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = evil.int8_le);
CREATE FUNCTION evil.int8_lt(bigint, bigint) RETURNS boolean LANGUAGE plpgsql VOLATILE
  AS $f$ BEGIN INSERT INTO evil.tripwire VALUES ('bigint <'); RETURN false; END $f$;
CREATE OPERATOR evil.< (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = evil.int8_lt);
CREATE FUNCTION evil.int8_pl(bigint, bigint) RETURNS bigint LANGUAGE plpgsql VOLATILE
  AS $f$ BEGIN INSERT INTO evil.tripwire VALUES ('bigint +'); RETURN 1000000; END $f$;
CREATE OPERATOR evil.+ (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = evil.int8_pl);
CREATE FUNCTION evil.int4_pl(integer, integer) RETURNS integer LANGUAGE plpgsql VOLATILE
  AS $f$ BEGIN INSERT INTO evil.tripwire VALUES ('integer +'); RETURN 1000; END $f$;
CREATE OPERATOR evil.+ (LEFTARG = integer, RIGHTARG = integer, FUNCTION = evil.int4_pl);
CREATE FUNCTION evil.int4_mi(integer, integer) RETURNS integer LANGUAGE plpgsql VOLATILE
  AS $f$ BEGIN INSERT INTO evil.tripwire VALUES ('integer -'); RETURN $1; END $f$;
CREATE OPERATOR evil.- (LEFTARG = integer, RIGHTARG = integer, FUNCTION = evil.int4_mi);
CREATE FUNCTION evil.int4_gt(integer, integer) RETURNS boolean LANGUAGE plpgsql VOLATILE
  AS $f$ BEGIN INSERT INTO evil.tripwire VALUES ('integer >'); RETURN true; END $f$;
CREATE OPERATOR evil.> (LEFTARG = integer, RIGHTARG = integer, FUNCTION = evil.int4_gt);
CREATE FUNCTION evil.int4_le(integer, integer) RETURNS boolean LANGUAGE plpgsql VOLATILE
  AS $f$ BEGIN INSERT INTO evil.tripwire VALUES ('integer <='); RETURN false; END $f$;
CREATE OPERATOR evil.<= (LEFTARG = integer, RIGHTARG = integer, FUNCTION = evil.int4_le);
CREATE FUNCTION evil.text_eq(text, text) RETURNS boolean LANGUAGE plpgsql VOLATILE
  AS $f$ BEGIN INSERT INTO evil.tripwire VALUES ('text ='); RETURN true; END $f$;
CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.text_eq);
CREATE FUNCTION evil.text_ne(text, text) RETURNS boolean LANGUAGE plpgsql VOLATILE
  AS $f$ BEGIN INSERT INTO evil.tripwire VALUES ('text <>'); RETURN false; END $f$;
CREATE OPERATOR evil.<> (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.text_ne);
CREATE FUNCTION evil.int4_gt_int8(integer, bigint) RETURNS boolean LANGUAGE plpgsql VOLATILE
  AS $f$ BEGIN INSERT INTO evil.tripwire VALUES ('integer > bigint'); RETURN true; END $f$;
CREATE OPERATOR evil.> (LEFTARG = integer, RIGHTARG = bigint, FUNCTION = evil.int4_gt_int8);
CREATE FUNCTION evil.tstz_le(timestamptz, timestamptz) RETURNS boolean LANGUAGE plpgsql VOLATILE
  AS $f$ BEGIN INSERT INTO evil.tripwire VALUES ('timestamptz <='); RETURN true; END $f$;
CREATE OPERATOR evil.<= (LEFTARG = timestamptz, RIGHTARG = timestamptz, FUNCTION = evil.tstz_le);
CREATE FUNCTION evil.tstz_lt(timestamptz, timestamptz) RETURNS boolean LANGUAGE plpgsql VOLATILE
  AS $f$ BEGIN INSERT INTO evil.tripwire VALUES ('timestamptz <'); RETURN true; END $f$;
CREATE OPERATOR evil.< (LEFTARG = timestamptz, RIGHTARG = timestamptz, FUNCTION = evil.tstz_lt);

-- Look-alike tables, seeded with what would help: a chest that does not exist, keys, a fat wallet.
CREATE TABLE evil.chests (chest_id bigint, coins bigint, item text, item_qty integer, key_item text,
                          opens_at timestamptz, closes_at timestamptz);
CREATE TABLE evil.wallets (player_id bigint, balance bigint);
CREATE TABLE evil.inventories (player_id bigint, item text, qty integer);
CREATE TABLE evil.claims (player_id bigint, chest_id bigint, claim_id bigint, request_id uuid, session_id bigint,
                          coins_awarded bigint, item_awarded text, item_qty integer, key_used text,
                          claimed_at timestamptz);
CREATE TABLE evil.claim_events (player_id bigint, claim_id bigint, event_id bigint, chest_id bigint,
                                coins_awarded bigint, balance_after bigint, occurred_at timestamptz);
CREATE TABLE evil.player_stats (player_id bigint, claims bigint, coins_awarded bigint, last_claim_at timestamptz);
CREATE TABLE evil.item_grants (player_id bigint, grant_id bigint, item text, qty integer, granted_at timestamptz);
INSERT INTO evil.chests VALUES (999, 1000000, 'crown', 1, NULL, NULL, NULL), (4, 1000000, NULL, 1, NULL, NULL, NULL);
INSERT INTO evil.wallets VALUES (1, 1000000);
INSERT INTO evil.inventories VALUES (1, 'bronze_key', 5);
-- The same in the session's temporary schema, which the functions' pinned search_path lists last.
CREATE TEMP TABLE chests (LIKE evil.chests);
CREATE TEMP TABLE wallets (LIKE evil.wallets);
CREATE TEMP TABLE inventories (LIKE evil.inventories);
CREATE TEMP TABLE claims (LIKE evil.claims);
INSERT INTO pg_temp.chests SELECT * FROM evil.chests;
INSERT INTO pg_temp.wallets SELECT * FROM evil.wallets;
INSERT INTO pg_temp.inventories SELECT * FROM evil.inventories;

-- The attacker claims with search_path = evil, pg_catalog ------------------------------------------------
SET LOCAL search_path = evil, pg_catalog;
INSERT INTO pg_temp.got SELECT 'a1', * FROM public.claim_treasure(1, 1, '00000000-0000-0000-0000-000000000001'::uuid);
INSERT INTO pg_temp.got SELECT 'a2', * FROM public.claim_treasure(1, 2, '00000000-0000-0000-0000-000000000002'::uuid);
INSERT INTO pg_temp.got SELECT 'a3', * FROM public.claim_treasure(1, 1, '00000000-0000-0000-0000-000000000001'::uuid);
INSERT INTO pg_temp.got SELECT 'a4', * FROM public.claim_treasure(1, 1, '00000000-0000-0000-0000-000000000003'::uuid);
INSERT INTO pg_temp.got SELECT 'a5', * FROM public.claim_treasure(1, 3, '00000000-0000-0000-0000-000000000004'::uuid);
INSERT INTO pg_temp.got SELECT 'a6', * FROM public.claim_treasure(1, 4, '00000000-0000-0000-0000-000000000005'::uuid);
INSERT INTO pg_temp.got SELECT 'a7', * FROM public.claim_treasure(3, 3, '00000000-0000-0000-0000-000000000006'::uuid);
DO $do$ BEGIN PERFORM public.claim_treasure(1, 999, '00000000-0000-0000-0000-000000000007'::uuid); INSERT INTO pg_temp.errs VALUES ('e1', 'no error'); EXCEPTION WHEN OTHERS THEN INSERT INTO pg_temp.errs VALUES ('e1', SQLSTATE); END $do$;
DO $do$ BEGIN PERFORM public.claim_treasure(2, 2, '00000000-0000-0000-0000-000000000001'::uuid); INSERT INTO pg_temp.errs VALUES ('e2', 'no error'); EXCEPTION WHEN OTHERS THEN INSERT INTO pg_temp.errs VALUES ('e2', SQLSTATE); END $do$;
DO $do$ BEGIN PERFORM public.claim_treasure(0, 1, '00000000-0000-0000-0000-000000000008'::uuid); INSERT INTO pg_temp.errs VALUES ('e3', 'no error'); EXCEPTION WHEN OTHERS THEN INSERT INTO pg_temp.errs VALUES ('e3', SQLSTATE); END $do$;

-- ... and with search_path = evil, public, pg_catalog, calling claim_treasure unqualified
SET LOCAL search_path = evil, public, pg_catalog;
INSERT INTO pg_temp.got SELECT 'b1', * FROM claim_treasure(2, 2, '00000000-0000-0000-0000-000000000009'::uuid);
INSERT INTO pg_temp.got SELECT 'b2', * FROM claim_treasure(2, 2, '00000000-0000-0000-0000-000000000009'::uuid);
INSERT INTO pg_temp.got SELECT 'b3', * FROM claim_treasure(2, 1, '00000000-0000-0000-0000-000000000010'::uuid);
DO $do$ BEGIN PERFORM claim_treasure(2, 999, '00000000-0000-0000-0000-000000000011'::uuid); INSERT INTO pg_temp.errs VALUES ('e4', 'no error'); EXCEPTION WHEN OTHERS THEN INSERT INTO pg_temp.errs VALUES ('e4', SQLSTATE); END $do$;
RESET ROLE;

-- The owner runs the admin functions with the same search_paths
SET LOCAL search_path = evil, pg_catalog;
DO $do$ BEGIN PERFORM treasure.put_chest(5, 20, 'gem', 2, 'silver_key', pg_catalog.now() - interval '1 hour', pg_catalog.now() + interval '1 hour'); END $do$;
INSERT INTO pg_temp.grants_got VALUES ('c2', treasure.grant_item(4, 'silver_key', 1));
INSERT INTO pg_temp.grants_got VALUES ('c3', treasure.grant_item(4, 'silver_key', 2));
INSERT INTO pg_temp.got SELECT 'c4', * FROM public.claim_treasure(4, 5, '00000000-0000-0000-0000-000000000012'::uuid);
DO $do$ BEGIN PERFORM treasure.put_chest(6, 1, '   '); INSERT INTO pg_temp.errs VALUES ('p1', 'no error'); EXCEPTION WHEN OTHERS THEN INSERT INTO pg_temp.errs VALUES ('p1', SQLSTATE); END $do$;
DO $do$ BEGIN PERFORM treasure.put_chest(6, 1, pg_catalog.repeat('x', 129)); INSERT INTO pg_temp.errs VALUES ('p2', 'no error'); EXCEPTION WHEN OTHERS THEN INSERT INTO pg_temp.errs VALUES ('p2', SQLSTATE); END $do$;
DO $do$ BEGIN PERFORM treasure.put_chest(-1, 1); INSERT INTO pg_temp.errs VALUES ('p3', 'no error'); EXCEPTION WHEN OTHERS THEN INSERT INTO pg_temp.errs VALUES ('p3', SQLSTATE); END $do$;
DO $do$ BEGIN PERFORM treasure.put_chest(6, -5); INSERT INTO pg_temp.errs VALUES ('p4', 'no error'); EXCEPTION WHEN OTHERS THEN INSERT INTO pg_temp.errs VALUES ('p4', SQLSTATE); END $do$;
DO $do$ BEGIN PERFORM treasure.put_chest(6, 1, 'a', 1, 'a'); INSERT INTO pg_temp.errs VALUES ('p5', 'no error'); EXCEPTION WHEN OTHERS THEN INSERT INTO pg_temp.errs VALUES ('p5', SQLSTATE); END $do$;
DO $do$ BEGIN PERFORM treasure.put_chest(6, 1, NULL, 1, NULL, pg_catalog.now(), pg_catalog.now()); INSERT INTO pg_temp.errs VALUES ('p6', 'no error'); EXCEPTION WHEN OTHERS THEN INSERT INTO pg_temp.errs VALUES ('p6', SQLSTATE); END $do$;
DO $do$ BEGIN PERFORM treasure.put_chest(6, 1, 'a', 0); INSERT INTO pg_temp.errs VALUES ('p7', 'no error'); EXCEPTION WHEN OTHERS THEN INSERT INTO pg_temp.errs VALUES ('p7', SQLSTATE); END $do$;
DO $do$ BEGIN PERFORM treasure.grant_item(4, '  ', 1); INSERT INTO pg_temp.errs VALUES ('g1', 'no error'); EXCEPTION WHEN OTHERS THEN INSERT INTO pg_temp.errs VALUES ('g1', SQLSTATE); END $do$;
DO $do$ BEGIN PERFORM treasure.grant_item(0, 'x', 1); INSERT INTO pg_temp.errs VALUES ('g2', 'no error'); EXCEPTION WHEN OTHERS THEN INSERT INTO pg_temp.errs VALUES ('g2', SQLSTATE); END $do$;
DO $do$ BEGIN PERFORM treasure.grant_item(4, 'x', 0); INSERT INTO pg_temp.errs VALUES ('g3', 'no error'); EXCEPTION WHEN OTHERS THEN INSERT INTO pg_temp.errs VALUES ('g3', SQLSTATE); END $do$;
DO $do$ BEGIN PERFORM treasure.grant_item(4, pg_catalog.repeat('x', 129), 1); INSERT INTO pg_temp.errs VALUES ('g4', 'no error'); EXCEPTION WHEN OTHERS THEN INSERT INTO pg_temp.errs VALUES ('g4', SQLSTATE); END $do$;
SET LOCAL search_path = evil, public, pg_catalog;
DO $do$ BEGIN PERFORM treasure.put_chest(7, 1, 'pearl'); END $do$;
INSERT INTO pg_temp.grants_got VALUES ('d1', treasure.grant_item(4, 'silver_key', 1));
DO $do$ BEGIN PERFORM treasure.put_chest(6, 1, 'a', 1, 'a'); INSERT INTO pg_temp.errs VALUES ('d2', 'no error'); EXCEPTION WHEN OTHERS THEN INSERT INTO pg_temp.errs VALUES ('d2', SQLSTATE); END $do$;
DO $do$ BEGIN PERFORM treasure.grant_item(4, '', 1); INSERT INTO pg_temp.errs VALUES ('d3', 'no error'); EXCEPTION WHEN OTHERS THEN INSERT INTO pg_temp.errs VALUES ('d3', SQLSTATE); END $do$;
RESET search_path;

-- Nothing was hijacked ------------------------------------------------------------------------------------
SELECT is(current_setting('search_path'), '"$user", public', 'back to the default search_path for the checks');
SELECT is_empty('SELECT called FROM evil.tripwire', 'no planted function or operator was ever called');
SELECT results_eq(
  $$SELECT status, replayed, coins_awarded, item_awarded, item_qty, key_used, balance, claimed_at FROM got WHERE step = 'a1'$$,
  $$VALUES ('claimed'::text, false, 100::bigint, NULL::text, NULL::integer, NULL::text, 100::bigint,
            now())$$,
  'a1: claimed while evil.now() says 2000');
SELECT results_eq(
  $$SELECT status, replayed, coins_awarded, item_awarded, item_qty, key_used, balance, claimed_at FROM got WHERE step = 'a2'$$,
  $$VALUES ('claimed'::text, false, 50::bigint, NULL::text, NULL::integer, NULL::text, 150::bigint,
            now())$$,
  'a2: second claim: the balance adds up despite evil.+');
SELECT results_eq(
  $$SELECT status, replayed, coins_awarded, item_awarded, item_qty, key_used, balance, claimed_at FROM got WHERE step = 'a3'$$,
  $$VALUES ('claimed'::text, true, 100::bigint, NULL::text, NULL::integer, NULL::text, 100::bigint,
            now())$$,
  'a3: replay despite evil.= on uuid');
SELECT results_eq(
  $$SELECT status, replayed, coins_awarded, item_awarded, item_qty, key_used, balance, claimed_at FROM got WHERE step = 'a4'$$,
  $$VALUES ('already_claimed'::text, false, 0::bigint, NULL::text, NULL::integer, NULL::text, 150::bigint,
            now())$$,
  'a4: already_claimed despite evil.= on uuid');
SELECT results_eq(
  $$SELECT status, replayed, coins_awarded, item_awarded, item_qty, key_used, balance, claimed_at FROM got WHERE step = 'a5'$$,
  $$VALUES ('key_required'::text, false, 0::bigint, NULL::text, NULL::integer, NULL::text, 150::bigint,
            NULL::timestamptz)$$,
  'a5: key_required despite evil.inventories and evil.>');
SELECT results_eq(
  $$SELECT status, replayed, coins_awarded, item_awarded, item_qty, key_used, balance, claimed_at FROM got WHERE step = 'a6'$$,
  $$VALUES ('chest_closed'::text, false, 0::bigint, NULL::text, NULL::integer, NULL::text, 150::bigint,
            NULL::timestamptz)$$,
  'a6: chest_closed despite evil.<= on timestamptz and evil.chests');
SELECT results_eq(
  $$SELECT status, replayed, coins_awarded, item_awarded, item_qty, key_used, balance, claimed_at FROM got WHERE step = 'a7'$$,
  $$VALUES ('claimed'::text, false, 10::bigint, 'crown'::text, 1::integer, 'bronze_key'::text, 10::bigint,
            now())$$,
  'a7: key claim despite evil.- and evil.+ on integer');
SELECT results_eq(
  $$SELECT status, replayed, coins_awarded, item_awarded, item_qty, key_used, balance, claimed_at FROM got WHERE step = 'b1'$$,
  $$VALUES ('claimed'::text, false, 50::bigint, NULL::text, NULL::integer, NULL::text, 50::bigint,
            now())$$,
  'b1: claimed through the unqualified name');
SELECT results_eq(
  $$SELECT status, replayed, coins_awarded, item_awarded, item_qty, key_used, balance, claimed_at FROM got WHERE step = 'b2'$$,
  $$VALUES ('claimed'::text, true, 50::bigint, NULL::text, NULL::integer, NULL::text, 50::bigint,
            now())$$,
  'b2: replayed through the unqualified name');
SELECT results_eq(
  $$SELECT status, replayed, coins_awarded, item_awarded, item_qty, key_used, balance, claimed_at FROM got WHERE step = 'b3'$$,
  $$VALUES ('claimed'::text, false, 100::bigint, NULL::text, NULL::integer, NULL::text, 150::bigint,
            now())$$,
  'b3: a second claim through the unqualified name');
SELECT results_eq(
  $$SELECT status, replayed, coins_awarded, item_awarded, item_qty, key_used, balance, claimed_at FROM got WHERE step = 'c4'$$,
  $$VALUES ('claimed'::text, false, 20::bigint, 'gem'::text, 2::integer, 'silver_key'::text, 20::bigint,
            now())$$,
  'c4: claims the chest put_chest wrote under the evil path');
SELECT results_eq('SELECT step, sqlstate FROM errs ORDER BY step',
  $$VALUES ('d2'::text, '22023'::text), ('d3', '22023'), ('e1', 'P0002'), ('e2', '23505'), ('e3', '22023'), ('e4', 'P0002'),
           ('g1', '22023'), ('g2', '22023'), ('g3', '22023'), ('g4', '22001'),
           ('p1', '22023'), ('p2', '22001'), ('p3', '22023'), ('p4', '22023'), ('p5', '22023'), ('p6', '22023'),
           ('p7', '22023')$$,
  'every invalid call failed with its usual SQLSTATE under the evil search_path');
SELECT results_eq('SELECT step, qty FROM grants_got ORDER BY step',
  $$VALUES ('c2'::text, 1), ('c3', 3), ('d1', 3)$$, 'grant_item returned the true new quantities');
SELECT results_eq('SELECT player_id, balance FROM treasure.wallets ORDER BY player_id',
  $$VALUES (1::bigint, 150::bigint), (2, 150), (3, 10), (4, 20)$$, 'treasure.wallets');
SELECT results_eq('SELECT player_id, item, qty FROM treasure.inventories ORDER BY player_id, item',
  $$VALUES (3::bigint, 'bronze_key'::text, 0), (3, 'crown', 1), (4, 'gem', 2), (4, 'silver_key', 3)$$,
  'treasure.inventories: keys consumed, items given, grants added');
SELECT results_eq(
  'SELECT player_id, chest_id, request_id, coins_awarded, item_awarded, key_used, claimed_at FROM treasure.claims ORDER BY player_id, chest_id',
  $$VALUES (1::bigint, 1::bigint, '00000000-0000-0000-0000-000000000001'::uuid, 100::bigint, NULL::text, NULL::text, now()),
           (1, 2, '00000000-0000-0000-0000-000000000002'::uuid, 50, NULL, NULL, now()),
           (2, 1, '00000000-0000-0000-0000-000000000010'::uuid, 100, NULL, NULL, now()),
           (2, 2, '00000000-0000-0000-0000-000000000009'::uuid, 50, NULL, NULL, now()),
           (3, 3, '00000000-0000-0000-0000-000000000006'::uuid, 10, 'crown', 'bronze_key', now()),
           (4, 5, '00000000-0000-0000-0000-000000000012'::uuid, 20, 'gem', 'silver_key', now())$$,
  'treasure.claims');
SELECT is((SELECT count(DISTINCT claim_id)::int FROM treasure.claims), 6, 'claim_ids come from treasure.claim_id_seq, not evil.nextval()');
SELECT results_eq(
  'SELECT e.player_id, e.chest_id, e.coins_awarded FROM treasure.claim_events e JOIN treasure.claims k USING (player_id, claim_id) ORDER BY 1, 2',
  $$VALUES (1::bigint, 1::bigint, 100::bigint), (1, 2, 50), (2, 1, 100), (2, 2, 50), (3, 3, 10), (4, 5, 20)$$,
  'treasure.claim_events: one event per claim');
SELECT results_eq('SELECT player_id, claims, coins_awarded, last_claim_at FROM treasure.player_stats ORDER BY player_id',
  $$VALUES (1::bigint, 2::bigint, 150::bigint, now()), (2, 2, 150, now()), (3, 1, 10, now()), (4, 1, 20, now())$$,
  'treasure.player_stats');
SELECT results_eq('SELECT chest_id, coins, item, item_qty, key_item, opens_at, closes_at FROM treasure.chests ORDER BY chest_id',
  $$VALUES (1::bigint, 100::bigint, NULL::text, 1, NULL::text, now() - interval '1 hour', now() + interval '1 hour'),
           (2, 50, NULL, 1, NULL, NULL::timestamptz, NULL::timestamptz),
           (3, 10, 'crown', 1, 'bronze_key', NULL, NULL),
           (4, 7, NULL, 1, NULL, now() + interval '1 hour', NULL),
           (5, 20, 'gem', 2, 'silver_key', now() - interval '1 hour', now() + interval '1 hour'),
           (7, 1, 'pearl', 1, NULL, NULL, NULL)$$,
  'treasure.chests: put_chest wrote its chests, and only valid ones');
SELECT results_eq('SELECT player_id, item, qty FROM treasure.item_grants ORDER BY grant_id',
  $$VALUES (3::bigint, 'bronze_key'::text, 1), (4, 'silver_key', 1), (4, 'silver_key', 2), (4, 'silver_key', 1)$$,
  'treasure.item_grants');
SELECT results_eq($$
  SELECT 'chests', count(*) FROM evil.chests UNION ALL SELECT 'wallets', count(*) FROM evil.wallets
  UNION ALL SELECT 'inventories', count(*) FROM evil.inventories UNION ALL SELECT 'claims', count(*) FROM evil.claims
  UNION ALL SELECT 'claim_events', count(*) FROM evil.claim_events
  UNION ALL SELECT 'player_stats', count(*) FROM evil.player_stats
  UNION ALL SELECT 'item_grants', count(*) FROM evil.item_grants$$,
  $$VALUES ('chests', 2::bigint), ('wallets', 1), ('inventories', 1), ('claims', 0), ('claim_events', 0),
           ('player_stats', 0), ('item_grants', 0)$$,
  'the evil tables hold only what the attacker put there');
SELECT results_eq('SELECT player_id, item, qty FROM evil.inventories UNION ALL SELECT player_id, item, qty FROM pg_temp.inventories',
  $$VALUES (1::bigint, 'bronze_key'::text, 5), (1, 'bronze_key', 5)$$, 'the planted keys were neither used nor changed');
SELECT results_eq('SELECT player_id, balance FROM evil.wallets UNION ALL SELECT player_id, balance FROM pg_temp.wallets',
  $$VALUES (1::bigint, 1000000::bigint), (1, 1000000)$$, 'the planted wallets were neither used nor changed');
SELECT is_empty('SELECT * FROM pg_temp.claims', 'nothing was written to the temporary look-alike claims table');

-- 1.3.0 functions under the evil search_path ----------------------------------------------------------------
CREATE TEMP TABLE details_got (step text PRIMARY KEY, status text, coins_awarded bigint, balance bigint, details jsonb);
CREATE TEMP TABLE explain_got (step text, roll integer, entry integer, item text, qty integer, coins bigint,
                               weight integer, total_weight integer, draw bigint, reason text);
CREATE TEMP TABLE stock_got (step text, chest_id bigint, stock bigint, claimed bigint);
CREATE TEMP TABLE reversal_got (step text, status text, coins_taken bigint, balance bigint);
TRUNCATE errs;
GRANT INSERT ON details_got, explain_got TO treasure_evil;
GRANT EXECUTE ON FUNCTION treasure.claim_details(bigint, bigint, text), treasure.explain_claim(bigint, uuid)
  TO treasure_evil;
GRANT SELECT ON treasure.claim_awards TO treasure_evil;

SET LOCAL ROLE treasure_evil;
CREATE FUNCTION evil.jsonb_array_elements(jsonb) RETURNS SETOF jsonb LANGUAGE plpgsql VOLATILE
  AS $f$ BEGIN INSERT INTO evil.tripwire VALUES ('jsonb_array_elements()'); RETURN NEXT '{"item": "crown", "qty": 99, "coins": 1000000, "weight": 1}'::jsonb; END $f$;
CREATE FUNCTION evil.jsonb_array_length(jsonb) RETURNS integer LANGUAGE plpgsql VOLATILE
  AS $f$ BEGIN INSERT INTO evil.tripwire VALUES ('jsonb_array_length()'); RETURN 1; END $f$;
CREATE FUNCTION evil.jsonb_get_text(jsonb, text) RETURNS text LANGUAGE plpgsql VOLATILE
  AS $f$ BEGIN INSERT INTO evil.tripwire VALUES ('jsonb ->>'); RETURN '99'; END $f$;
CREATE OPERATOR evil.->> (LEFTARG = jsonb, RIGHTARG = text, FUNCTION = evil.jsonb_get_text);
CREATE FUNCTION evil.jsonb_get(jsonb, text) RETURNS jsonb LANGUAGE plpgsql VOLATILE
  AS $f$ BEGIN INSERT INTO evil.tripwire VALUES ('jsonb ->'); RETURN '99'::jsonb; END $f$;
CREATE OPERATOR evil.-> (LEFTARG = jsonb, RIGHTARG = text, FUNCTION = evil.jsonb_get);
CREATE FUNCTION evil.jsonb_eq(jsonb, jsonb) RETURNS boolean LANGUAGE plpgsql VOLATILE
  AS $f$ BEGIN INSERT INTO evil.tripwire VALUES ('jsonb ='); RETURN true; END $f$;
CREATE OPERATOR evil.= (LEFTARG = jsonb, RIGHTARG = jsonb, FUNCTION = evil.jsonb_eq);
CREATE FUNCTION evil.sha256(bytea) RETURNS bytea LANGUAGE plpgsql VOLATILE
  AS $f$ BEGIN INSERT INTO evil.tripwire VALUES ('sha256()'); RETURN '\x00'::bytea; END $f$;
CREATE FUNCTION evil.md5(text) RETURNS text LANGUAGE plpgsql VOLATILE
  AS $f$ BEGIN INSERT INTO evil.tripwire VALUES ('md5()'); RETURN '00000000000000000000000000000000'; END $f$;
CREATE FUNCTION evil.random() RETURNS double precision LANGUAGE plpgsql VOLATILE
  AS $f$ BEGIN INSERT INTO evil.tripwire VALUES ('random()'); RETURN 0; END $f$;
CREATE FUNCTION evil.gen_random_uuid() RETURNS uuid LANGUAGE plpgsql VOLATILE
  AS $f$ BEGIN INSERT INTO evil.tripwire VALUES ('gen_random_uuid()'); RETURN '00000000-0000-0000-0000-000000000000'; END $f$;
CREATE FUNCTION evil.tstz_mi(timestamptz, timestamptz) RETURNS interval LANGUAGE plpgsql VOLATILE
  AS $f$ BEGIN INSERT INTO evil.tripwire VALUES ('timestamptz -'); RETURN interval '100 years'; END $f$;
CREATE OPERATOR evil.- (LEFTARG = timestamptz, RIGHTARG = timestamptz, FUNCTION = evil.tstz_mi);
CREATE FUNCTION evil.interval_mul(interval, double precision) RETURNS interval LANGUAGE plpgsql VOLATILE
  AS $f$ BEGIN INSERT INTO evil.tripwire VALUES ('interval *'); RETURN interval '0'; END $f$;
CREATE OPERATOR evil.* (LEFTARG = interval, RIGHTARG = double precision, FUNCTION = evil.interval_mul);
CREATE FUNCTION evil.int8_mi(bigint, bigint) RETURNS bigint LANGUAGE plpgsql VOLATILE
  AS $f$ BEGIN INSERT INTO evil.tripwire VALUES ('bigint -'); RETURN 0; END $f$;
CREATE OPERATOR evil.- (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = evil.int8_mi);
CREATE FUNCTION evil.int8_gt(bigint, bigint) RETURNS boolean LANGUAGE plpgsql VOLATILE
  AS $f$ BEGIN INSERT INTO evil.tripwire VALUES ('bigint >'); RETURN false; END $f$;
CREATE OPERATOR evil.> (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = evil.int8_gt);
CREATE TABLE evil.claim_awards (player_id bigint, claim_id bigint, item text, qty integer, source text);
CREATE TABLE evil.chest_items (chest_id bigint, item text, qty integer);
CREATE TABLE evil.loot_tables (chest_id bigint, rolls integer, entries jsonb, seed text, version integer);
INSERT INTO evil.claim_awards VALUES (5, 1, 'crown', 99, 'loot');
INSERT INTO evil.chest_items VALUES (8, 'crown', 99);
INSERT INTO evil.loot_tables VALUES (8, 1, '[{"item": "crown", "qty": 99, "coins": 1000000, "weight": 1}]', 'x', 1);
CREATE TEMP TABLE claim_awards (LIKE evil.claim_awards);
INSERT INTO pg_temp.claim_awards SELECT * FROM evil.claim_awards;
RESET ROLE;

-- The owner configures chest 8 (a bundle with loot, limited) and the economy rules under the evil path.
SET LOCAL search_path = evil, pg_catalog;
DO $do$
BEGIN
  PERFORM treasure.put_chest(8, 5, 'crown');
  PERFORM treasure.put_chest_item(8, 'gem', 2);
  PERFORM treasure.put_loot(8, 2, '[{"item": "ruby", "qty": 1, "coins": 3, "weight": 2},
                                     {"item": null, "coins": 11, "weight": 1},
                                     {"item": "opal", "qty": 2, "coins": 0, "weight": 1, "max_repeats": 1}]',
                            'search path attack seed');
  PERFORM treasure.set_stock(8, 10);
  PERFORM treasure.set_claim_limit(100, interval '1 hour');
  PERFORM treasure.set_wallet_cap(1000000);
  PERFORM treasure.set_item_cap('gem', 50);
END
$do$;
INSERT INTO pg_temp.stock_got SELECT 'before', * FROM treasure.chest_stock(8);
DO $do$ BEGIN PERFORM treasure.put_chest_item(999, 'gem', 1); INSERT INTO pg_temp.errs VALUES ('n1', 'no error'); EXCEPTION WHEN OTHERS THEN INSERT INTO pg_temp.errs VALUES ('n1', SQLSTATE); END $do$;
DO $do$ BEGIN PERFORM treasure.put_chest_item(8, 'gem', -1); INSERT INTO pg_temp.errs VALUES ('n2', 'no error'); EXCEPTION WHEN OTHERS THEN INSERT INTO pg_temp.errs VALUES ('n2', SQLSTATE); END $do$;
DO $do$ BEGIN PERFORM treasure.put_loot(8, 33, '[{"item": "ruby", "qty": 1, "coins": 0, "weight": 1}]'); INSERT INTO pg_temp.errs VALUES ('n3', 'no error'); EXCEPTION WHEN OTHERS THEN INSERT INTO pg_temp.errs VALUES ('n3', SQLSTATE); END $do$;
DO $do$ BEGIN PERFORM treasure.put_loot(8, 1, '[{"item": "ruby", "qty": 1, "coins": 0, "weight": 0}]'); INSERT INTO pg_temp.errs VALUES ('n4', 'no error'); EXCEPTION WHEN OTHERS THEN INSERT INTO pg_temp.errs VALUES ('n4', SQLSTATE); END $do$;
DO $do$ BEGIN PERFORM treasure.set_stock(8, -1); INSERT INTO pg_temp.errs VALUES ('n5', 'no error'); EXCEPTION WHEN OTHERS THEN INSERT INTO pg_temp.errs VALUES ('n5', SQLSTATE); END $do$;
DO $do$ BEGIN PERFORM treasure.put_chest_item(8, NULL, 1); INSERT INTO pg_temp.errs VALUES ('n6', 'no error'); EXCEPTION WHEN OTHERS THEN INSERT INTO pg_temp.errs VALUES ('n6', SQLSTATE); END $do$;
DO $do$ BEGIN PERFORM treasure.set_item_cap('gem', -1); INSERT INTO pg_temp.errs VALUES ('n7', 'no error'); EXCEPTION WHEN OTHERS THEN INSERT INTO pg_temp.errs VALUES ('n7', SQLSTATE); END $do$;

-- The attacker claims chest 8 with the companion, asks for the explanation, and reads a refusal's details.
SET LOCAL ROLE treasure_evil;
INSERT INTO pg_temp.details_got SELECT 'f1', c.status, c.coins_awarded, c.balance, treasure.claim_details(5, c.claim_id, c.status)
  FROM public.claim_treasure(5, 8, '00000000-0000-0000-0000-000000000081'::uuid) c;
INSERT INTO pg_temp.details_got SELECT 'f2', c.status, c.coins_awarded, c.balance, treasure.claim_details(5, c.claim_id, c.status)
  FROM public.claim_treasure(5, 8, '00000000-0000-0000-0000-000000000081'::uuid) c;
INSERT INTO pg_temp.details_got SELECT 'f3', c.status, c.coins_awarded, c.balance, treasure.claim_details(5, c.claim_id, c.status)
  FROM public.claim_treasure(5, 8, '00000000-0000-0000-0000-000000000082'::uuid) c;
INSERT INTO pg_temp.explain_got SELECT 'evil', * FROM treasure.explain_claim(5, '00000000-0000-0000-0000-000000000081'::uuid);
SET LOCAL search_path = evil, public, pg_catalog;
INSERT INTO pg_temp.details_got SELECT 'f4', c.status, c.coins_awarded, c.balance, treasure.claim_details(5, c.claim_id, c.status)
  FROM claim_treasure(5, 8, '00000000-0000-0000-0000-000000000081'::uuid) c;
RESET ROLE;

-- The owner reverses the claim under the evil path; a second reversal is already_reversed.
SET LOCAL search_path = evil, pg_catalog;
INSERT INTO pg_temp.reversal_got SELECT 'r1', status, coins_taken, balance FROM treasure.reverse_claim(5, '00000000-0000-0000-0000-000000000081'::uuid, 'search path attack');
INSERT INTO pg_temp.reversal_got SELECT 'r2', status, coins_taken, balance FROM treasure.reverse_claim(5, '00000000-0000-0000-0000-000000000081'::uuid, 'search path attack');
DO $do$ BEGIN PERFORM treasure.reverse_claim(5, '00000000-0000-0000-0000-0000000000ff'::uuid, 'unknown'); INSERT INTO pg_temp.errs VALUES ('n8', 'no error'); EXCEPTION WHEN OTHERS THEN INSERT INTO pg_temp.errs VALUES ('n8', SQLSTATE); END $do$;
INSERT INTO pg_temp.stock_got SELECT 'after', * FROM treasure.chest_stock(8);
RESET search_path;

SELECT is_empty('SELECT called FROM evil.tripwire', '1.3.0: no planted function or operator was ever called');
SELECT results_eq($$SELECT step, status FROM details_got ORDER BY step$$,
  $$VALUES ('f1'::text, 'claimed'::text), ('f2', 'claimed'), ('f3', 'already_claimed'), ('f4', 'claimed')$$,
  'f1-f4: claimed, replayed, already_claimed, replayed through the unqualified name');
SELECT is((SELECT coins_awarded FROM details_got WHERE step = 'f1'),
          5 + (SELECT COALESCE((details->>'loot_coins')::bigint, 0) FROM details_got WHERE step = 'f1'),
          'f1: coins_awarded is the chest''s 5 plus the loot coins, despite evil.+ and evil.->>');
SELECT is((SELECT details->'awards' FROM details_got WHERE step = 'f1'),
          (SELECT jsonb_agg(jsonb_build_object('item', item, 'qty', qty, 'source', source) ORDER BY source, item)
             FROM treasure.claim_awards WHERE player_id = 5),
          'f1: the companion lists the stored awards, not evil.claim_awards');
SELECT results_eq($$SELECT item, qty FROM treasure.claim_awards WHERE player_id = 5 AND source = 'guaranteed' ORDER BY item$$,
  $$VALUES ('crown'::text, 1), ('gem', 2)$$, 'f1: the bundle''s guaranteed items, not evil.chest_items''s');
SELECT is((SELECT sum(qty) FILTER (WHERE item = 'crown')::int FROM treasure.claim_awards WHERE player_id = 5), 1,
          'no crown from evil.loot_tables or evil.jsonb_array_elements');
SELECT is((SELECT details FROM details_got WHERE step = 'f2'), (SELECT details FROM details_got WHERE step = 'f1'),
          'f2: the replay''s companion equals the claim''s');
SELECT is((SELECT details FROM details_got WHERE step = 'f4'), (SELECT details FROM details_got WHERE step = 'f1'),
          'f4: the replay through the unqualified name equals the claim''s');
SELECT set_eq('SELECT roll, entry, item, qty, coins, weight, total_weight, draw, reason FROM explain_got',
              $$SELECT * FROM treasure.explain_claim(5, '00000000-0000-0000-0000-000000000081'::uuid)$$,
              'explain_claim under the evil path explains what it explains under the default path');
SELECT is((SELECT count(*)::int FROM explain_got WHERE roll IS NOT NULL), 2, 'explain_claim: one row per roll (2)');
SELECT results_eq('SELECT step, chest_id, stock, claimed FROM stock_got ORDER BY step DESC',
  $$VALUES ('before'::text, 8::bigint, 10::bigint, 0::bigint), ('after', 8, 10, 1)$$,
  'chest_stock: 10 units, one spent by the claim, and the reversal leaves it spent');
SELECT results_eq('SELECT step, status, coins_taken, balance FROM reversal_got ORDER BY step',
  $$SELECT 'r1'::text, 'reversed'::text, coins_awarded, 0::bigint FROM details_got WHERE step = 'f1'
    UNION ALL SELECT 'r2', 'already_reversed', coins_awarded, 0 FROM details_got WHERE step = 'f1'$$,
  'reverse_claim took back every coin despite evil.- on bigint, and a repeat is already_reversed');
SELECT results_eq('SELECT step, sqlstate FROM errs ORDER BY step',
  $$VALUES ('n1'::text, 'P0002'::text), ('n2', '22023'), ('n3', '22023'), ('n4', '22023'), ('n5', '22023'),
           ('n6', '22004'), ('n7', '22023'), ('n8', 'P0002')$$,
  'the 1.3.0 functions'' invalid calls failed with their documented SQLSTATEs under the evil search_path');
SELECT results_eq($$
  SELECT 'claim_awards', count(*) FROM evil.claim_awards UNION ALL SELECT 'chest_items', count(*) FROM evil.chest_items
  UNION ALL SELECT 'loot_tables', count(*) FROM evil.loot_tables UNION ALL SELECT 'temp claim_awards', count(*) FROM pg_temp.claim_awards$$,
  $$VALUES ('claim_awards', 1::bigint), ('chest_items', 1), ('loot_tables', 1), ('temp claim_awards', 1)$$,
  'the 1.3.0 look-alike tables hold only what the attacker put there');

SELECT * FROM finish();
ROLLBACK;
