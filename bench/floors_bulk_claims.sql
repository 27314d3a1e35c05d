-- bench/floors.sh's bulk load (psql -v players=N -v per_player=K -v claims=true|false, run as the extension's owner
-- on a database that already holds bench/setup.sql's hunt): K <= 5 claims for each of the players 1..N as
-- claim_treasure() would have written them, with their claim_events, claim_awards (1.3.0), inventories and
-- wallets, so that treasure.reconcile() finds nothing to report.  Plain INSERT ... SELECT over generate_series, no
-- COPY.  claims=true writes treasure.claims, claims=false everything else: the two run at once, in two sessions.
-- Each player's K chests are distinct and never need a key (a key chest is replaced by the next chest), every
-- fifth chest gives put_chest's gem; request_ids are random (v4), as every id written before UUIDv7 was.
\set ON_ERROR_STOP on
BEGIN;
-- The chest of player p's k-th claim (distinct for k < 5; a key chest is replaced by the next chest).
CREATE FUNCTION pg_temp.bulk_chest(p bigint, k integer) RETURNS bigint LANGUAGE sql IMMUTABLE
  RETURN CASE WHEN (1 + (p * 37 + k * 211) % 1000) % 10 = 0 THEN (1 + (p * 37 + k * 211) % 1000) % 1000 + 1
              ELSE 1 + (p * 37 + k * 211) % 1000 END;
-- One row per claim: the chest and coins of the player's k-th claim (bench/setup.sql's chest c gives 10 + c % 90
-- coins, and a gem x (1 + c % 3) when c % 5 = 0), the balance after it, its claim_id.
CREATE TEMP VIEW bulk_claims AS
SELECT p AS player_id, k, (k + 1 + (p - 1) * :per_player) AS claim_id, c.chest_id, 10 + c.chest_id % 90 AS coins,
       CASE WHEN c.chest_id % 5 = 0 THEN 1 + c.chest_id % 3 END AS gem_qty,
       (SELECT sum(10 + pg_temp.bulk_chest(p, j) % 90) FROM generate_series(0, k) AS j) AS balance_after,
       timestamptz '2026-01-01 00:00:00+00' + (p * :per_player + k) * interval '1 ms' AS claimed_at
  FROM generate_series(1::bigint, :players) AS p
 CROSS JOIN generate_series(0, :per_player - 1) AS k
 CROSS JOIN LATERAL (SELECT pg_temp.bulk_chest(p, k) AS chest_id) c;

\if :claims
INSERT INTO treasure.claims (player_id, chest_id, claim_id, request_id, session_id, coins_awarded, item_awarded,
                             item_qty, key_used, claimed_at)
SELECT player_id, chest_id, claim_id, pg_catalog.gen_random_uuid(), player_id, coins,
       CASE WHEN gem_qty IS NOT NULL THEN 'gem' END, gem_qty, NULL, claimed_at
  FROM bulk_claims;
SELECT pg_catalog.setval('treasure.claim_id_seq', :players * :per_player);
\else
INSERT INTO treasure.claim_events (player_id, claim_id, chest_id, coins_awarded, balance_after, occurred_at)
SELECT player_id, claim_id, chest_id, coins, balance_after, claimed_at FROM bulk_claims;

INSERT INTO treasure.claim_awards (player_id, claim_id, item, qty, source)
SELECT player_id, claim_id, 'gem', gem_qty, 'guaranteed' FROM bulk_claims WHERE gem_qty IS NOT NULL;

INSERT INTO treasure.inventories (player_id, item, qty)
SELECT player_id, 'gem', sum(gem_qty) FROM bulk_claims WHERE gem_qty IS NOT NULL GROUP BY player_id
    ON CONFLICT (player_id, item) DO UPDATE SET qty = treasure.inventories.qty + excluded.qty;

-- grant_item() may already have opened a wallet (balance 0) for a key holder.
INSERT INTO treasure.wallets (player_id, balance, claims, coins_awarded, last_claim_at)
SELECT player_id, sum(coins), count(*), sum(coins), max(claimed_at) FROM bulk_claims GROUP BY player_id
    ON CONFLICT (player_id) DO UPDATE
   SET balance = treasure.wallets.balance + excluded.balance, claims = treasure.wallets.claims + excluded.claims,
       coins_awarded = treasure.wallets.coins_awarded + excluded.coins_awarded, last_claim_at = excluded.last_claim_at;
\endif
COMMIT;
