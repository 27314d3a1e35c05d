-- treasure 1.3.0's features through claim_treasure() (and its companion claim_details()): bundles, loot,
-- stock, the claim limit, caps and reversals, every new status and SQLSTATE, with "nothing written" ledgers.
-- Runs on both paths like every regress file; featured claims are the statements path's (pg_temp.took).
\pset null '(null)'
TRUNCATE treasure.chests, treasure.wallets, treasure.inventories, treasure.claims, treasure.claim_events, treasure.claim_awards,
         treasure.item_grants, treasure.claim_loot, treasure.chest_items, treasure.loot_tables, treasure.loot_seeds,
         treasure.stock_slots, treasure.claim_rules, treasure.item_caps, treasure.claim_features,
         treasure.claim_reversals RESTART IDENTITY;
\i tests/regress/include/error_of.sql
\i tests/regress/include/took.sql

-- Totals over every table a claim or a reversal touches: a refusal leaves this unchanged.
CREATE FUNCTION pg_temp.ledger() RETURNS TABLE (
  wallets bigint, coins numeric, tokens text, inventory_rows bigint, items bigint, claims bigint, events bigint,
  awards bigint, rolls bigint, stock_taken numeric, reversals bigint)
LANGUAGE sql AS $$
  SELECT (SELECT count(*) FROM treasure.wallets), (SELECT COALESCE(sum(balance), 0) FROM treasure.wallets),
         (SELECT string_agg(player_id || ':' || round(claim_tokens::numeric, 3), ',' ORDER BY player_id)
            FROM treasure.wallets WHERE claim_tokens IS NOT NULL),
         (SELECT count(*) FROM treasure.inventories), (SELECT COALESCE(sum(qty), 0) FROM treasure.inventories),
         (SELECT count(*) FROM treasure.claims), (SELECT count(*) FROM treasure.claim_events),
         (SELECT count(*) FROM treasure.claim_awards), (SELECT count(*) FROM treasure.claim_loot),
         (SELECT COALESCE(sum(taken), 0) FROM treasure.stock_slots), (SELECT count(*) FROM treasure.claim_reversals)
$$;
-- A claim with its companion, in one statement, as clients send it.
CREATE FUNCTION pg_temp.claim(player bigint, chest bigint, request int)
  RETURNS TABLE (status text, replayed boolean, coins_awarded bigint, item_awarded text, item_qty integer,
                 key_used text, balance bigint, details jsonb)
LANGUAGE sql AS $$
  SELECT c.status, c.replayed, c.coins_awarded, c.item_awarded, c.item_qty, c.key_used, c.balance,
         treasure.claim_details(player, c.claim_id, c.status)
    FROM claim_treasure(player, chest, ('00000000-0000-0000-0000-' || lpad(request::text, 12, '0'))::uuid) c
$$;
CREATE FUNCTION pg_temp.request(request int) RETURNS uuid
LANGUAGE sql AS $$ SELECT ('00000000-0000-0000-0000-' || lpad(request::text, 12, '0'))::uuid $$;

-- Bundles: put_chest's item first, then the guaranteed items.
SELECT treasure.put_chest(1, 10, 'gem', 2);
SELECT treasure.put_chest_item(1, 'ruby', 3);
SELECT treasure.put_chest_item(1, 'amber', 1);
SELECT treasure.put_chest_item(1, 'amber', 0);   -- removed again
SELECT * FROM treasure.chest_items ORDER BY chest_id, item;
SELECT * FROM pg_temp.claim(10, 1, 1);
SELECT pg_temp.took('statements');
SELECT player_id, item, qty FROM treasure.inventories ORDER BY player_id, item;
SELECT player_id, claim_id, source, item, qty FROM treasure.claim_awards ORDER BY claim_id, source, item;
SELECT * FROM pg_temp.claim(10, 1, 1);           -- the replay lists the same awards
-- A plain chest (no features, no rules): 1.2.0's rows, and its item recorded too; the direct path takes it.
SELECT treasure.put_chest(2, 5, 'map');
SELECT * FROM pg_temp.claim(10, 2, 2);
SELECT pg_temp.took('direct');
SELECT * FROM pg_temp.claim(10, 1, 3);           -- already_claimed
SELECT * FROM treasure.claim_features ORDER BY chest_id;

