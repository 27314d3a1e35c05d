-- treasure.claim_details() in C (1.4.0) against 1.3.0's PL/pgSQL body, kept here as pg_temp.details_1_3_0
-- (copied from sql/treasure--1.2.0--1.3.0.sql): the same jsonb (same value, text and stored size), the same
-- NULLs, the same errors, for every kind of claim, in the claim's own statement as clients call it, on
-- either claim path.  Then a few hundred generated claims, each compared.
\pset null '(null)'
TRUNCATE treasure.chests, treasure.wallets, treasure.inventories, treasure.claims, treasure.claim_events, treasure.claim_awards,
         treasure.item_grants, treasure.claim_loot, treasure.chest_items, treasure.loot_tables, treasure.loot_seeds,
         treasure.stock_slots, treasure.claim_rules, treasure.item_caps, treasure.claim_features,
         treasure.claim_reversals RESTART IDENTITY;
\i tests/regress/include/error_of.sql

SELECT l.lanname, p.prosecdef, p.provolatile, p.proisstrict, p.proconfig
  FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
 WHERE p.oid = 'treasure.claim_details(bigint, bigint, text)'::regprocedure;

-- The 1.3.0 body, verbatim but for its name.
CREATE FUNCTION pg_temp.details_1_3_0(player_id bigint, claim_id bigint, status text)
  RETURNS jsonb
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp
  SET enable_seqscan = off
AS $$
DECLARE
  awards jsonb;
  loot_coins bigint;
  retry bigint;
BEGIN
  IF details_1_3_0.status = 'claimed' AND details_1_3_0.claim_id IS NOT NULL THEN
    awards := COALESCE((SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('item', a.item, 'qty', a.qty, 'source', a.source)
                                                    ORDER BY a.source, a.item)
                          FROM treasure.claim_awards a
                         WHERE a.player_id = details_1_3_0.player_id AND a.claim_id = details_1_3_0.claim_id), '[]');
    loot_coins := (SELECT sum(l.coins) FROM treasure.claim_loot l
                    WHERE l.player_id = details_1_3_0.player_id AND l.claim_id = details_1_3_0.claim_id);
    RETURN pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object('awards', awards, 'loot_coins', loot_coins));
  ELSIF details_1_3_0.status = 'rate_limited' THEN
    retry := treasure.claim_retry_after_ms(details_1_3_0.player_id);
    RETURN CASE WHEN retry IS NOT NULL THEN pg_catalog.jsonb_build_object('retry_after_ms', retry) END;
  END IF;
  RETURN NULL;
END
$$;

