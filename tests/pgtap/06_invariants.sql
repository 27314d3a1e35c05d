-- Invariants after a scripted, deterministic mix of claims, replays, duplicates, grants, redefinitions,
-- reversals and errors by five players over fourteen chests (1.3.0: a bundle chest and a loot chest).  Every assertion is a query for disagreements that must be empty.
BEGIN;
SELECT plan(22);

DO $$
BEGIN
  PERFORM treasure.put_chest(1, 10);
  PERFORM treasure.put_chest(2, 25, 'gem', 2);
  PERFORM treasure.put_chest(3, 40, 'crown', 1, 'bronze_key');
  PERFORM treasure.put_chest(4, 5, NULL, 1, 'bronze_key');
  PERFORM treasure.put_chest(5, 60, 'silver_key', 1);                 -- gives the key chest 6 needs
  PERFORM treasure.put_chest(6, 100, 'ruby', 3, 'silver_key');
  PERFORM treasure.put_chest(7, 15, NULL, 1, NULL, now() - interval '1 hour', now() + interval '1 hour');
  PERFORM treasure.put_chest(8, 15, NULL, 1, NULL, now() + interval '1 hour');
  PERFORM treasure.put_chest(9, 0, 'bronze_key', 2);                  -- gives keys, no coins
  PERFORM treasure.put_chest(10, 1000, NULL, 1, 'gold_key');          -- nobody ever holds a gold_key
  PERFORM treasure.put_chest(11, 20, NULL, 1, NULL, now() - interval '2 days', now() - interval '1 day');
  PERFORM treasure.put_chest(12, 7, 'gem', 5, 'bronze_key');
  PERFORM treasure.put_chest(13, 3, 'gem', 1);                        -- a bundle
  PERFORM treasure.put_chest_item(13, 'pearl', 2);
  PERFORM treasure.put_chest_item(13, 'amber', 1);
  PERFORM treasure.put_chest(14, 1);                                  -- loot
  PERFORM treasure.put_loot(14, 4, '[{"item": "pearl", "qty": 1, "weight": 2}, {"item": null, "coins": 9, "weight": 3},
                                     {"item": "crown", "qty": 1, "weight": 1, "max_repeats": 1}]', 'invariants seed');
END
$$;

-- Every call of the script and what came of it.
CREATE TEMP TABLE calls (
  step integer PRIMARY KEY, kind text NOT NULL, player_id bigint, chest_id bigint, request_id uuid,
  sqlstate text, status text, replayed boolean, claim_id bigint, coins_awarded bigint, item_awarded text,
  item_qty integer, key_used text, balance bigint
);

DO $$
DECLARE
  player bigint;
  chest bigint;
  request uuid;
  r record;
  earlier record;