-- Loot: three rolls, the crown at most once; the seed is fixed, so the rolls are.
SELECT treasure.put_chest(3, 1);
SELECT treasure.put_loot(3, 3, '[{"item": "crown", "qty": 1, "weight": 1, "max_repeats": 1},
                                 {"item": null, "coins": 40, "weight": 2},
                                 {"item": "pearl", "qty": 2, "weight": 1}]', 'regress seed');
SELECT * FROM pg_temp.claim(11, 3, 4);
SELECT * FROM treasure.explain_claim(11, pg_temp.request(4));
-- The stored rolls are loot_roll()'s for (player, chest, version, seed): not a function of the request_id.
SELECT roll, entry, item, qty, coins, draw FROM treasure.loot_roll(11, 3, 1, 'regress seed', 3,
  (SELECT entries FROM treasure.loot_tables WHERE chest_id = 3))
EXCEPT SELECT roll, entry, item, qty, coins, draw FROM treasure.claim_loot WHERE player_id = 11;
-- A new table version changes later claims, never an earlier claim's replay or explanation.
SELECT treasure.put_loot(3, 1, '[{"item": "stone", "qty": 1, "weight": 1}]', 'another seed');
SELECT * FROM pg_temp.claim(11, 3, 4);
SELECT count(*) AS rows_explained FROM treasure.explain_claim(11, pg_temp.request(4));
SELECT * FROM pg_temp.claim(12, 3, 5);
SELECT treasure.put_loot(3, 0, NULL);            -- removes the table
SELECT count(*) FROM treasure.loot_tables;

-- sold_out: two units; the third tap writes nothing; the winners' replays still claim.
SELECT treasure.put_chest(4, 100);
SELECT treasure.set_stock(4, 2);
SELECT * FROM treasure.chest_stock(4);
SELECT status FROM pg_temp.claim(20, 4, 6);
SELECT pg_temp.took('direct');                   -- the direct path takes a unit of stock itself
SELECT status FROM pg_temp.claim(21, 4, 7);
SELECT * FROM pg_temp.ledger();
SELECT * FROM pg_temp.claim(22, 4, 8);
SELECT * FROM pg_temp.ledger();
SELECT status, replayed FROM pg_temp.claim(20, 4, 6);
SELECT * FROM treasure.chest_stock(4);
SELECT count(*) AS slots FROM treasure.stock_slots WHERE chest_id = 4;
SELECT pg_temp.error_of($$SELECT treasure.set_stock(4, 1)$$);
SELECT treasure.set_stock(4, 3);
SELECT * FROM treasure.chest_stock(4);
SELECT treasure.set_stock(4, NULL);
SELECT * FROM treasure.chest_stock(4);
-- Stock split over 8 slots: 20 units, 20 winners, the 21st sold out.
SELECT treasure.put_chest(5, 1);
SELECT treasure.set_stock(5, 20);
SELECT count(*) AS slots, sum(capacity) FROM treasure.stock_slots WHERE chest_id = 5;
SELECT status, count(*) FROM (SELECT (pg_temp.claim(100 + p, 5, 100 + p)).status FROM generate_series(1, 21) p) s
 GROUP BY status ORDER BY status;
SELECT * FROM treasure.chest_stock(5);

-- Order: sold_out before key_required (facts about the chest first).
SELECT treasure.put_chest(6, 10, key_item => 'iron_key');
SELECT treasure.set_stock(6, 0);
SELECT status FROM pg_temp.claim(30, 6, 9);
SELECT treasure.set_stock(6, NULL);
SELECT status FROM pg_temp.claim(30, 6, 9);      -- key_required now

-- rate_limited: one claim per hour.  While a limit is set, a chest without a key is judged by either path's
-- own claim (the bucket on the wallet row); a chest with a key by claim_featured().
SELECT treasure.put_chest(7, 7);
SELECT treasure.put_chest(8, 8);
SELECT treasure.set_claim_limit(1, '1 hour');
SELECT * FROM treasure.claim_features ORDER BY chest_id;
SELECT status, balance FROM pg_temp.claim(40, 7, 10);
SELECT pg_temp.took('direct');
SELECT * FROM pg_temp.ledger();
SELECT status, replayed, coins_awarded, balance, (details->>'retry_after_ms')::bigint BETWEEN 1 AND 3600000 AS retry_after
  FROM pg_temp.claim(40, 8, 11);
