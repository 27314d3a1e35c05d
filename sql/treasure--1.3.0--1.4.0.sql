-- treasure 1.3.0 -> 1.4.0: the claim's own costs (issue 17, "Performance against this machine's own floors").
-- Every section below names the change it brings; claim_treasure()'s signature and nine columns are unchanged.
\echo Use "ALTER EXTENSION treasure UPDATE TO '1.4.0'" to load this file. \quit

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
