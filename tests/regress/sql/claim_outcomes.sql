-- Every outcome of claim_treasure() and what it writes.
-- claimed_at is compared with now() rather than printed, so the expected output is deterministic.
\pset null '(null)'
-- Suites share one database: start from empty tables and fresh sequences.
TRUNCATE treasure.chests, treasure.wallets, treasure.inventories, treasure.claims, treasure.claim_events, treasure.claim_awards,
         treasure.item_grants RESTART IDENTITY;

-- Totals over every table a claim touches: a call that must write nothing leaves this unchanged.
CREATE FUNCTION pg_temp.ledger() RETURNS TABLE (
  wallets bigint, coins numeric, inventory_rows bigint, items bigint, claims bigint, events bigint,
  stats_claims numeric, stats_coins numeric)
LANGUAGE sql AS $$
  SELECT (SELECT count(*) FROM treasure.wallets), (SELECT COALESCE(sum(balance), 0) FROM treasure.wallets),
         (SELECT count(*) FROM treasure.inventories), (SELECT COALESCE(sum(qty), 0) FROM treasure.inventories),
         (SELECT count(*) FROM treasure.claims), (SELECT count(*) FROM treasure.claim_events),
         (SELECT COALESCE(sum(claims), 0) FROM treasure.player_stats),
         (SELECT COALESCE(sum(coins_awarded), 0) FROM treasure.player_stats)
$$;

SELECT treasure.put_chest(1, 100);                                   -- plain coins
SELECT treasure.put_chest(2, 50, 'golden_key');                      -- gives a key
SELECT treasure.put_chest(3, 500, 'crown', 2, 'golden_key');         -- needs the key, gives two crowns
SELECT treasure.put_chest(4, 10, opens_at => now() + interval '1 hour');
SELECT treasure.put_chest(5, 10, opens_at => now() - interval '2 hours', closes_at => now() - interval '1 hour');
SELECT treasure.put_chest(6, 0, 'map');                              -- an item and no coins

-- claimed: coins only.  The wallet, the claim, its event and the stats appear together.
SELECT status, replayed, claim_id, coins_awarded, item_awarded, item_qty, key_used, balance, claimed_at = now() AS now
  FROM claim_treasure(10, 1, '00000000-0000-0000-0000-00000000a001', 7);
SELECT player_id, balance FROM treasure.wallets ORDER BY player_id;
SELECT player_id, chest_id, claim_id, request_id, session_id, coins_awarded, item_awarded, item_qty, key_used
  FROM treasure.claims ORDER BY claim_id;
SELECT player_id, claim_id, event_id, chest_id, coins_awarded, balance_after, occurred_at = now() AS now
  FROM treasure.claim_events ORDER BY event_id;
SELECT player_id, claims, coins_awarded, last_claim_at = now() AS now FROM treasure.player_stats;

-- claimed, replayed: the same request_id returns the original row and writes nothing.
SELECT * FROM pg_temp.ledger();
SELECT status, replayed, claim_id, coins_awarded, item_awarded, item_qty, key_used, balance
  FROM claim_treasure(10, 1, '00000000-0000-0000-0000-00000000a001', 7);
SELECT * FROM pg_temp.ledger();

-- already_claimed: another request_id for the same chest; names the existing claim, awards nothing.
SELECT status, replayed, claim_id, coins_awarded, item_awarded, item_qty, key_used, balance
  FROM claim_treasure(10, 1, '00000000-0000-0000-0000-00000000a002');
SELECT * FROM pg_temp.ledger();

-- key_required: chest 3 needs a golden_key that player 10 does not hold yet.
SELECT status, replayed, claim_id, coins_awarded, item_awarded, item_qty, key_used, balance, claimed_at
  FROM claim_treasure(10, 3, '00000000-0000-0000-0000-00000000a003');
SELECT * FROM pg_temp.ledger();

-- The key chest gives the key; then chest 3 consumes it and gives two crowns.
SELECT status, coins_awarded, item_awarded, item_qty, key_used, balance
  FROM claim_treasure(10, 2, '00000000-0000-0000-0000-00000000a004');