SELECT * FROM pg_temp.ledger();
SELECT status, replayed FROM pg_temp.claim(40, 7, 10);   -- a replay is never throttled
SELECT status FROM pg_temp.claim(40, 7, 12);             -- already_claimed comes before rate_limited
SELECT status FROM pg_temp.claim(40, 6, 13);             -- key_required comes before rate_limited
SELECT treasure.set_claim_limit(NULL, NULL);
SELECT status FROM pg_temp.claim(40, 8, 11);

-- wallet_full and inventory_full: refused, never clamped.
SELECT treasure.set_wallet_cap(100);
SELECT * FROM pg_temp.ledger();
SELECT * FROM pg_temp.claim(41, 4, 14);          -- 100 coins into an empty wallet: exactly the cap
SELECT * FROM pg_temp.claim(41, 7, 15);          -- 7 more: over it
SELECT pg_temp.took('direct');
SELECT * FROM pg_temp.ledger();
SELECT treasure.set_wallet_cap(NULL);
SELECT treasure.set_item_cap('ruby', 4);
SELECT status FROM pg_temp.claim(42, 1, 16);     -- 3 rubies: within the cap
SELECT treasure.grant_item(43, 'ruby', 2);
SELECT * FROM pg_temp.ledger();
SELECT * FROM pg_temp.claim(43, 1, 17);          -- 2 + 3 > 4
SELECT * FROM pg_temp.ledger();
SELECT treasure.set_item_cap('ruby', NULL);
SELECT * FROM treasure.claim_features ORDER BY chest_id;

-- Reversals.
SELECT treasure.put_chest(9, 50, 'gem', 1, 'iron_key');
SELECT treasure.grant_item(50, 'iron_key', 1);
SELECT status, coins_awarded, key_used, balance FROM pg_temp.claim(50, 9, 18);
SELECT status, claim_id IS NOT NULL AS has_claim, coins_taken, items_taken, key_returned, shortfall, balance
  FROM treasure.reverse_claim(50, pg_temp.request(18), 'awarded by mistake');
SELECT status, coins_taken, items_taken, balance FROM treasure.reverse_claim(50, pg_temp.request(18), 'again');
SELECT item, qty FROM treasure.inventories WHERE player_id = 50 ORDER BY item;
SELECT coins_awarded, balance_after FROM treasure.claim_events WHERE player_id = 50 ORDER BY event_id;
SELECT reason, reversed_by = session_user AS by_session_user FROM treasure.claim_reversals WHERE player_id = 50;
SELECT status FROM pg_temp.claim(50, 9, 19);     -- the chest stays claimed
-- Spent: 55000 and nothing written; with force, the shortfall is recorded.
SELECT status FROM pg_temp.claim(51, 1, 20);
UPDATE treasure.wallets SET balance = balance - 4 WHERE player_id = 51;   -- spent 4 coins (a shop would)
UPDATE treasure.inventories SET qty = qty - 1 WHERE player_id = 51 AND item = 'ruby';
SELECT * FROM pg_temp.ledger();
SELECT pg_temp.error_of($$SELECT * FROM treasure.reverse_claim(51, pg_temp.request(20), 'cheat')$$);
SELECT * FROM pg_temp.ledger();
SELECT status, coins_taken, items_taken, shortfall, balance
  FROM treasure.reverse_claim(51, pg_temp.request(20), 'cheat', force => true);
SELECT pg_temp.error_of($$SELECT * FROM treasure.reverse_claim(51, pg_temp.request(999), 'x')$$);
SELECT pg_temp.error_of($$SELECT * FROM treasure.reverse_claim(52, pg_temp.request(20), 'x')$$);
SELECT pg_temp.error_of($$SELECT * FROM treasure.reverse_claim(51, pg_temp.request(20), NULL)$$);
SELECT pg_temp.error_of($$SELECT * FROM treasure.reverse_claim(51, pg_temp.request(20), '  ')$$);
-- reconcile() accounts for both reversals: it reports only the 4 coins and the ruby this test took outside
-- the extension (a shop would record them).
SELECT player_id, subject, expected, actual FROM treasure.reconcile() ORDER BY 1, 2;

