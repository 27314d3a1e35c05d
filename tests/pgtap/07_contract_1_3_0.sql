-- The 1.3.0 functions of sql/CONTRACT-1.3.0.md as installed: exact signature (argument names, defaults,
-- result), SECURITY DEFINER, volatility, CALLED ON NULL INPUT, pinned search_path and a comment, one overload
-- each.  The contract leaves the volatility of the two read functions (chest_stock, explain_claim) open; they
-- must at least not be IMMUTABLE.  claim_treasure() itself, unchanged since 1.2.0, is 01_contract's.
BEGIN;
SELECT plan(90);

-- treasure.claim_details(bigint, bigint, text)
SELECT has_function('treasure', 'claim_details', ARRAY['bigint', 'bigint', 'text'], 'treasure.claim_details(bigint, bigint, text) exists');
SELECT is((SELECT count(*)::int FROM pg_catalog.pg_proc p WHERE p.proname = 'claim_details'), 1, 'claim_details: exactly one overload, in one schema');
SELECT is(pg_catalog.pg_get_function_arguments(to_regprocedure('treasure.claim_details(bigint, bigint, text)')),
          'player_id bigint, claim_id bigint, status text', 'claim_details: argument names and defaults');
SELECT is(pg_catalog.pg_get_function_result(to_regprocedure('treasure.claim_details(bigint, bigint, text)')),
          'jsonb', 'claim_details returns jsonb');
SELECT is_definer('treasure', 'claim_details', ARRAY['bigint', 'bigint', 'text'], 'claim_details is SECURITY DEFINER');
SELECT volatility_is('treasure', 'claim_details', ARRAY['bigint', 'bigint', 'text'], 'volatile', 'claim_details is VOLATILE');
SELECT isnt_strict('treasure', 'claim_details', ARRAY['bigint', 'bigint', 'text'], 'claim_details is CALLED ON NULL INPUT');
SELECT ok((SELECT 'search_path=pg_catalog, pg_temp' = ANY (p.proconfig) FROM pg_catalog.pg_proc p
            WHERE p.oid = to_regprocedure('treasure.claim_details(bigint, bigint, text)')),
          'claim_details pins search_path = pg_catalog, pg_temp');
SELECT isnt(obj_description(to_regprocedure('treasure.claim_details(bigint, bigint, text)'), 'pg_proc'), NULL, 'claim_details has a comment');

-- treasure.put_chest_item(bigint, text, integer)
SELECT has_function('treasure', 'put_chest_item', ARRAY['bigint', 'text', 'integer'], 'treasure.put_chest_item(bigint, text, integer) exists');
SELECT is((SELECT count(*)::int FROM pg_catalog.pg_proc p WHERE p.proname = 'put_chest_item'), 1, 'put_chest_item: exactly one overload, in one schema');
SELECT is(pg_catalog.pg_get_function_arguments(to_regprocedure('treasure.put_chest_item(bigint, text, integer)')),
          'chest_id bigint, item text, qty integer', 'put_chest_item: argument names and defaults');
SELECT is(pg_catalog.pg_get_function_result(to_regprocedure('treasure.put_chest_item(bigint, text, integer)')),
          'void', 'put_chest_item returns void');
SELECT is_definer('treasure', 'put_chest_item', ARRAY['bigint', 'text', 'integer'], 'put_chest_item is SECURITY DEFINER');
SELECT volatility_is('treasure', 'put_chest_item', ARRAY['bigint', 'text', 'integer'], 'volatile', 'put_chest_item is VOLATILE');
SELECT isnt_strict('treasure', 'put_chest_item', ARRAY['bigint', 'text', 'integer'], 'put_chest_item is CALLED ON NULL INPUT');
SELECT ok((SELECT 'search_path=pg_catalog, pg_temp' = ANY (p.proconfig) FROM pg_catalog.pg_proc p
            WHERE p.oid = to_regprocedure('treasure.put_chest_item(bigint, text, integer)')),
          'put_chest_item pins search_path = pg_catalog, pg_temp');
SELECT isnt(obj_description(to_regprocedure('treasure.put_chest_item(bigint, text, integer)'), 'pg_proc'), NULL, 'put_chest_item has a comment');

-- treasure.put_loot(bigint, integer, jsonb, text)
SELECT has_function('treasure', 'put_loot', ARRAY['bigint', 'integer', 'jsonb', 'text'], 'treasure.put_loot(bigint, integer, jsonb, text) exists');
SELECT is((SELECT count(*)::int FROM pg_catalog.pg_proc p WHERE p.proname = 'put_loot'), 1, 'put_loot: exactly one overload, in one schema');
SELECT is(pg_catalog.pg_get_function_arguments(to_regprocedure('treasure.put_loot(bigint, integer, jsonb, text)')),
          'chest_id bigint, rolls integer, entries jsonb, seed text DEFAULT NULL::text', 'put_loot: argument names and defaults');
