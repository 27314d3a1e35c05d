-- treasure_router: installed in a router database in front of N shard databases that each run the
-- treasure extension.  claim_treasure() keeps its exact signature and results, but runs on the shard that
-- owns the player (hashint8(player_id) masked by the partition count, a power of two).  The cluster itself
-- is a PL/Proxy SQL/MED server named 'treasure' (see scripts/shards.sh).
\echo Use "CREATE EXTENSION treasure_router" to load this file. \quit

CREATE SCHEMA treasure;
COMMENT ON SCHEMA treasure IS 'treasure_router: PL/Proxy functions routing to the treasure shards';

-- The partition key: hashint8 is PostgreSQL's own hash of a bigint, stable across versions and machines.
-- A NULL player_id must fail like it does on a shard (22004), not inside PL/Proxy's hashing.
CREATE FUNCTION treasure.player_hash(player_id bigint) RETURNS integer
  LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
  SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF player_id IS NULL THEN
    RAISE EXCEPTION 'player_id must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  RETURN pg_catalog.hashint8(player_id);
END
$$;
COMMENT ON FUNCTION treasure.player_hash(bigint) IS
  'The hash PL/Proxy masks with (partitions - 1) to pick the shard that owns a player';

CREATE FUNCTION claim_treasure(player_id bigint, chest_id bigint, request_id uuid, session_id bigint DEFAULT NULL)
  RETURNS TABLE (status text, replayed boolean, claim_id bigint, coins_awarded bigint, item_awarded text,
                 item_qty integer, key_used text, balance bigint, claimed_at timestamptz)
  LANGUAGE plproxy
AS $$
  CLUSTER 'treasure';
  RUN ON treasure.player_hash(player_id);
$$;
COMMENT ON FUNCTION claim_treasure(bigint, bigint, uuid, bigint) IS
  'Runs claim_treasure() on the shard that owns player_id; same arguments, results and SQLSTATEs';

-- Chests are reference data: every shard holds every chest.
CREATE FUNCTION treasure.put_chest_on_every_shard(chest_id bigint, coins bigint, item text, item_qty integer,
                                                  key_item text, opens_at timestamptz, closes_at timestamptz)
  RETURNS SETOF void
  LANGUAGE plproxy
AS $$
  CLUSTER 'treasure';
  RUN ON ALL;
  TARGET treasure.put_chest;
$$;
COMMENT ON FUNCTION treasure.put_chest_on_every_shard(bigint, bigint, text, integer, text, timestamptz, timestamptz) IS
  'put_chest() on every shard at once (PL/Proxy''s RUN ON ALL needs a set-returning function)';

-- Same signature as on a shard.  Each shard commits on its own: after a partial failure, run it again.
CREATE FUNCTION treasure.put_chest(chest_id bigint, coins bigint, item text DEFAULT NULL, item_qty integer DEFAULT 1,
                                   key_item text DEFAULT NULL, opens_at timestamptz DEFAULT NULL,
                                   closes_at timestamptz DEFAULT NULL)
  RETURNS void
  LANGUAGE sql
  SET search_path = pg_catalog, pg_temp
AS $$
  SELECT FROM treasure.put_chest_on_every_shard(chest_id, coins, item, item_qty, key_item, opens_at, closes_at);
$$;
COMMENT ON FUNCTION treasure.put_chest(bigint, bigint, text, integer, text, timestamptz, timestamptz) IS
  'Creates or replaces a chest on every shard (chests are reference data; rerun after a partial failure)';

CREATE FUNCTION treasure.grant_item(player_id bigint, item text, qty integer) RETURNS integer
  LANGUAGE plproxy
AS $$
  CLUSTER 'treasure';
  RUN ON treasure.player_hash(player_id);
$$;
COMMENT ON FUNCTION treasure.grant_item(bigint, text, integer) IS 'Runs grant_item() on the shard that owns player_id';

-- The read surface, routed by player: one function per shard table, named after it.
CREATE FUNCTION treasure.wallets(player_id bigint) RETURNS TABLE (player_id bigint, balance bigint)
  LANGUAGE plproxy
