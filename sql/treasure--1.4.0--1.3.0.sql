-- treasure 1.4.0 -> 1.3.0: takes 1.4.0's additions out again, in reverse order, and restates every 1.3.0 body
-- that 1.4.0 replaced.
\echo Use "ALTER EXTENSION treasure UPDATE TO '1.3.0'" to load this file. \quit

-- ---------------------------------------------------------------------------------------------------------
-- Batched claims: 1.4.0's entry point goes.
DROP FUNCTION treasure.claim_treasure_batch(bigint[], bigint[], uuid[], bigint[]);
-- End of batched claims.
