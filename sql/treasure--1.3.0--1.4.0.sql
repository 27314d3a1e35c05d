-- treasure 1.3.0 -> 1.4.0: the claim's own costs (issue 17, "Performance against this machine's own floors").
-- Every section below names the change it brings; claim_treasure()'s signature and nine columns are unchanged.
\echo Use "ALTER EXTENSION treasure UPDATE TO '1.4.0'" to load this file. \quit

-- ---------------------------------------------------------------------------------------------------------
-- Batched claims (issue 17, "Fewer round trips per tap": a batched SQL entry point).  Up to 32 taps in one
-- transaction and one commit; each tap is claim_treasure()'s own claim in a subtransaction of its own, so it
-- keeps its own outcome, and the taps are claimed in (player_id, position) order so that batches over the
-- same players cannot deadlock.  Four parallel arrays rather than an array of a composite type: any client
-- binds them as plain array literals, pgbench can build them, and there is no row type to version.
CREATE FUNCTION treasure.claim_treasure_batch(player_ids bigint[], chest_ids bigint[], request_ids uuid[],
                                              session_ids bigint[] DEFAULT NULL)
  RETURNS TABLE (tap integer, status text, replayed boolean, claim_id bigint, coins_awarded bigint,
                 item_awarded text, item_qty integer, key_used text, balance bigint, claimed_at timestamptz,
                 details jsonb, sqlstate text, message text)
  AS 'MODULE_PATHNAME', 'claim_treasure_batch'
  LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE SECURITY DEFINER
  ROWS 32
  SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION treasure.claim_treasure_batch(bigint[], bigint[], uuid[], bigint[]) IS
  'Claims 1 to 32 taps in one transaction, one row per tap in input order: claim_treasure()''s nine columns and claim_details() for a tap that got an answer, or its sqlstate and message (classes 22, 23, P0, 40001, 40P01) with nothing of it written; any other error aborts the batch';
REVOKE ALL ON FUNCTION treasure.claim_treasure_batch(bigint[], bigint[], uuid[], bigint[]) FROM PUBLIC;
-- End of batched claims.

-- claim_details() in C (extension/claim_details.cpp).  Every gateway tap calls it in the claim's statement,
-- and 1.3.0's PL/pgSQL body cost about 1.8x the claim's own backend CPU (bench/FINDINGS.md, "Floors and
-- ratios"): two queries run through SPI and two settings set and reset on every call.  The C body reads the
-- same rows by the primary keys of claim_awards and claim_loot and returns the same jsonb, byte for byte.
-- SECURITY DEFINER stays: rate_limited calls treasure.claim_retry_after_ms(), which reads claim_rules and
-- wallets, and callers hold no table privileges.  The pinned search_path stays too, though the C body
-- resolves no name through it (relations by their OIDs in schema treasure, the one function by its qualified
-- name, which pins its own): every function of the extension pins it (sql/README.md), so nothing the body may
-- come to call can be redirected by a caller's search_path.  enable_seqscan = off goes: no planner runs in the
-- body (the retry's own plan is made for each call, with the tables' sizes then).  Still not granted to PUBLIC.
CREATE OR REPLACE FUNCTION treasure.claim_details(player_id bigint, claim_id bigint, status text)
  RETURNS jsonb
  AS 'MODULE_PATHNAME', 'claim_details'
  LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE SECURITY DEFINER
  SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION treasure.claim_details(bigint, bigint, text) IS
  'claim_treasure()''s companion, called in the same statement: {awards, loot_coins} for claimed, {retry_after_ms} for rate_limited, else NULL (index probes, in C)';
REVOKE ALL ON FUNCTION treasure.claim_details(bigint, bigint, text) FROM PUBLIC;
