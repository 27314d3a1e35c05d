-- The 1.3.0 functions of sql/CONTRACT-1.3.0.md as installed: exact signature (argument names, defaults,
-- result), SECURITY DEFINER, volatility, CALLED ON NULL INPUT, pinned search_path and a comment, one overload
-- each.  The contract leaves the volatility of the two read functions (chest_stock, explain_claim) open (NULL
-- below); they must at least not be IMMUTABLE.  claim_treasure() itself, unchanged since 1.2.0, is 01_contract's.
-- Each property is checked for every function of the table, one test per function.
BEGIN;
SELECT plan(91);

CREATE TEMP TABLE contract (signature text PRIMARY KEY, arguments text, result text, volatility "char");
INSERT INTO contract VALUES
  ('treasure.claim_details(bigint, bigint, text)', 'player_id bigint, claim_id bigint, status text', 'jsonb', 'v'),
  ('treasure.put_chest_item(bigint, text, integer)', 'chest_id bigint, item text, qty integer', 'void', 'v'),
  ('treasure.put_loot(bigint, integer, jsonb, text)',
   'chest_id bigint, rolls integer, entries jsonb, seed text DEFAULT NULL::text', 'integer', 'v'),
  ('treasure.set_stock(bigint, bigint)', 'chest_id bigint, stock bigint', 'void', 'v'),
  ('treasure.chest_stock(bigint)', 'chest_id bigint', 'TABLE(chest_id bigint, stock bigint, claimed bigint)', NULL),
  ('treasure.set_claim_limit(integer, interval)', 'max_claims integer, per interval', 'void', 'v'),
  ('treasure.set_wallet_cap(bigint)', 'max_balance bigint', 'void', 'v'),
  ('treasure.set_item_cap(text, integer)', 'item text, max_qty integer', 'void', 'v'),
  ('treasure.reverse_claim(bigint, uuid, text, boolean)',
   'player_id bigint, request_id uuid, reason text, force boolean DEFAULT false',
   'TABLE(status text, claim_id bigint, coins_taken bigint, items_taken jsonb, key_returned text, '
   'shortfall jsonb, balance bigint, reversed_at timestamp with time zone)', 'v'),
  ('treasure.explain_claim(bigint, uuid)', 'player_id bigint, request_id uuid',
   'TABLE(roll integer, entry integer, item text, qty integer, coins bigint, weight integer, total_weight integer, '
   'draw bigint, reason text)', NULL);
CREATE TEMP VIEW installed AS
  SELECT c.*, split_part(split_part(c.signature, '(', 1), '.', 2) AS name, p.*
    FROM contract c LEFT JOIN pg_catalog.pg_proc p ON p.oid = to_regprocedure(c.signature);

SELECT ok(oid IS NOT NULL, signature || ' exists') FROM installed ORDER BY signature;
SELECT is((SELECT count(*)::int FROM pg_catalog.pg_proc q WHERE q.proname = name), 1,
          name || ': exactly one overload, in one schema') FROM installed ORDER BY signature;
SELECT is(pg_catalog.pg_get_function_arguments(oid), arguments, name || ': argument names and defaults')
  FROM installed ORDER BY signature;
SELECT is(pg_catalog.pg_get_function_result(oid), result, name || ' returns ' || split_part(result, '(', 1))
  FROM installed ORDER BY signature;
SELECT ok(prosecdef, name || ' is SECURITY DEFINER') FROM installed ORDER BY signature;
SELECT CASE WHEN volatility IS NULL THEN ok(provolatile <> 'i', name || ' is not IMMUTABLE (it reads tables)')
            ELSE is(provolatile, volatility, name || ' is VOLATILE') END
  FROM installed ORDER BY signature;
SELECT ok(proisstrict IS FALSE, name || ' is CALLED ON NULL INPUT') FROM installed ORDER BY signature;
SELECT ok(coalesce('search_path=pg_catalog, pg_temp' = ANY (proconfig), false),
          name || ' pins search_path = pg_catalog, pg_temp') FROM installed ORDER BY signature;
SELECT isnt(obj_description(oid, 'pg_proc'), NULL, name || ' has a comment') FROM installed ORDER BY signature;

-- 1.4.0: the companion every claim's statement calls is C (extension/claim_details.cpp), no longer PL/pgSQL.
SELECT function_lang_is('treasure', 'claim_details', ARRAY['bigint', 'bigint', 'text'], 'c',
                        'claim_details is written in C (1.4.0)');

SELECT * FROM finish();
ROLLBACK;