SELECT is(pg_catalog.pg_get_function_result(to_regprocedure('treasure.put_loot(bigint, integer, jsonb, text)')),
          'integer', 'put_loot returns integer');
SELECT is_definer('treasure', 'put_loot', ARRAY['bigint', 'integer', 'jsonb', 'text'], 'put_loot is SECURITY DEFINER');
SELECT volatility_is('treasure', 'put_loot', ARRAY['bigint', 'integer', 'jsonb', 'text'], 'volatile', 'put_loot is VOLATILE');
SELECT isnt_strict('treasure', 'put_loot', ARRAY['bigint', 'integer', 'jsonb', 'text'], 'put_loot is CALLED ON NULL INPUT');
SELECT ok((SELECT 'search_path=pg_catalog, pg_temp' = ANY (p.proconfig) FROM pg_catalog.pg_proc p
            WHERE p.oid = to_regprocedure('treasure.put_loot(bigint, integer, jsonb, text)')),
          'put_loot pins search_path = pg_catalog, pg_temp');
SELECT isnt(obj_description(to_regprocedure('treasure.put_loot(bigint, integer, jsonb, text)'), 'pg_proc'), NULL, 'put_loot has a comment');

-- treasure.set_stock(bigint, bigint)
SELECT has_function('treasure', 'set_stock', ARRAY['bigint', 'bigint'], 'treasure.set_stock(bigint, bigint) exists');
SELECT is((SELECT count(*)::int FROM pg_catalog.pg_proc p WHERE p.proname = 'set_stock'), 1, 'set_stock: exactly one overload, in one schema');
SELECT is(pg_catalog.pg_get_function_arguments(to_regprocedure('treasure.set_stock(bigint, bigint)')),
          'chest_id bigint, stock bigint', 'set_stock: argument names and defaults');
SELECT is(pg_catalog.pg_get_function_result(to_regprocedure('treasure.set_stock(bigint, bigint)')),
          'void', 'set_stock returns void');
SELECT is_definer('treasure', 'set_stock', ARRAY['bigint', 'bigint'], 'set_stock is SECURITY DEFINER');
SELECT volatility_is('treasure', 'set_stock', ARRAY['bigint', 'bigint'], 'volatile', 'set_stock is VOLATILE');
SELECT isnt_strict('treasure', 'set_stock', ARRAY['bigint', 'bigint'], 'set_stock is CALLED ON NULL INPUT');
SELECT ok((SELECT 'search_path=pg_catalog, pg_temp' = ANY (p.proconfig) FROM pg_catalog.pg_proc p
            WHERE p.oid = to_regprocedure('treasure.set_stock(bigint, bigint)')),
          'set_stock pins search_path = pg_catalog, pg_temp');
SELECT isnt(obj_description(to_regprocedure('treasure.set_stock(bigint, bigint)'), 'pg_proc'), NULL, 'set_stock has a comment');

-- treasure.chest_stock(bigint)
SELECT has_function('treasure', 'chest_stock', ARRAY['bigint'], 'treasure.chest_stock(bigint) exists');
SELECT is((SELECT count(*)::int FROM pg_catalog.pg_proc p WHERE p.proname = 'chest_stock'), 1, 'chest_stock: exactly one overload, in one schema');
SELECT is(pg_catalog.pg_get_function_arguments(to_regprocedure('treasure.chest_stock(bigint)')),
          'chest_id bigint', 'chest_stock: argument names and defaults');
SELECT is(pg_catalog.pg_get_function_result(to_regprocedure('treasure.chest_stock(bigint)')),
          'TABLE(chest_id bigint, stock bigint, claimed bigint)', 'chest_stock returns TABLE');
SELECT is_definer('treasure', 'chest_stock', ARRAY['bigint'], 'chest_stock is SECURITY DEFINER');
SELECT ok((SELECT p.provolatile <> 'i' FROM pg_catalog.pg_proc p WHERE p.oid = to_regprocedure('treasure.chest_stock(bigint)')),
          'chest_stock is not IMMUTABLE (it reads tables)');
SELECT isnt_strict('treasure', 'chest_stock', ARRAY['bigint'], 'chest_stock is CALLED ON NULL INPUT');
SELECT ok((SELECT 'search_path=pg_catalog, pg_temp' = ANY (p.proconfig) FROM pg_catalog.pg_proc p
            WHERE p.oid = to_regprocedure('treasure.chest_stock(bigint)')),
          'chest_stock pins search_path = pg_catalog, pg_temp');
