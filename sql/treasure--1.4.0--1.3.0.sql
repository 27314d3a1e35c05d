-- treasure 1.4.0 -> 1.3.0: takes 1.4.0's additions out again, in reverse order, and restates every 1.3.0 body
-- that 1.4.0 replaced.
\echo Use "ALTER EXTENSION treasure UPDATE TO '1.3.0'" to load this file. \quit

-- ---------------------------------------------------------------------------------------------------------
-- Batched claims: 1.4.0's entry point goes.
DROP FUNCTION treasure.claim_treasure_batch(bigint[], bigint[], uuid[], bigint[]);
-- End of batched claims.

-- claim_details() in C (1.4.0) back to 1.3.0's PL/pgSQL body, restated exactly from
-- sql/treasure--1.2.0--1.3.0.sql, with its comment (CREATE OR REPLACE keeps its grants and resets everything
-- else: language, cost, settings).
-- Called with nearly every claim, on pooled connections that keep their plans: its look-ups are key probes,
-- and a plan made while claim_awards was small (a sequential scan is cheaper then) must not stay one as the
-- table grows until statistics come (found by bench/floors.sh: bench/FINDINGS.md, "Floors and ratios").
CREATE OR REPLACE FUNCTION treasure.claim_details(player_id bigint, claim_id bigint, status text)
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
  IF claim_details.status = 'claimed' AND claim_details.claim_id IS NOT NULL THEN
    awards := COALESCE((SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('item', a.item, 'qty', a.qty, 'source', a.source)
                                                    ORDER BY a.source, a.item)
                          FROM treasure.claim_awards a
                         WHERE a.player_id = claim_details.player_id AND a.claim_id = claim_details.claim_id), '[]');
    loot_coins := (SELECT sum(l.coins) FROM treasure.claim_loot l
                    WHERE l.player_id = claim_details.player_id AND l.claim_id = claim_details.claim_id);
    RETURN pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object('awards', awards, 'loot_coins', loot_coins));
  ELSIF claim_details.status = 'rate_limited' THEN
    retry := treasure.claim_retry_after_ms(claim_details.player_id);
    RETURN CASE WHEN retry IS NOT NULL THEN pg_catalog.jsonb_build_object('retry_after_ms', retry) END;
  END IF;
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION treasure.claim_details(bigint, bigint, text) IS
  'claim_treasure()''s companion, called in the same statement: {awards, loot_coins} for claimed, {retry_after_ms} for rate_limited, else NULL';