-- Admin input checks.
SELECT pg_temp.error_of($$SELECT treasure.put_chest_item(999, 'x', 1)$$);
SELECT pg_temp.error_of($$SELECT treasure.put_chest_item(1, NULL, 1)$$);
SELECT pg_temp.error_of($$SELECT treasure.put_chest_item(1, 'x', -1)$$);
SELECT pg_temp.error_of($$SELECT treasure.put_chest_item(1, 'gem', 1)$$);
SELECT pg_temp.error_of($$SELECT treasure.put_chest_item(1, ' ', 1)$$);
SELECT pg_temp.error_of($$SELECT treasure.put_loot(999, 1, '[{"coins": 1, "weight": 1}]')$$);
SELECT pg_temp.error_of($$SELECT treasure.put_loot(3, NULL, '[]')$$);
SELECT pg_temp.error_of($$SELECT treasure.put_loot(3, 1, NULL)$$);
SELECT pg_temp.error_of($$SELECT treasure.put_loot(3, 33, '[{"coins": 1, "weight": 1}]')$$);
SELECT pg_temp.error_of($$SELECT treasure.put_loot(3, -1, '[{"coins": 1, "weight": 1}]')$$);
SELECT pg_temp.error_of($$SELECT treasure.put_loot(3, 1, '[]')$$);
SELECT pg_temp.error_of($$SELECT treasure.put_loot(3, 1, '{"coins": 1}')$$);
SELECT pg_temp.error_of($$SELECT treasure.put_loot(3, 1, (SELECT jsonb_agg('{"coins": 1, "weight": 1}'::jsonb) FROM generate_series(1, 65)))$$);
SELECT pg_temp.error_of($$SELECT treasure.put_loot(3, 1, '[{"coins": 1, "weight": 0}]')$$);
SELECT pg_temp.error_of($$SELECT treasure.put_loot(3, 1, '[{"coins": 1}]')$$);
SELECT pg_temp.error_of($$SELECT treasure.put_loot(3, 1, '[{"coins": -1, "weight": 1}]')$$);
SELECT pg_temp.error_of($$SELECT treasure.put_loot(3, 1, '[{"item": "x", "weight": 1}]')$$);
SELECT pg_temp.error_of($$SELECT treasure.put_loot(3, 1, '[{"item": "x", "qty": 0, "weight": 1}]')$$);
SELECT pg_temp.error_of($$SELECT treasure.put_loot(3, 1, '[{"coins": 1, "weight": 1, "colour": "red"}]')$$);
SELECT pg_temp.error_of($$SELECT treasure.put_loot(3, 3, '[{"coins": 1, "weight": 1, "max_repeats": 2}]')$$);
SELECT pg_temp.error_of($$SELECT treasure.put_loot(3, 1, '[{"coins": 1, "weight": 1}]', '')$$);
SELECT pg_temp.error_of($$SELECT treasure.put_loot(9, 1, '[{"item": "iron_key", "qty": 1, "weight": 1}]')$$);
SELECT pg_temp.error_of($$SELECT treasure.put_loot(3, 1, '[{"coins": 1, "weight": 2000000000}, {"coins": 1, "weight": 2000000000}]')$$);
SELECT pg_temp.error_of($$SELECT treasure.set_stock(NULL, 1)$$);
SELECT pg_temp.error_of($$SELECT treasure.set_stock(999, 1)$$);
SELECT pg_temp.error_of($$SELECT treasure.set_stock(4, -1)$$);
SELECT pg_temp.error_of($$SELECT treasure.set_claim_limit(5, NULL)$$);
SELECT pg_temp.error_of($$SELECT treasure.set_claim_limit(0, '1 minute')$$);
SELECT pg_temp.error_of($$SELECT treasure.set_claim_limit(5, '-1 minute')$$);
SELECT pg_temp.error_of($$SELECT treasure.set_wallet_cap(-1)$$);
SELECT pg_temp.error_of($$SELECT treasure.set_item_cap(NULL, 1)$$);
SELECT pg_temp.error_of($$SELECT treasure.set_item_cap('ruby', -1)$$);
SELECT pg_temp.error_of($$SELECT * FROM treasure.explain_claim(10, pg_temp.request(999))$$);
SELECT pg_temp.error_of($$SELECT * FROM treasure.explain_claim(NULL, pg_temp.request(1))$$);
SELECT * FROM treasure.chest_stock(999);
SELECT treasure.claim_details(10, NULL, 'already_claimed');

-- Leave no feature behind for the files that follow (they share the database).
TRUNCATE treasure.claim_loot, treasure.chest_items, treasure.loot_tables, treasure.loot_seeds, treasure.stock_slots,
         treasure.claim_rules, treasure.item_caps, treasure.claim_features, treasure.claim_reversals;
