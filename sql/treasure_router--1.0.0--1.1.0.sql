-- treasure_router 1.1.0: the surface of treasure 1.3.0 through the router (sql/CONTRACT-1.3.0.md).  The player
-- functions (claim_details, reverse_claim, explain_claim) run on the shard that owns player_id, as
-- claim_treasure() does; the admin functions run on every shard.  Stock is split per shard: set_stock(chest, N)
-- gives each of the P shards N / P units (the first N % P shards one more), so a chest has exactly N winners in
-- total, but not necessarily the first N taps globally: a shard whose share is spent answers sold_out while
-- another may still pay.  Each shard commits on its own: after a partial failure, run the admin call again.
-- The new functions need treasure 1.3.0 on every shard; the 1.0.0 ones keep working on 1.2.0 shards.
\echo Use "ALTER EXTENSION treasure_router UPDATE TO '1.1.0'" to load this file. \quit

CREATE FUNCTION treasure.claim_details(player_id bigint, claim_id bigint, status text) RETURNS jsonb
  LANGUAGE plproxy
AS $$
  CLUSTER 'treasure';
  RUN ON treasure.player_hash(player_id);
$$;
COMMENT ON FUNCTION treasure.claim_details(bigint, bigint, text) IS
  'Runs claim_details() on the shard that owns player_id (after claim_treasure() there, it sees the claim)';

CREATE FUNCTION treasure.reverse_claim(player_id bigint, request_id uuid, reason text, force boolean DEFAULT false)
  RETURNS TABLE (status text, claim_id bigint, coins_taken bigint, items_taken jsonb, key_returned text,
                 shortfall jsonb, balance bigint, reversed_at timestamptz)
  LANGUAGE plproxy
AS $$
  CLUSTER 'treasure';
  RUN ON treasure.player_hash(player_id);
$$;
COMMENT ON FUNCTION treasure.reverse_claim(bigint, uuid, text, boolean) IS
  'Runs reverse_claim() on the shard that owns player_id; same results and SQLSTATEs';

CREATE FUNCTION treasure.explain_claim(player_id bigint, request_id uuid)
  RETURNS TABLE (roll integer, entry integer, item text, qty integer, coins bigint, weight integer,
                 total_weight integer, draw bigint, reason text)
  LANGUAGE plproxy
AS $$
  CLUSTER 'treasure';
  RUN ON treasure.player_hash(player_id);
$$;
COMMENT ON FUNCTION treasure.explain_claim(bigint, uuid) IS 'Runs explain_claim() on the shard that owns player_id';

-- The number of partitions of the cluster 'treasure' (its p0, p1, ... options; a power of two).
CREATE FUNCTION treasure.shard_count() RETURNS integer
  LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT count(*)::integer
    FROM pg_catalog.pg_foreign_server s, pg_catalog.pg_options_to_table(s.srvoptions) o
   WHERE s.srvname = 'treasure' AND o.option_name ~ '^p[0-9]+$';
$$;
COMMENT ON FUNCTION treasure.shard_count() IS 'How many shards the cluster ''treasure'' has (its p0..pN options)';

-- RUN ON ALL needs set-returning functions: each admin function is one of these plus a wrapper with the
-- shard's signature, as put_chest() is in 1.0.0.
CREATE FUNCTION treasure.put_chest_item_on_every_shard(chest_id bigint, item text, qty integer) RETURNS SETOF void
  LANGUAGE plproxy
AS $$
  CLUSTER 'treasure';
  RUN ON ALL;
  TARGET treasure.put_chest_item;
$$;
COMMENT ON FUNCTION treasure.put_chest_item_on_every_shard(bigint, text, integer) IS
  'put_chest_item() on every shard at once';

CREATE FUNCTION treasure.put_chest_item(chest_id bigint, item text, qty integer) RETURNS void
  LANGUAGE sql
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT FROM treasure.put_chest_item_on_every_shard(chest_id, item, qty);
$$;
COMMENT ON FUNCTION treasure.put_chest_item(bigint, text, integer) IS
  'Adds, replaces or (qty 0) removes a chest''s guaranteed item on every shard';

CREATE FUNCTION treasure.put_loot_on_every_shard(chest_id bigint, rolls integer, entries jsonb, seed text)
  RETURNS SETOF integer
  LANGUAGE plproxy
AS $$
  CLUSTER 'treasure';
  RUN ON ALL;
  TARGET treasure.put_loot;
$$;
COMMENT ON FUNCTION treasure.put_loot_on_every_shard(bigint, integer, jsonb, text) IS 'put_loot() on every shard at once';

-- One seed for every shard, drawn here when the caller gives none (gen_random_uuid() is PostgreSQL's strong
-- random source), so that every shard rolls one table the same way.
CREATE FUNCTION treasure.put_loot(chest_id bigint, rolls integer, entries jsonb, seed text DEFAULT NULL)
  RETURNS integer
  LANGUAGE sql VOLATILE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT max(v)::integer
    FROM treasure.put_loot_on_every_shard(chest_id, rolls, entries,
           coalesce(seed, pg_catalog.replace(pg_catalog.gen_random_uuid()::text || pg_catalog.gen_random_uuid()::text,
                                             '-', ''))) AS v;
$$;
COMMENT ON FUNCTION treasure.put_loot(bigint, integer, jsonb, text) IS
  'The loot table on every shard, with one seed (drawn once when NULL); returns the highest shard version';

-- shard is where to run, not an argument of set_stock(): hence a query of its own instead of TARGET.
CREATE FUNCTION treasure.set_stock_on_shard(shard integer, chest_id bigint, stock bigint) RETURNS SETOF integer
  LANGUAGE plproxy
AS $$
  CLUSTER 'treasure';
  RUN ON shard;
  SELECT 1 FROM treasure.set_stock(chest_id, stock);