BEGIN
  FOR i IN 1..400 LOOP
    player := 1 + (i * 7) % 5;
    chest := 1 + (i * 13 + i / 37) % 14;
    request := pg_catalog.format('00000000-0000-0000-0000-%s', pg_catalog.lpad(i::text, 12, '0'))::uuid;

    IF i % 6 = 0 THEN
      -- retry the previous call exactly: a replay if it claimed
      SELECT c.player_id, c.chest_id, c.request_id INTO earlier FROM calls c WHERE c.step = i - 1;
      IF earlier.request_id IS NOT NULL THEN
        player := earlier.player_id; chest := earlier.chest_id; request := earlier.request_id;
      END IF;
    ELSIF i % 11 = 0 THEN
      -- an earlier request_id for another player or chest: 23505 if that request claimed
      SELECT c.request_id INTO earlier FROM calls c WHERE c.step = i - 2;
      IF earlier.request_id IS NOT NULL THEN
        request := earlier.request_id;
      END IF;
    END IF;

    IF i % 9 = 0 THEN
      -- a grant of the key some chests need, or of the item others give
      BEGIN
        PERFORM treasure.grant_item(player, CASE WHEN i % 2 = 0 THEN 'bronze_key' ELSE 'gem' END, 1 + i % 3);
        INSERT INTO calls (step, kind, player_id) VALUES (i, 'grant', player);
      EXCEPTION WHEN OTHERS THEN
        INSERT INTO calls (step, kind, player_id, sqlstate) VALUES (i, 'grant', player, SQLSTATE);
      END;
      CONTINUE;
    END IF;
    IF i % 47 = 0 THEN
      PERFORM treasure.grant_item(player, 'silver_key', 1);
      INSERT INTO calls (step, kind, player_id) VALUES (i, 'grant', player);
      CONTINUE;
    END IF;
    IF i % 53 = 0 THEN
      -- reverse the latest claim (forced: the player may have spent some of it)
      SELECT c.player_id, c.request_id INTO earlier FROM calls c
       WHERE c.status = 'claimed' AND NOT c.replayed ORDER BY c.step DESC LIMIT 1;
      SELECT * INTO STRICT r FROM treasure.reverse_claim(earlier.player_id, earlier.request_id, 'invariants', true);
      INSERT INTO calls (step, kind, player_id, request_id, status) VALUES (i, 'reverse', earlier.player_id, earlier.request_id, r.status);
      CONTINUE;
    END IF;
    IF i = 200 THEN
      -- redefine chests mid-way: claims already made keep what they awarded
      PERFORM treasure.put_chest(1, 11, 'gem', 1);
      PERFORM treasure.put_chest(8, 15);                                 -- opens the closed chest for good
      INSERT INTO calls (step, kind) VALUES (i, 'put_chest');
      CONTINUE;
    END IF;
    -- invalid calls, each of which must write nothing
    IF i % 17 = 0 THEN chest := 999; END IF;                             -- P0002
    IF i % 23 = 0 THEN player := 0; END IF;                              -- 22023
    IF i % 29 = 0 THEN request := NULL; END IF;                          -- 22004
    IF i % 31 = 0 THEN
      BEGIN
        PERFORM treasure.grant_item(player, '   ', 1);                   -- 22023
      EXCEPTION WHEN OTHERS THEN
        INSERT INTO calls (step, kind, player_id, sqlstate) VALUES (i, 'grant', player, SQLSTATE);
      END;
      CONTINUE;
    END IF;

    BEGIN
      SELECT * INTO STRICT r FROM claim_treasure(player, chest, request, CASE WHEN i % 4 = 0 THEN i END);
      INSERT INTO calls VALUES (i, 'claim', player, chest, request, NULL, r.status, r.replayed, r.claim_id,
                                r.coins_awarded, r.item_awarded, r.item_qty, r.key_used, r.balance);
    EXCEPTION WHEN OTHERS THEN
      INSERT INTO calls (step, kind, player_id, chest_id, request_id, sqlstate)
      VALUES (i, 'claim', player, chest, request, SQLSTATE);
    END;
  END LOOP;
END
$$;

-- The script exercised everything ------------------------------------------------------------------------------
SELECT set_has($$
  SELECT kind || ':' || COALESCE(sqlstate, status || CASE WHEN replayed THEN ' (replay)' ELSE '' END, 'ok') FROM calls
$$, $$
  VALUES ('claim:claimed'), ('claim:claimed (replay)'), ('claim:already_claimed'), ('claim:key_required'),
         ('claim:chest_closed'), ('claim:P0002'), ('claim:22023'), ('claim:22004'), ('claim:23505'),
         ('grant:ok'), ('grant:22023'), ('put_chest:ok'), ('reverse:reversed')
$$, 'the script produced every status, a replay, a reversal, and every kind of error');
SELECT cmp_ok((SELECT count(*) FROM treasure.claims WHERE key_used IS NOT NULL)::int, '>=', 5,
              'several claims consumed a key');
SELECT cmp_ok((SELECT count(DISTINCT player_id) FROM treasure.claims)::int, '>=', 3, 'at least three players claimed');

