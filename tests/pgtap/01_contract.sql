-- The installed surface of the extension: schema, functions (signature, result, language, volatility,
-- SECURITY DEFINER, pinned search_path), read-surface tables (columns, types, keys), comments, and the
-- pg_dump configuration of every table and sequence.
BEGIN;
SELECT plan(94);

-- Schema ------------------------------------------------------------------------------------------------
SELECT has_schema('treasure', 'schema treasure exists');
SELECT is((SELECT e.extnamespace::regnamespace::text FROM pg_catalog.pg_extension e WHERE e.extname = 'treasure'),
          'public', 'the extension is installed into public (default search_path)');

-- Functions: existence with exact argument types ----------------------------------------------------------
SELECT has_function('public', 'claim_treasure', ARRAY['bigint', 'bigint', 'uuid', 'bigint'],
                    'public.claim_treasure(bigint, bigint, uuid, bigint) exists');
SELECT has_function('treasure', 'put_chest',
                    ARRAY['bigint', 'bigint', 'text', 'integer', 'text', 'timestamp with time zone',
                          'timestamp with time zone'],
                    'treasure.put_chest(bigint, bigint, text, integer, text, timestamptz, timestamptz) exists');
SELECT has_function('treasure', 'grant_item', ARRAY['bigint', 'text', 'integer'],
                    'treasure.grant_item(bigint, text, integer) exists');
SELECT is((SELECT count(*)::int FROM pg_catalog.pg_proc p
            WHERE p.proname IN ('claim_treasure', 'put_chest', 'grant_item')),
          3, 'each function has exactly one overload, in exactly one schema');

-- Argument names and defaults
SELECT is(pg_catalog.pg_get_function_arguments('public.claim_treasure(bigint, bigint, uuid, bigint)'::regprocedure),
          'player_id bigint, chest_id bigint, request_id uuid, session_id bigint DEFAULT NULL::bigint',
          'claim_treasure argument names, and session_id defaults to NULL');
SELECT is(pg_catalog.pg_get_function_arguments(
            'treasure.put_chest(bigint, bigint, text, integer, text, timestamptz, timestamptz)'::regprocedure),
          'chest_id bigint, coins bigint, item text DEFAULT NULL::text, item_qty integer DEFAULT 1, '
          'key_item text DEFAULT NULL::text, opens_at timestamp with time zone DEFAULT NULL::timestamp with time zone, '
          'closes_at timestamp with time zone DEFAULT NULL::timestamp with time zone',
          'put_chest argument names and defaults');
SELECT is(pg_catalog.pg_get_function_arguments('treasure.grant_item(bigint, text, integer)'::regprocedure),
          'player_id bigint, item text, qty integer', 'grant_item argument names, no defaults');

-- Results
SELECT function_returns('public', 'claim_treasure', ARRAY['bigint', 'bigint', 'uuid', 'bigint'], 'setof record',
                        'claim_treasure returns a set of records');
SELECT is(pg_catalog.pg_get_function_result('public.claim_treasure(bigint, bigint, uuid, bigint)'::regprocedure),
          'TABLE(status text, replayed boolean, claim_id bigint, coins_awarded bigint, item_awarded text, '
          'item_qty integer, key_used text, balance bigint, claimed_at timestamp with time zone)',
          'claim_treasure returns TABLE(status, replayed, claim_id, coins_awarded, item_awarded, item_qty, key_used, balance, claimed_at)');
SELECT function_returns('treasure', 'put_chest',
                        ARRAY['bigint', 'bigint', 'text', 'integer', 'text', 'timestamp with time zone',
                              'timestamp with time zone'],
                        'void', 'put_chest returns void');
SELECT function_returns('treasure', 'grant_item', ARRAY['bigint', 'text', 'integer'], 'integer',
                        'grant_item returns integer');

-- SECURITY DEFINER
SELECT is_definer('public', 'claim_treasure', ARRAY['bigint', 'bigint', 'uuid', 'bigint'],
                  'claim_treasure is SECURITY DEFINER');
SELECT is_definer('treasure', 'put_chest',
                  ARRAY['bigint', 'bigint', 'text', 'integer', 'text', 'timestamp with time zone',
                        'timestamp with time zone'],
                  'put_chest is SECURITY DEFINER');
SELECT is_definer('treasure', 'grant_item', ARRAY['bigint', 'text', 'integer'], 'grant_item is SECURITY DEFINER');

-- Volatility
SELECT volatility_is('public', 'claim_treasure', ARRAY['bigint', 'bigint', 'uuid', 'bigint'], 'volatile',
                     'claim_treasure is VOLATILE');
SELECT volatility_is('treasure', 'put_chest',
                     ARRAY['bigint', 'bigint', 'text', 'integer', 'text', 'timestamp with time zone',
                           'timestamp with time zone'],
                     'volatile', 'put_chest is VOLATILE');