SELECT isnt(obj_description(to_regprocedure('treasure.chest_stock(bigint)'), 'pg_proc'), NULL, 'chest_stock has a comment');

-- treasure.set_claim_limit(integer, interval)
SELECT has_function('treasure', 'set_claim_limit', ARRAY['integer', 'interval'], 'treasure.set_claim_limit(integer, interval) exists');
SELECT is((SELECT count(*)::int FROM pg_catalog.pg_proc p WHERE p.proname = 'set_claim_limit'), 1, 'set_claim_limit: exactly one overload, in one schema');
SELECT is(pg_catalog.pg_get_function_arguments(to_regprocedure('treasure.set_claim_limit(integer, interval)')),
          'max_claims integer, per interval', 'set_claim_limit: argument names and defaults');
SELECT is(pg_catalog.pg_get_function_result(to_regprocedure('treasure.set_claim_limit(integer, interval)')),
          'void', 'set_claim_limit returns void');
SELECT is_definer('treasure', 'set_claim_limit', ARRAY['integer', 'interval'], 'set_claim_limit is SECURITY DEFINER');
SELECT volatility_is('treasure', 'set_claim_limit', ARRAY['integer', 'interval'], 'volatile', 'set_claim_limit is VOLATILE');
SELECT isnt_strict('treasure', 'set_claim_limit', ARRAY['integer', 'interval'], 'set_claim_limit is CALLED ON NULL INPUT');
SELECT ok((SELECT 'search_path=pg_catalog, pg_temp' = ANY (p.proconfig) FROM pg_catalog.pg_proc p
            WHERE p.oid = to_regprocedure('treasure.set_claim_limit(integer, interval)')),
          'set_claim_limit pins search_path = pg_catalog, pg_temp');
SELECT isnt(obj_description(to_regprocedure('treasure.set_claim_limit(integer, interval)'), 'pg_proc'), NULL, 'set_claim_limit has a comment');

-- treasure.set_wallet_cap(bigint)
SELECT has_function('treasure', 'set_wallet_cap', ARRAY['bigint'], 'treasure.set_wallet_cap(bigint) exists');
SELECT is((SELECT count(*)::int FROM pg_catalog.pg_proc p WHERE p.proname = 'set_wallet_cap'), 1, 'set_wallet_cap: exactly one overload, in one schema');
SELECT is(pg_catalog.pg_get_function_arguments(to_regprocedure('treasure.set_wallet_cap(bigint)')),
          'max_balance bigint', 'set_wallet_cap: argument names and defaults');
SELECT is(pg_catalog.pg_get_function_result(to_regprocedure('treasure.set_wallet_cap(bigint)')),
          'void', 'set_wallet_cap returns void');
SELECT is_definer('treasure', 'set_wallet_cap', ARRAY['bigint'], 'set_wallet_cap is SECURITY DEFINER');
SELECT volatility_is('treasure', 'set_wallet_cap', ARRAY['bigint'], 'volatile', 'set_wallet_cap is VOLATILE');
SELECT isnt_strict('treasure', 'set_wallet_cap', ARRAY['bigint'], 'set_wallet_cap is CALLED ON NULL INPUT');
SELECT ok((SELECT 'search_path=pg_catalog, pg_temp' = ANY (p.proconfig) FROM pg_catalog.pg_proc p
            WHERE p.oid = to_regprocedure('treasure.set_wallet_cap(bigint)')),
          'set_wallet_cap pins search_path = pg_catalog, pg_temp');
SELECT isnt(obj_description(to_regprocedure('treasure.set_wallet_cap(bigint)'), 'pg_proc'), NULL, 'set_wallet_cap has a comment');

-- treasure.set_item_cap(text, integer)
SELECT has_function('treasure', 'set_item_cap', ARRAY['text', 'integer'], 'treasure.set_item_cap(text, integer) exists');
SELECT is((SELECT count(*)::int FROM pg_catalog.pg_proc p WHERE p.proname = 'set_item_cap'), 1, 'set_item_cap: exactly one overload, in one schema');
SELECT is(pg_catalog.pg_get_function_arguments(to_regprocedure('treasure.set_item_cap(text, integer)')),
          'item text, max_qty integer', 'set_item_cap: argument names and defaults');
SELECT is(pg_catalog.pg_get_function_result(to_regprocedure('treasure.set_item_cap(text, integer)')),
          'void', 'set_item_cap returns void');
SELECT is_definer('treasure', 'set_item_cap', ARRAY['text', 'integer'], 'set_item_cap is SECURITY DEFINER');
SELECT volatility_is('treasure', 'set_item_cap', ARRAY['text', 'integer'], 'volatile', 'set_item_cap is VOLATILE');
SELECT isnt_strict('treasure', 'set_item_cap', ARRAY['text', 'integer'], 'set_item_cap is CALLED ON NULL INPUT');
SELECT ok((SELECT 'search_path=pg_catalog, pg_temp' = ANY (p.proconfig) FROM pg_catalog.pg_proc p
            WHERE p.oid = to_regprocedure('treasure.set_item_cap(text, integer)')),
          'set_item_cap pins search_path = pg_catalog, pg_temp');
