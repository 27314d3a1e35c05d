-- treasure.claim_treasure_batch() (1.4.0) as installed: its signature, SECURITY DEFINER with a pinned
-- search_path, no EXECUTE for PUBLIC; a role granted EXECUTE (and USAGE on the schema) claims a batch
-- without any table privilege, a role without the grant is refused (42501) and writes nothing.
BEGIN;
SELECT plan(14);

SELECT has_function('treasure', 'claim_treasure_batch', ARRAY['bigint[]', 'bigint[]', 'uuid[]', 'bigint[]'],
                    'treasure.claim_treasure_batch(bigint[], bigint[], uuid[], bigint[]) exists');
SELECT is((SELECT count(*)::int FROM pg_catalog.pg_proc p WHERE p.proname = 'claim_treasure_batch'), 1,
          'claim_treasure_batch: exactly one overload, in one schema');
SELECT is(pg_catalog.pg_get_function_arguments('treasure.claim_treasure_batch(bigint[], bigint[], uuid[], bigint[])'::regprocedure),
          'player_ids bigint[], chest_ids bigint[], request_ids uuid[], session_ids bigint[] DEFAULT NULL::bigint[]',
          'claim_treasure_batch argument names, and session_ids defaults to NULL');
SELECT is(pg_catalog.pg_get_function_result('treasure.claim_treasure_batch(bigint[], bigint[], uuid[], bigint[])'::regprocedure),
          'TABLE(tap integer, status text, replayed boolean, claim_id bigint, coins_awarded bigint, item_awarded text, '
          'item_qty integer, key_used text, balance bigint, claimed_at timestamp with time zone, details jsonb, '
          'sqlstate text, message text)',
          'claim_treasure_batch returns the tap, claim_treasure()''s nine columns, details, sqlstate and message');

CREATE TEMP VIEW batch_function AS
  SELECT p.* FROM pg_catalog.pg_proc p
   WHERE p.oid = 'treasure.claim_treasure_batch(bigint[], bigint[], uuid[], bigint[])'::regprocedure;
SELECT ok((SELECT prosecdef FROM batch_function), 'claim_treasure_batch is SECURITY DEFINER');
SELECT is((SELECT provolatile FROM batch_function), 'v', 'claim_treasure_batch is VOLATILE');
SELECT ok((SELECT NOT proisstrict FROM batch_function), 'claim_treasure_batch is CALLED ON NULL INPUT');
SELECT ok((SELECT coalesce('search_path=pg_catalog, pg_temp' = ANY (proconfig), false) FROM batch_function),
          'claim_treasure_batch pins search_path = pg_catalog, pg_temp');
SELECT isnt((SELECT obj_description(oid, 'pg_proc') FROM batch_function), NULL, 'claim_treasure_batch has a comment');
SELECT ok(NOT pg_catalog.has_function_privilege('public', 'treasure.claim_treasure_batch(bigint[], bigint[], uuid[], bigint[])', 'EXECUTE'),
          'PUBLIC may not execute claim_treasure_batch');

SELECT treasure.put_chest(1, 100);
CREATE ROLE treasure_batch_app;
CREATE ROLE treasure_batch_other;
GRANT USAGE ON SCHEMA treasure TO treasure_batch_app, treasure_batch_other;
GRANT EXECUTE ON FUNCTION treasure.claim_treasure_batch(bigint[], bigint[], uuid[], bigint[]) TO treasure_batch_app;

SET LOCAL ROLE treasure_batch_app;
SELECT is((SELECT string_agg(status || '/' || balance, ',' ORDER BY tap)
             FROM treasure.claim_treasure_batch(ARRAY[7, 8], ARRAY[1, 1],
                    ARRAY['00000000-0000-0000-0000-00000000c001', '00000000-0000-0000-0000-00000000c002']::uuid[])),
          'claimed/100,claimed/100', 'a role granted EXECUTE claims a batch with no table privilege');
SELECT throws_ok($$SELECT count(*) FROM treasure.wallets$$, '42501', NULL,
                 'that role still may not read the tables itself');
RESET ROLE;

SET LOCAL ROLE treasure_batch_other;
SELECT throws_ok($$SELECT * FROM treasure.claim_treasure_batch(ARRAY[9], ARRAY[1], ARRAY['00000000-0000-0000-0000-00000000c003']::uuid[])$$,
                 '42501', NULL, 'a role without the grant may not call claim_treasure_batch');
RESET ROLE;
SELECT is((SELECT count(*)::int FROM treasure.claims WHERE player_id = 9), 0, 'the refused call wrote nothing');

SELECT * FROM finish();
ROLLBACK;