$$;
COMMENT ON FUNCTION treasure.set_stock_on_shard(integer, bigint, bigint) IS 'set_stock() on partition number shard';

CREATE FUNCTION treasure.set_stock(chest_id bigint, stock bigint) RETURNS void
  LANGUAGE plpgsql
  SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  shards integer := treasure.shard_count();
BEGIN
  IF set_stock.chest_id IS NULL THEN
    RAISE EXCEPTION 'chest_id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF set_stock.stock < 0 THEN
    RAISE EXCEPTION 'stock must not be negative, got %', set_stock.stock USING ERRCODE = 'invalid_parameter_value';
  END IF;
  FOR shard IN 0 .. shards - 1 LOOP
    PERFORM treasure.set_stock_on_shard(shard, set_stock.chest_id,
              set_stock.stock / shards + CASE WHEN shard < set_stock.stock % shards THEN 1 ELSE 0 END);
  END LOOP;
END
$$;
COMMENT ON FUNCTION treasure.set_stock(bigint, bigint) IS
  'Splits the chest''s stock over the shards (N / shards each, the first N % shards one more; NULL = unlimited '
  'everywhere): N winners in total, not necessarily the first N globally';

CREATE FUNCTION treasure.chest_stock_on_every_shard(chest_id bigint)
  RETURNS TABLE (chest_id bigint, stock bigint, claimed bigint)
  LANGUAGE plproxy
AS $$
  CLUSTER 'treasure';
  RUN ON ALL;
  TARGET treasure.chest_stock;
$$;
COMMENT ON FUNCTION treasure.chest_stock_on_every_shard(bigint) IS 'chest_stock() of every shard, one row each';

CREATE FUNCTION treasure.chest_stock(chest_id bigint) RETURNS TABLE (chest_id bigint, stock bigint, claimed bigint)
  LANGUAGE sql STABLE
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT s.chest_id, CASE WHEN bool_or(s.stock IS NULL) THEN NULL ELSE sum(s.stock)::bigint END,
         sum(s.claimed)::bigint
    FROM treasure.chest_stock_on_every_shard(chest_stock.chest_id) s GROUP BY s.chest_id;
$$;
COMMENT ON FUNCTION treasure.chest_stock(bigint) IS 'The chest''s stock and claims summed over the shards';

CREATE FUNCTION treasure.set_claim_limit_on_every_shard(max_claims integer, per interval) RETURNS SETOF void
  LANGUAGE plproxy
AS $$
  CLUSTER 'treasure';
  RUN ON ALL;
  TARGET treasure.set_claim_limit;
$$;
COMMENT ON FUNCTION treasure.set_claim_limit_on_every_shard(integer, interval) IS 'set_claim_limit() on every shard';

CREATE FUNCTION treasure.set_claim_limit(max_claims integer, per interval) RETURNS void
  LANGUAGE sql
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT FROM treasure.set_claim_limit_on_every_shard(max_claims, per);
$$;
COMMENT ON FUNCTION treasure.set_claim_limit(integer, interval) IS
  'The per-player claim limit on every shard (a player lives on one shard, so it holds per player as on one)';

CREATE FUNCTION treasure.set_wallet_cap_on_every_shard(max_balance bigint) RETURNS SETOF void
  LANGUAGE plproxy
AS $$
  CLUSTER 'treasure';
  RUN ON ALL;
  TARGET treasure.set_wallet_cap;
$$;
COMMENT ON FUNCTION treasure.set_wallet_cap_on_every_shard(bigint) IS 'set_wallet_cap() on every shard';

CREATE FUNCTION treasure.set_wallet_cap(max_balance bigint) RETURNS void
  LANGUAGE sql
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT FROM treasure.set_wallet_cap_on_every_shard(max_balance);
$$;
COMMENT ON FUNCTION treasure.set_wallet_cap(bigint) IS 'The wallet cap on every shard';

CREATE FUNCTION treasure.set_item_cap_on_every_shard(item text, max_qty integer) RETURNS SETOF void
  LANGUAGE plproxy
AS $$
  CLUSTER 'treasure';
  RUN ON ALL;
  TARGET treasure.set_item_cap;
$$;
COMMENT ON FUNCTION treasure.set_item_cap_on_every_shard(text, integer) IS 'set_item_cap() on every shard';

CREATE FUNCTION treasure.set_item_cap(item text, max_qty integer) RETURNS void
  LANGUAGE sql
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT FROM treasure.set_item_cap_on_every_shard(item, max_qty);
$$;
COMMENT ON FUNCTION treasure.set_item_cap(text, integer) IS 'An item cap on every shard';

REVOKE ALL ON FUNCTION treasure.claim_details(bigint, bigint, text), treasure.reverse_claim(bigint, uuid, text, boolean),
                       treasure.explain_claim(bigint, uuid), treasure.shard_count(),
                       treasure.put_chest_item_on_every_shard(bigint, text, integer),
                       treasure.put_chest_item(bigint, text, integer),
                       treasure.put_loot_on_every_shard(bigint, integer, jsonb, text),
                       treasure.put_loot(bigint, integer, jsonb, text),
                       treasure.set_stock_on_shard(integer, bigint, bigint), treasure.set_stock(bigint, bigint),
                       treasure.chest_stock_on_every_shard(bigint), treasure.chest_stock(bigint),
                       treasure.set_claim_limit_on_every_shard(integer, interval),
                       treasure.set_claim_limit(integer, interval),
                       treasure.set_wallet_cap_on_every_shard(bigint), treasure.set_wallet_cap(bigint),
                       treasure.set_item_cap_on_every_shard(text, integer), treasure.set_item_cap(text, integer)
  FROM PUBLIC;