SELECT isnt(obj_description(to_regprocedure('treasure.set_item_cap(text, integer)'), 'pg_proc'), NULL, 'set_item_cap has a comment');

-- treasure.reverse_claim(bigint, uuid, text, boolean)
SELECT has_function('treasure', 'reverse_claim', ARRAY['bigint', 'uuid', 'text', 'boolean'], 'treasure.reverse_claim(bigint, uuid, text, boolean) exists');
SELECT is((SELECT count(*)::int FROM pg_catalog.pg_proc p WHERE p.proname = 'reverse_claim'), 1, 'reverse_claim: exactly one overload, in one schema');
SELECT is(pg_catalog.pg_get_function_arguments(to_regprocedure('treasure.reverse_claim(bigint, uuid, text, boolean)')),
          'player_id bigint, request_id uuid, reason text, force boolean DEFAULT false', 'reverse_claim: argument names and defaults');
SELECT is(pg_catalog.pg_get_function_result(to_regprocedure('treasure.reverse_claim(bigint, uuid, text, boolean)')),
          'TABLE(status text, claim_id bigint, coins_taken bigint, items_taken jsonb, key_returned text, shortfall jsonb, balance bigint, reversed_at timestamp with time zone)', 'reverse_claim returns TABLE');
SELECT is_definer('treasure', 'reverse_claim', ARRAY['bigint', 'uuid', 'text', 'boolean'], 'reverse_claim is SECURITY DEFINER');
SELECT volatility_is('treasure', 'reverse_claim', ARRAY['bigint', 'uuid', 'text', 'boolean'], 'volatile', 'reverse_claim is VOLATILE');
SELECT isnt_strict('treasure', 'reverse_claim', ARRAY['bigint', 'uuid', 'text', 'boolean'], 'reverse_claim is CALLED ON NULL INPUT');
SELECT ok((SELECT 'search_path=pg_catalog, pg_temp' = ANY (p.proconfig) FROM pg_catalog.pg_proc p
            WHERE p.oid = to_regprocedure('treasure.reverse_claim(bigint, uuid, text, boolean)')),
          'reverse_claim pins search_path = pg_catalog, pg_temp');
SELECT isnt(obj_description(to_regprocedure('treasure.reverse_claim(bigint, uuid, text, boolean)'), 'pg_proc'), NULL, 'reverse_claim has a comment');

-- treasure.explain_claim(bigint, uuid)
SELECT has_function('treasure', 'explain_claim', ARRAY['bigint', 'uuid'], 'treasure.explain_claim(bigint, uuid) exists');
SELECT is((SELECT count(*)::int FROM pg_catalog.pg_proc p WHERE p.proname = 'explain_claim'), 1, 'explain_claim: exactly one overload, in one schema');
SELECT is(pg_catalog.pg_get_function_arguments(to_regprocedure('treasure.explain_claim(bigint, uuid)')),
          'player_id bigint, request_id uuid', 'explain_claim: argument names and defaults');
SELECT is(pg_catalog.pg_get_function_result(to_regprocedure('treasure.explain_claim(bigint, uuid)')),
          'TABLE(roll integer, entry integer, item text, qty integer, coins bigint, weight integer, total_weight integer, draw bigint, reason text)', 'explain_claim returns TABLE');
SELECT is_definer('treasure', 'explain_claim', ARRAY['bigint', 'uuid'], 'explain_claim is SECURITY DEFINER');
SELECT ok((SELECT p.provolatile <> 'i' FROM pg_catalog.pg_proc p WHERE p.oid = to_regprocedure('treasure.explain_claim(bigint, uuid)')),
          'explain_claim is not IMMUTABLE (it reads tables)');
SELECT isnt_strict('treasure', 'explain_claim', ARRAY['bigint', 'uuid'], 'explain_claim is CALLED ON NULL INPUT');
SELECT ok((SELECT 'search_path=pg_catalog, pg_temp' = ANY (p.proconfig) FROM pg_catalog.pg_proc p
            WHERE p.oid = to_regprocedure('treasure.explain_claim(bigint, uuid)')),
          'explain_claim pins search_path = pg_catalog, pg_temp');
SELECT isnt(obj_description(to_regprocedure('treasure.explain_claim(bigint, uuid)'), 'pg_proc'), NULL, 'explain_claim has a comment');
SELECT * FROM finish();
ROLLBACK;