AS $$
  CLUSTER 'treasure';
  RUN ON treasure.player_hash(player_id);
  SELECT w.player_id, w.balance FROM treasure.wallets w WHERE w.player_id = player_id;
$$;
COMMENT ON FUNCTION treasure.wallets(bigint) IS 'The player''s row of treasure.wallets, read on the owning shard';

CREATE FUNCTION treasure.inventories(player_id bigint) RETURNS TABLE (player_id bigint, item text, qty integer)
  LANGUAGE plproxy
AS $$
  CLUSTER 'treasure';
  RUN ON treasure.player_hash(player_id);
  SELECT i.player_id, i.item, i.qty FROM treasure.inventories i WHERE i.player_id = player_id ORDER BY i.item;
$$;
COMMENT ON FUNCTION treasure.inventories(bigint) IS 'The player''s rows of treasure.inventories, read on the owning shard';

CREATE FUNCTION treasure.claims(player_id bigint)
  RETURNS TABLE (claim_id bigint, player_id bigint, chest_id bigint, request_id uuid, session_id bigint,
                 coins_awarded bigint, item_awarded text, item_qty integer, key_used text, claimed_at timestamptz)
  LANGUAGE plproxy
AS $$
  CLUSTER 'treasure';
  RUN ON treasure.player_hash(player_id);
  SELECT c.claim_id, c.player_id, c.chest_id, c.request_id, c.session_id, c.coins_awarded, c.item_awarded,
         c.item_qty, c.key_used, c.claimed_at
    FROM treasure.claims c WHERE c.player_id = player_id ORDER BY c.claimed_at, c.claim_id;
$$;
COMMENT ON FUNCTION treasure.claims(bigint) IS 'The player''s rows of treasure.claims, read on the owning shard';

CREATE FUNCTION treasure.claim_events(player_id bigint)
  RETURNS TABLE (event_id bigint, claim_id bigint, player_id bigint, chest_id bigint, coins_awarded bigint,
                 occurred_at timestamptz)
  LANGUAGE plproxy
AS $$
  CLUSTER 'treasure';
  RUN ON treasure.player_hash(player_id);
  SELECT e.event_id, e.claim_id, e.player_id, e.chest_id, e.coins_awarded, e.occurred_at
    FROM treasure.claim_events e WHERE e.player_id = player_id ORDER BY e.occurred_at, e.event_id;
$$;
COMMENT ON FUNCTION treasure.claim_events(bigint) IS 'The player''s rows of treasure.claim_events, read on the owning shard';

CREATE FUNCTION treasure.player_stats(player_id bigint)
  RETURNS TABLE (player_id bigint, claims bigint, coins_awarded bigint, last_claim_at timestamptz)
  LANGUAGE plproxy
AS $$
  CLUSTER 'treasure';
  RUN ON treasure.player_hash(player_id);
  SELECT s.player_id, s.claims, s.coins_awarded, s.last_claim_at FROM treasure.player_stats s WHERE s.player_id = player_id;
$$;
COMMENT ON FUNCTION treasure.player_stats(bigint) IS 'The player''s row of treasure.player_stats, read on the owning shard';

-- Every shard's disagreements (empty when every shard is consistent).
CREATE FUNCTION treasure.reconcile()
  RETURNS TABLE (player_id bigint, subject text, problem text, expected bigint, actual bigint)
  LANGUAGE plproxy
AS $$
  CLUSTER 'treasure';
  RUN ON ALL;
$$;
COMMENT ON FUNCTION treasure.reconcile() IS 'treasure.reconcile() on every shard, rows concatenated';

REVOKE ALL ON FUNCTION claim_treasure(bigint, bigint, uuid, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION treasure.reconcile() FROM PUBLIC;
REVOKE ALL ON FUNCTION treasure.put_chest(bigint, bigint, text, integer, text, timestamptz, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION treasure.put_chest_on_every_shard(bigint, bigint, text, integer, text, timestamptz, timestamptz)
  FROM PUBLIC;
REVOKE ALL ON FUNCTION treasure.player_hash(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION treasure.grant_item(bigint, text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION treasure.wallets(bigint), treasure.inventories(bigint), treasure.claims(bigint),
                       treasure.claim_events(bigint), treasure.player_stats(bigint) FROM PUBLIC;