SELECT volatility_is('treasure', 'grant_item', ARRAY['bigint', 'text', 'integer'], 'volatile',
                     'grant_item is VOLATILE');

-- NULL arguments reach the function (so it can raise 22004) instead of returning nothing
SELECT isnt_strict('public', 'claim_treasure', ARRAY['bigint', 'bigint', 'uuid', 'bigint'],
                   'claim_treasure is CALLED ON NULL INPUT');
SELECT isnt_strict('treasure', 'put_chest',
                   ARRAY['bigint', 'bigint', 'text', 'integer', 'text', 'timestamp with time zone',
                         'timestamp with time zone'],
                   'put_chest is CALLED ON NULL INPUT');
SELECT isnt_strict('treasure', 'grant_item', ARRAY['bigint', 'text', 'integer'],
                   'grant_item is CALLED ON NULL INPUT');

-- Language
SELECT function_lang_is('public', 'claim_treasure', ARRAY['bigint', 'bigint', 'uuid', 'bigint'], 'c',
                        'claim_treasure is written in C');
SELECT function_lang_is('treasure', 'put_chest',
                        ARRAY['bigint', 'bigint', 'text', 'integer', 'text', 'timestamp with time zone',
                              'timestamp with time zone'],
                        'plpgsql', 'put_chest is written in PL/pgSQL');
SELECT function_lang_is('treasure', 'grant_item', ARRAY['bigint', 'text', 'integer'], 'plpgsql',
                        'grant_item is written in PL/pgSQL');

-- Pinned search_path
SELECT ok((SELECT 'search_path=pg_catalog, pg_temp' = ANY (p.proconfig) FROM pg_catalog.pg_proc p
            WHERE p.oid = 'public.claim_treasure(bigint, bigint, uuid, bigint)'::regprocedure),
          'claim_treasure pins search_path = pg_catalog, pg_temp');
SELECT ok((SELECT 'search_path=pg_catalog, pg_temp' = ANY (p.proconfig) FROM pg_catalog.pg_proc p
            WHERE p.oid = 'treasure.put_chest(bigint, bigint, text, integer, text, timestamptz, timestamptz)'::regprocedure),
          'put_chest pins search_path = pg_catalog, pg_temp');
SELECT ok((SELECT 'search_path=pg_catalog, pg_temp' = ANY (p.proconfig) FROM pg_catalog.pg_proc p
            WHERE p.oid = 'treasure.grant_item(bigint, text, integer)'::regprocedure),
          'grant_item pins search_path = pg_catalog, pg_temp');
SELECT is_empty($$
  SELECT p.oid::regprocedure::text FROM pg_catalog.pg_proc p
    JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
    JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid AND e.extname = 'treasure'
   WHERE p.proconfig IS NULL OR NOT ('search_path=pg_catalog, pg_temp' = ANY (p.proconfig))
$$, 'every function of the extension pins its search_path');

-- Read-surface tables: columns ------------------------------------------------------------------------------
SELECT has_table('treasure', 'wallets', 'table treasure.wallets exists');
SELECT has_table('treasure', 'inventories', 'table treasure.inventories exists');
SELECT has_table('treasure', 'claims', 'table treasure.claims exists');
SELECT has_table('treasure', 'claim_events', 'table treasure.claim_events exists');
SELECT has_view('treasure', 'player_stats', 'view treasure.player_stats exists (a table until 1.1.0)');
SELECT has_table('treasure', 'chests', 'table treasure.chests exists');
SELECT has_table('treasure', 'item_grants', 'table treasure.item_grants exists');

SELECT columns_are('treasure', 'wallets', ARRAY['player_id', 'balance', 'claims', 'coins_awarded', 'last_claim_at',
                                                'claim_tokens', 'claim_tokens_at'],
                   'treasure.wallets columns (the analytics counters since 1.2.0, the claim limit''s bucket since 1.3.0)');
SELECT columns_are('treasure', 'inventories', ARRAY['player_id', 'item', 'qty'], 'treasure.inventories columns');
SELECT columns_are('treasure', 'claims',
                   ARRAY['claim_id', 'player_id', 'chest_id', 'request_id', 'session_id', 'coins_awarded',
                         'item_awarded', 'item_qty', 'key_used', 'claimed_at'],
                   'treasure.claims columns');
SELECT columns_are('treasure', 'claim_events',
                   ARRAY['event_id', 'claim_id', 'player_id', 'chest_id', 'coins_awarded', 'balance_after',
                         'occurred_at'],
                   'treasure.claim_events columns');
SELECT columns_are('treasure', 'player_stats', ARRAY['player_id', 'claims', 'coins_awarded', 'last_claim_at'],
                   'treasure.player_stats columns');