SELECT status, coins_awarded, item_awarded, item_qty, key_used, balance
  FROM claim_treasure(10, 3, '00000000-0000-0000-0000-00000000a003');
SELECT * FROM treasure.inventories ORDER BY player_id, item;

-- The request_id that got key_required earlier bound nothing; now that it claimed, it replays.
SELECT status, replayed, coins_awarded, item_awarded, item_qty, key_used, balance
  FROM claim_treasure(10, 3, '00000000-0000-0000-0000-00000000a003');

-- The only key was consumed: a second key chest is key_required.
SELECT treasure.put_chest(7, 70, key_item => 'golden_key');
SELECT status, balance FROM claim_treasure(10, 7, '00000000-0000-0000-0000-00000000a005');

-- chest_closed: before opens_at and after closes_at.  Nothing written.
SELECT * FROM pg_temp.ledger();
SELECT status, replayed, claim_id, coins_awarded, balance, claimed_at
  FROM claim_treasure(10, 4, '00000000-0000-0000-0000-00000000a006');
SELECT status, replayed, claim_id, coins_awarded, balance, claimed_at
  FROM claim_treasure(11, 5, '00000000-0000-0000-0000-00000000a007');
SELECT * FROM pg_temp.ledger();

-- A chest the player already claimed reports already_claimed even after it closed.
SELECT treasure.put_chest(1, 100, closes_at => now() - interval '1 minute', opens_at => now() - interval '1 day');
SELECT status, coins_awarded, balance FROM claim_treasure(10, 1, '00000000-0000-0000-0000-00000000a008');
-- ... and a replay of its request still replays.
SELECT status, replayed, coins_awarded, balance FROM claim_treasure(10, 1, '00000000-0000-0000-0000-00000000a001');

-- An item with no coins; a first claim opens the wallet at 0.
SELECT status, coins_awarded, item_awarded, item_qty, balance
  FROM claim_treasure(12, 6, '00000000-0000-0000-0000-00000000a009');
SELECT player_id, balance FROM treasure.wallets WHERE player_id = 12;

-- Granted keys open key chests; grant_item returns the new quantity and opens the wallet.
SELECT treasure.grant_item(13, 'golden_key', 2);
SELECT treasure.grant_item(13, 'golden_key', 1);
SELECT player_id, balance FROM treasure.wallets WHERE player_id = 13;
SELECT status, item_awarded, key_used, balance FROM claim_treasure(13, 3, '00000000-0000-0000-0000-00000000a010');
SELECT status, item_awarded, key_used, balance FROM claim_treasure(13, 7, '00000000-0000-0000-0000-00000000a011');
SELECT * FROM treasure.inventories WHERE player_id = 13 ORDER BY item;

-- A player with no wallet and no items gets key_required without anything being written.
SELECT * FROM pg_temp.ledger();
SELECT status, balance FROM claim_treasure(14, 3, '00000000-0000-0000-0000-00000000a012');
SELECT * FROM pg_temp.ledger();

-- SELECT claim_treasure(...) in the target list returns the same composite row.
SELECT (claim_treasure(15, 1, '00000000-0000-0000-0000-00000000a013')).status;

-- Redefining a chest changes future claims only; what was claimed keeps what it awarded.
SELECT treasure.put_chest(2, 5000, 'silver_key');
SELECT status, replayed, coins_awarded, item_awarded FROM claim_treasure(10, 2, '00000000-0000-0000-0000-00000000a004');

-- Invariants after the whole script.
SELECT w.player_id, w.balance, COALESCE(c.coins, 0) AS claimed_coins, s.claims, s.coins_awarded
  FROM treasure.wallets w
  LEFT JOIN (SELECT player_id, sum(coins_awarded) AS coins FROM treasure.claims GROUP BY player_id) c USING (player_id)
  LEFT JOIN treasure.player_stats s USING (player_id)
 ORDER BY player_id;
SELECT count(*) AS claims_without_exactly_one_event
  FROM treasure.claims c
 WHERE (SELECT count(*) FROM treasure.claim_events e WHERE e.player_id = c.player_id AND e.claim_id = c.claim_id) <> 1;

-- treasure.reconcile() agrees: no disagreement anywhere.
SELECT * FROM treasure.reconcile();