-- Coins ------------------------------------------------------------------------------------------------------
SELECT is_empty($$
  SELECT player_id, w.balance, c.coins
    FROM treasure.wallets w
    FULL JOIN (SELECT player_id, sum(coins) AS coins
                 FROM (SELECT player_id, coins_awarded AS coins FROM treasure.claims
                       UNION ALL SELECT player_id, -coins_taken FROM treasure.claim_reversals) m
                GROUP BY player_id) c USING (player_id)
   WHERE w.balance IS NULL OR w.balance IS DISTINCT FROM COALESCE(c.coins, 0)
$$, 'every wallet balance is the sum of its claims'' coins less the sum of its reversals'' coins, and every claiming player has a wallet');
SELECT is_empty($$
  SELECT player_id, s.claims, c.n, s.coins_awarded, c.coins, s.last_claim_at, c.last_at
    FROM treasure.player_stats s
    FULL JOIN (SELECT k.player_id, count(*) AS n, sum(k.coins_awarded - COALESCE(v.coins_taken, 0)) AS coins,
                      max(k.claimed_at) AS last_at
                 FROM treasure.claims k
                 LEFT JOIN treasure.claim_reversals v ON v.player_id = k.player_id AND v.claim_id = k.claim_id
                GROUP BY k.player_id) c USING (player_id)
   WHERE s.claims IS DISTINCT FROM c.n OR s.coins_awarded IS DISTINCT FROM c.coins
      OR s.last_claim_at IS DISTINCT FROM c.last_at
$$, 'player_stats: claims = count(claims), coins_awarded = sum of coins less reversals'', last_claim_at = latest claim, per player');

-- The analytics ledger -------------------------------------------------------------------------------------------
SELECT is_empty($$
  SELECT k.player_id, k.claim_id, count(e.event_id)
    FROM treasure.claims k
    LEFT JOIN treasure.claim_events e ON e.player_id = k.player_id AND e.claim_id = k.claim_id
   GROUP BY k.player_id, k.claim_id
  HAVING count(e.event_id) <> 1
$$, 'exactly one claim_events row per claim');
SELECT is_empty($$
  SELECT e.* FROM treasure.claim_events e
   WHERE NOT EXISTS (SELECT FROM treasure.claims k
                      WHERE k.player_id = e.player_id AND k.claim_id = e.claim_id AND k.chest_id = e.chest_id
                        AND k.coins_awarded = e.coins_awarded AND k.claimed_at = e.occurred_at)
     AND NOT EXISTS (SELECT FROM treasure.claim_reversals v JOIN treasure.claims k USING (player_id, claim_id)
                      WHERE v.player_id = e.player_id AND v.reversal_id = e.claim_id AND k.chest_id = e.chest_id
                        AND -v.coins_taken = e.coins_awarded AND v.reversed_at = e.occurred_at)
$$, 'every event matches its claim (player, claim_id, chest, coins and time) or its reversal (negative coins)');
SELECT is_empty($$
  SELECT v.player_id, v.claim_id FROM treasure.claim_reversals v
   WHERE (SELECT count(*) FROM treasure.claim_events e WHERE e.player_id = v.player_id AND e.claim_id = v.reversal_id) <> 1
$$, 'exactly one claim_events row per reversal');
SELECT is_empty($$
  SELECT e.player_id, e.event_id, e.balance_after, e.running
    FROM (SELECT player_id, event_id, balance_after,
                 sum(coins_awarded) OVER (PARTITION BY player_id ORDER BY event_id) AS running
            FROM treasure.claim_events) e
   WHERE e.balance_after <> e.running
$$, 'balance_after is the running sum of the player''s coins');
SELECT is((SELECT count(*) FROM treasure.claim_events),
          (SELECT count(*) FROM treasure.claims) + (SELECT count(*) FROM treasure.claim_reversals),
          'one event per claim plus one per reversal');

-- Items ----------------------------------------------------------------------------------------------------
SELECT is_empty($$
  WITH moves AS (
    SELECT player_id, item, qty::bigint AS delta FROM treasure.item_grants
    UNION ALL SELECT player_id, item, qty FROM treasure.claim_awards
    UNION ALL SELECT player_id, key_used, -1 FROM treasure.claims WHERE key_used IS NOT NULL
    UNION ALL SELECT player_id, key_returned, 1 FROM treasure.claim_reversals WHERE key_returned IS NOT NULL
    UNION ALL SELECT v.player_id, t->>'item', -(t->>'qty')::bigint
                FROM treasure.claim_reversals v, jsonb_array_elements(v.items_taken) t
  ), expected AS (
    SELECT player_id, item, sum(delta) AS qty FROM moves GROUP BY player_id, item
  )
  SELECT player_id, item, i.qty AS have, x.qty AS want
    FROM treasure.inventories i FULL JOIN expected x USING (player_id, item)
   WHERE i.qty IS DISTINCT FROM x.qty
$$, 'inventory qty = grants + awards - keys used + refunded keys - reversed items, for every (player, item)');
SELECT is_empty($$
  SELECT k.claim_id FROM treasure.claims k
   WHERE k.item_awarded IS NOT NULL
     AND NOT EXISTS (SELECT FROM treasure.claim_awards a WHERE a.player_id = k.player_id AND a.claim_id = k.claim_id
                        AND a.source = 'guaranteed' AND a.item = k.item_awarded AND a.qty = k.item_qty)
$$, 'every claim''s own item is among its claim_awards');
SELECT is_empty($$
  SELECT k.* FROM treasure.claims k JOIN treasure.chests c USING (chest_id)
   WHERE k.key_used IS DISTINCT FROM c.key_item
$$, 'every claim used exactly its chest''s key (none for a chest without one)');
SELECT is_empty($$
  SELECT p.player_id FROM (SELECT DISTINCT player_id FROM treasure.inventories) p
   WHERE NOT EXISTS (SELECT FROM treasure.wallets w WHERE w.player_id = p.player_id)
$$, 'every player holding items has a wallet');