-- Key column types
SELECT col_type_is('treasure', 'wallets', 'player_id', 'bigint', 'wallets.player_id is bigint');
SELECT col_type_is('treasure', 'wallets', 'balance', 'bigint', 'wallets.balance is bigint');
SELECT col_type_is('treasure', 'inventories', 'player_id', 'bigint', 'inventories.player_id is bigint');
SELECT col_type_is('treasure', 'inventories', 'item', 'text', 'inventories.item is text');
SELECT col_type_is('treasure', 'inventories', 'qty', 'integer', 'inventories.qty is integer');
SELECT col_type_is('treasure', 'claims', 'claim_id', 'bigint', 'claims.claim_id is bigint');
SELECT col_type_is('treasure', 'claims', 'player_id', 'bigint', 'claims.player_id is bigint');
SELECT col_type_is('treasure', 'claims', 'chest_id', 'bigint', 'claims.chest_id is bigint');
SELECT col_type_is('treasure', 'claims', 'request_id', 'uuid', 'claims.request_id is uuid');
SELECT col_type_is('treasure', 'claims', 'session_id', 'bigint', 'claims.session_id is bigint');
SELECT col_type_is('treasure', 'claims', 'coins_awarded', 'bigint', 'claims.coins_awarded is bigint');
SELECT col_type_is('treasure', 'claims', 'item_qty', 'integer', 'claims.item_qty is integer');
SELECT col_type_is('treasure', 'claims', 'claimed_at', 'timestamp with time zone', 'claims.claimed_at is timestamptz');
SELECT col_type_is('treasure', 'claim_events', 'event_id', 'bigint', 'claim_events.event_id is bigint');
SELECT col_type_is('treasure', 'claim_events', 'claim_id', 'bigint', 'claim_events.claim_id is bigint');
SELECT col_type_is('treasure', 'claim_events', 'coins_awarded', 'bigint', 'claim_events.coins_awarded is bigint');
SELECT col_type_is('treasure', 'claim_events', 'balance_after', 'bigint', 'claim_events.balance_after is bigint');
SELECT col_type_is('treasure', 'claim_events', 'occurred_at', 'timestamp with time zone',
                   'claim_events.occurred_at is timestamptz');
SELECT col_type_is('treasure', 'player_stats', 'claims', 'bigint', 'player_stats.claims is bigint');
SELECT col_type_is('treasure', 'player_stats', 'coins_awarded', 'bigint', 'player_stats.coins_awarded is bigint');
SELECT col_type_is('treasure', 'player_stats', 'last_claim_at', 'timestamp with time zone',
                   'player_stats.last_claim_at is timestamptz');

-- Keys --------------------------------------------------------------------------------------------------
SELECT col_is_pk('treasure', 'wallets', ARRAY['player_id'], 'wallets: primary key (player_id)');
SELECT col_is_pk('treasure', 'inventories', ARRAY['player_id', 'item'], 'inventories: primary key (player_id, item)');
SELECT col_is_pk('treasure', 'claims', ARRAY['player_id', 'chest_id'], 'claims: primary key (player_id, chest_id)');
SELECT col_is_pk('treasure', 'claim_events', ARRAY['player_id', 'claim_id'],
                 'claim_events: primary key (player_id, claim_id)');
SELECT col_not_null('treasure', 'wallets', 'claims', 'wallets.claims is NOT NULL');
SELECT col_is_pk('treasure', 'item_grants', ARRAY['player_id', 'grant_id'],
                 'item_grants: primary key (player_id, grant_id)');
SELECT col_is_pk('treasure', 'chests', ARRAY['chest_id'], 'chests: primary key (chest_id)');
SELECT results_eq($$
  SELECT c.oid::regclass::text, a.attname::text COLLATE "default"
    FROM pg_catalog.pg_index i
    JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
    JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0]
   WHERE i.indisprimary AND c.relnamespace = 'treasure'::regnamespace
     AND c.relname NOT IN ('chests', 'chest_items', 'loot_tables', 'loot_seeds', 'stock_slots', 'claim_rules',
                           'item_caps', 'claim_features')
   ORDER BY 1
$$, $$
  VALUES ('treasure.claim_awards', 'player_id'), ('treasure.claim_events', 'player_id'),
         ('treasure.claim_loot', 'player_id'), ('treasure.claim_reversals', 'player_id'), ('treasure.claims', 'player_id'),
         ('treasure.inventories', 'player_id'), ('treasure.item_grants', 'player_id'),
         ('treasure.saga_messages', 'player_id'),
         ('treasure.saga_steps', 'player_id'), ('treasure.sagas', 'player_id'), ('treasure.wallets', 'player_id')