-- Whether two results are the same: as values, as text and in their stored size (a numeric stored another
-- way would print alike but differ in size).
CREATE FUNCTION pg_temp.same(got jsonb, reference jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
  SELECT got IS NOT DISTINCT FROM reference AND got::text IS NOT DISTINCT FROM reference::text
         AND pg_column_size(got) IS NOT DISTINCT FROM pg_column_size(reference)
$$;

-- A claim with both companions in its statement, as clients send it.
CREATE FUNCTION pg_temp.claim(player bigint, chest bigint, request int)
  RETURNS TABLE (status text, replayed boolean, details jsonb, same boolean)
LANGUAGE sql AS $$
  SELECT c.status, c.replayed, d.details, pg_temp.same(d.details, d.reference)
    FROM claim_treasure(player, chest, ('00000000-0000-0000-0000-' || lpad(request::text, 12, '0'))::uuid) c,
         LATERAL (SELECT treasure.claim_details(player, c.claim_id, c.status) AS details,
                         pg_temp.details_1_3_0(player, c.claim_id, c.status) AS reference) d
$$;
-- claim_details() alone, against the reference.
CREATE FUNCTION pg_temp.details(player bigint, claim bigint, status text)
  RETURNS TABLE (details jsonb, same boolean)
LANGUAGE sql AS $$
  SELECT d.details, pg_temp.same(d.details, d.reference)
    FROM (SELECT treasure.claim_details(player, claim, status) AS details,
                 pg_temp.details_1_3_0(player, claim, status) AS reference) d
$$;

SELECT treasure.put_chest(1, 10);                                   -- coins only
SELECT treasure.put_chest(2, 5, 'map');                             -- one item
SELECT treasure.put_chest(3, 10, 'gem', 2);                         -- a bundle
SELECT treasure.put_chest_item(3, 'ruby', 3);
SELECT treasure.put_chest_item(3, 'amber', 1);
SELECT treasure.put_chest(4, 1, 'shell', 1);                        -- loot, coins and items, and its own item
SELECT treasure.put_loot(4, 4, '[{"item": "crown", "qty": 1, "weight": 1, "max_repeats": 1},
                                 {"item": null, "coins": 40, "weight": 2},
                                 {"item": "pearl", "qty": 2, "weight": 1, "coins": 3}]', 'regress seed');
SELECT treasure.put_chest(5, 2);                                    -- loot of items only
SELECT treasure.put_loot(5, 2, '[{"item": "stone", "qty": 1, "weight": 1}, {"item": "twig", "qty": 4, "weight": 1}]',
                         'regress seed');
SELECT treasure.put_chest(6, 3);                                    -- one unit of stock
SELECT treasure.set_stock(6, 1);
SELECT treasure.put_chest(7, 9, 'gold', 1, 'iron_key');             -- needs a key

SELECT treasure.grant_item(10, 'iron_key', 1);
SELECT * FROM pg_temp.claim(10, 1, 1);
SELECT * FROM pg_temp.claim(10, 2, 2);
SELECT * FROM pg_temp.claim(10, 3, 3);
SELECT * FROM pg_temp.claim(10, 4, 4);
-- Three claims in one statement; then replays, which list the same awards.
SELECT chest, c.* FROM generate_series(5, 7) chest, LATERAL pg_temp.claim(10, chest, chest) c ORDER BY chest;
SELECT chest, c.* FROM generate_series(3, 4) chest, LATERAL pg_temp.claim(10, chest, chest) c ORDER BY chest;
-- Refusals: already_claimed, sold_out, key_required.
SELECT * FROM pg_temp.claim(10, 3, 8);
SELECT * FROM pg_temp.claim(11, 6, 9);
SELECT * FROM pg_temp.claim(11, 7, 10);

-- Later, in statements of their own, and in REPEATABLE READ (the claim's rows are seen in the statement
-- that wrote them).
SELECT d.* FROM treasure.claims k, pg_temp.details(k.player_id, k.claim_id, 'claimed') d ORDER BY k.claim_id;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT * FROM pg_temp.claim(12, 4, 11);
SELECT * FROM pg_temp.claim(12, 3, 12);
COMMIT;

-- rate_limited: with a retry while the bucket is empty, NULL without a limit or with a token.
SELECT * FROM pg_temp.details(12, NULL, 'rate_limited');
SELECT treasure.set_claim_limit(1, '1 hour');
SELECT * FROM pg_temp.details(13, NULL, 'rate_limited');            -- no wallet: a full bucket
SELECT status, same FROM pg_temp.claim(13, 1, 13);
SELECT status, (details->>'retry_after_ms')::bigint BETWEEN 1 AND 3600000 AS retry_after, same
  FROM pg_temp.claim(13, 2, 14);
SELECT (details->>'retry_after_ms')::bigint BETWEEN 1 AND 3600000 AS retry_after, same
  FROM pg_temp.details(13, 999, 'rate_limited');
SELECT * FROM pg_temp.details(NULL, NULL, 'rate_limited');
SELECT treasure.set_claim_limit(NULL, NULL);
SELECT * FROM pg_temp.details(13, NULL, 'rate_limited');

-- Other statuses, NULL arguments, an unknown claim, a claim of another player, statuses spelt otherwise.
SELECT s AS status, d.* FROM unnest(ARRAY['already_claimed', 'sold_out', 'key_required', 'chest_closed',
                                          'wallet_full', 'inventory_full', NULL]) s,
       pg_temp.details(10, 3, s) d;
SELECT * FROM pg_temp.details(10, NULL, 'claimed');
SELECT * FROM pg_temp.details(NULL, 3, 'claimed');
SELECT * FROM pg_temp.details(NULL, NULL, NULL);
SELECT * FROM pg_temp.details(10, 999999, 'claimed');
SELECT * FROM pg_temp.details(11, 3, 'claimed');
SELECT * FROM pg_temp.details(10, 3, 'Claimed');
SELECT * FROM pg_temp.details(10, 3, 'claimed ');

-- Loot coins beyond a bigint: 22003 from both (1.3.0 kept the sum in a bigint).
INSERT INTO treasure.claim_loot VALUES (14, 1, 1, 0, NULL, NULL, 9223372036854775807, 1, 1, 0),
                                       (14, 1, 2, 0, NULL, NULL, 1, 1, 1, 0),
                                       (15, 1, 1, 0, NULL, NULL, 9223372036854775807, 1, 1, 0);
SELECT pg_temp.error_of($$SELECT treasure.claim_details(14, 1, 'claimed')$$);
SELECT pg_temp.error_of($$SELECT pg_temp.details_1_3_0(14, 1, 'claimed')$$);
SELECT * FROM pg_temp.details(15, 1, 'claimed');
DELETE FROM treasure.claim_loot WHERE player_id IN (14, 15);

-- A primary key that no longer gives the documented order is refused, not followed.
BEGIN;
ALTER TABLE treasure.claim_awards DROP CONSTRAINT claim_awards_pkey;
ALTER TABLE treasure.claim_awards ADD PRIMARY KEY (player_id, claim_id, item, source);
SELECT pg_temp.error_of($$SELECT treasure.claim_details(10, 3, 'claimed')$$);
ROLLBACK;
SELECT * FROM pg_temp.details(10, 3, 'claimed');

-- Generated: 300 players tap a mix of the chests above and of new ones (items, bundles, loot, stock, keys);
-- every result is compared with the reference in the claim's own statement, then again with replays.
SELECT count(treasure.put_chest(20 + c, c, CASE WHEN c % 3 = 0 THEN 'item_' || c END, 1 + c % 4,
                                CASE WHEN c = 7 THEN 'iron_key' END)) AS chests
  FROM generate_series(0, 9) c;
SELECT count(treasure.put_chest_item(20 + c, 'extra_' || c, c)) AS bundles FROM generate_series(1, 9, 2) c;
SELECT count(treasure.put_loot(20 + c, 1 + c % 3, jsonb_build_array(
         jsonb_build_object('item', 'loot_' || c, 'qty', 1, 'weight', 3),
         jsonb_build_object('item', NULL, 'coins', 10 * c, 'weight', 2),
         jsonb_build_object('item', 'loot_' || c, 'qty', 2, 'weight', 1, 'coins', c)), 'seed ' || c)) AS loot_tables
  FROM generate_series(2, 8, 3) c;
SELECT treasure.set_stock(29, 40);
SELECT count(treasure.grant_item(1000 + p, 'iron_key', 1)) AS keys FROM generate_series(0, 299, 2) p;
CREATE TEMP TABLE generated AS
  SELECT p, chest, c.*
    FROM generate_series(0, 299) p, LATERAL (SELECT 20 + (p * 7 + k) % 10 AS chest FROM generate_series(0, 1) k) chests,
         LATERAL pg_temp.claim(1000 + p, chest, 100000 + p * 10 + chest - 20) c;
SELECT status, count(*) AS claims, count(*) FILTER (WHERE same) AS same,
       count(*) FILTER (WHERE details ? 'loot_coins') AS with_loot_coins,
       count(*) FILTER (WHERE jsonb_array_length(details->'awards') > 1) AS with_several_awards
  FROM generated GROUP BY status ORDER BY status;
SELECT count(*) AS replays, count(*) FILTER (WHERE r.same AND r.details IS NOT DISTINCT FROM g.details) AS same
  FROM generated g, LATERAL pg_temp.claim(1000 + g.p, g.chest, 100000 + g.p * 10 + g.chest - 20) r
 WHERE g.p % 5 = 0;
SELECT count(*) AS claims, count(*) FILTER (WHERE d.same) AS same
  FROM treasure.claims k, LATERAL pg_temp.details(k.player_id, k.claim_id, 'claimed') d;
-- Under a claim limit of 2 a minute: three taps each, the third rate_limited with a retry.
SELECT treasure.set_claim_limit(2, '1 minute');
SELECT c.status, count(*) AS claims, count(*) FILTER (WHERE c.same) AS same,
       count(*) FILTER (WHERE c.details ? 'retry_after_ms') AS with_retry
  FROM generate_series(2000, 2049) p, generate_series(20, 22) chest,
       LATERAL pg_temp.claim(p, chest, 200000 + p * 10 + chest - 20) c
 GROUP BY c.status ORDER BY c.status;
SELECT treasure.set_claim_limit(NULL, NULL);

-- Leave no feature behind for the files that follow (they share the database).
TRUNCATE treasure.claim_loot, treasure.chest_items, treasure.loot_tables, treasure.loot_seeds, treasure.stock_slots,
         treasure.claim_rules, treasure.item_caps, treasure.claim_features, treasure.claim_reversals;
