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