$$, 'every player-owned table leads its primary key with player_id');
SELECT col_is_unique('treasure', 'claims', ARRAY['request_id'], 'claims.request_id is UNIQUE on its own');
SELECT col_not_null('treasure', 'claims', 'request_id', 'claims.request_id is NOT NULL');
SELECT col_is_null('treasure', 'claims', 'session_id', 'claims.session_id is nullable');
SELECT col_not_null('treasure', 'wallets', 'balance', 'wallets.balance is NOT NULL');
SELECT col_not_null('treasure', 'inventories', 'qty', 'inventories.qty is NOT NULL');

-- Comments on every table and function --------------------------------------------------------------------
SELECT isnt(obj_description('treasure'::regnamespace, 'pg_namespace'), NULL, 'schema treasure has a comment');
SELECT isnt(obj_description('treasure.wallets'::regclass, 'pg_class'), NULL, 'treasure.wallets has a comment');
SELECT isnt(obj_description('treasure.inventories'::regclass, 'pg_class'), NULL, 'treasure.inventories has a comment');
SELECT isnt(obj_description('treasure.claims'::regclass, 'pg_class'), NULL, 'treasure.claims has a comment');
SELECT isnt(obj_description('treasure.claim_events'::regclass, 'pg_class'), NULL, 'treasure.claim_events has a comment');
SELECT isnt(obj_description('treasure.player_stats'::regclass, 'pg_class'), NULL, 'treasure.player_stats has a comment');
SELECT isnt(obj_description('treasure.chests'::regclass, 'pg_class'), NULL, 'treasure.chests has a comment');
SELECT isnt(obj_description('treasure.item_grants'::regclass, 'pg_class'), NULL, 'treasure.item_grants has a comment');
SELECT isnt(obj_description('public.claim_treasure(bigint, bigint, uuid, bigint)'::regprocedure, 'pg_proc'), NULL,
            'claim_treasure has a comment');
SELECT isnt(obj_description('treasure.put_chest(bigint, bigint, text, integer, text, timestamptz, timestamptz)'::regprocedure,
                            'pg_proc'), NULL, 'put_chest has a comment');
SELECT isnt(obj_description('treasure.grant_item(bigint, text, integer)'::regprocedure, 'pg_proc'), NULL,
            'grant_item has a comment');
SELECT isnt(obj_description('treasure.check_item_name(text, text)'::regprocedure, 'pg_proc'), NULL,
            'check_item_name has a comment');
SELECT is_empty($$
  SELECT c.oid::regclass::text FROM pg_catalog.pg_class c
   WHERE c.relnamespace = 'treasure'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm')
     AND obj_description(c.oid, 'pg_class') IS NULL
$$, 'no table or view in schema treasure lacks a comment');
SELECT is_empty($$
  SELECT p.oid::regprocedure::text FROM pg_catalog.pg_proc p
    JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
    JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid AND e.extname = 'treasure'
   WHERE obj_description(p.oid, 'pg_proc') IS NULL
$$, 'no function of the extension lacks a comment');
SELECT is_empty($$
  SELECT c.oid::regclass::text FROM pg_catalog.pg_class c
   WHERE c.relnamespace = 'treasure'::regnamespace AND c.relkind = 'S'
     AND obj_description(c.oid, 'pg_class') IS NULL
$$, 'no sequence in schema treasure lacks a comment');

-- pg_dump configuration -------------------------------------------------------------------------------
SELECT is_empty($$
  SELECT c.oid::regclass::text FROM pg_catalog.pg_class c
   WHERE c.relnamespace = 'treasure'::regnamespace AND c.relkind IN ('r', 'p', 'S')
  EXCEPT
  SELECT unnest(e.extconfig)::regclass::text FROM pg_catalog.pg_extension e WHERE e.extname = 'treasure'
$$, 'pg_extension.extconfig lists every table and sequence of schema treasure, so pg_dump keeps their data');
SELECT ok((SELECT bool_and(cond = '') FROM pg_catalog.pg_extension e, unnest(e.extcondition) cond
            WHERE e.extname = 'treasure'),
          'every configuration table is dumped whole (no WHERE condition)');
SELECT is((SELECT cardinality(e.extconfig) FROM pg_catalog.pg_extension e WHERE e.extname = 'treasure'), 24,
          'extconfig holds the 19 tables and 5 sequences (1.1.0: sagas, saga_steps, saga_messages and 2 sequences; 1.2.0: player_stats is a view; 1.3.0: claim_awards, claim_loot, chest_items, loot_tables, loot_seeds, stock_slots, claim_rules, item_caps, claim_features, claim_reversals)');
SELECT is_empty($$
  SELECT c.oid::regclass::text FROM pg_catalog.pg_class c
   WHERE c.relnamespace = 'treasure'::regnamespace AND c.relkind IN ('r', 'S')
     AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d
                      WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
                        AND d.refobjid = (SELECT oid FROM pg_catalog.pg_extension WHERE extname = 'treasure'))
$$, 'every table and sequence of schema treasure belongs to the extension');

SELECT * FROM finish();
ROLLBACK;