-- What the calls returned agrees with what was stored ------------------------------------------------------------
SELECT is_empty($$
  SELECT c.step FROM calls c
    LEFT JOIN treasure.claims k ON k.request_id = c.request_id
   WHERE c.status = 'claimed'
     AND (k.claim_id IS DISTINCT FROM c.claim_id OR k.player_id <> c.player_id OR k.chest_id <> c.chest_id
          OR k.coins_awarded <> c.coins_awarded OR k.item_awarded IS DISTINCT FROM c.item_awarded
          OR k.item_qty IS DISTINCT FROM c.item_qty OR k.key_used IS DISTINCT FROM c.key_used)
$$, 'every claimed (or replayed) row is the stored claim of its request_id');
SELECT is_empty($$
  SELECT c.step FROM calls c
    JOIN treasure.claim_events e ON e.player_id = c.player_id AND e.claim_id = c.claim_id
   WHERE c.status = 'claimed' AND e.balance_after <> c.balance
$$, 'every claimed (or replayed) row returns the balance right after that claim');
SELECT is_empty($$
  SELECT c.step FROM calls c
    LEFT JOIN treasure.claims k ON k.player_id = c.player_id AND k.chest_id = c.chest_id
   WHERE c.status = 'already_claimed'
     AND (k.claim_id IS DISTINCT FROM c.claim_id OR c.coins_awarded <> 0 OR k.request_id = c.request_id)
$$, 'every already_claimed row names the existing claim of another request and awards 0 coins');
SELECT is_empty($$
  SELECT c.step FROM calls c
   WHERE c.status IN ('key_required', 'chest_closed')
     AND (c.claim_id IS NOT NULL OR c.coins_awarded <> 0
          OR (EXISTS (SELECT FROM treasure.claims k WHERE k.request_id = c.request_id)
              AND NOT EXISTS (SELECT FROM calls o WHERE o.request_id = c.request_id AND o.status = 'claimed')))
$$, 'key_required and chest_closed award nothing and do not bind their request_id (a later call may)');
SELECT is_empty($$
  SELECT c.step FROM calls c
   WHERE c.kind = 'claim' AND c.sqlstate IS NOT NULL AND c.sqlstate <> '23505'
     AND EXISTS (SELECT FROM treasure.claims k WHERE k.request_id = c.request_id)
     AND NOT EXISTS (SELECT FROM calls o WHERE o.request_id = c.request_id AND o.status = 'claimed')
$$, 'a failed call never left a claim behind');
SELECT is_empty($$
  SELECT k.* FROM treasure.claims k
   WHERE k.chest_id IN (10, 11)
      OR (k.chest_id = 8 AND NOT EXISTS (SELECT FROM calls c WHERE c.kind = 'put_chest' AND c.step < (
            SELECT min(o.step) FROM calls o WHERE o.request_id = k.request_id)))
$$, 'no claim of a chest that was closed or needed a key nobody held');
SELECT is((SELECT count(*)::int FROM treasure.claims), (SELECT count(DISTINCT request_id)::int FROM calls
                                                          WHERE status = 'claimed' AND NOT replayed),
          'one claim per request_id that returned claimed (not replayed)');

SELECT is_empty('SELECT * FROM treasure.reconcile()', 'reconcile() finds no disagreement after the whole script');
SELECT * FROM finish();
ROLLBACK;
