#!/usr/bin/env bash
# `make demo`: install what is missing, build, start a throwaway cluster, run a small treasure hunt with
# duplicates, replays and concurrent taps, print what happened, and remove the cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

install_packages
build_and_install
trap cluster_stop EXIT
cluster_start demo

export PGDATABASE=treasure_demo
psql -X -q -d postgres -c 'CREATE DATABASE treasure_demo'
sql() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

echo
echo "==> the hunt: a chest that gives a key, a chest that needs it, a plain coin chest"
sql <<'SQL'
\o /dev/null
CREATE EXTENSION treasure;
SELECT treasure.put_chest(1, 50, 'golden_key');                 -- the key chest
SELECT treasure.put_chest(2, 500, 'crown', 1, 'golden_key');    -- needs the key, gives a crown
SELECT treasure.put_chest(3, 100);                               -- plain coins
SELECT treasure.put_chest(4, 1000, opens_at => now() + interval '1 day');  -- opens tomorrow
CREATE TABLE demo_taps (tap serial, player bigint, chest bigint, request text, status text, replayed boolean,
                        coins bigint, balance bigint);
\o
TABLE treasure.chests;
SQL

# tap PLAYER CHEST REQUEST_SUFFIX: one claim, recorded for the summary.
tap() {
  local request
  request=$(printf '00000000-0000-4000-8000-%012d' "$3")
  sql -c "INSERT INTO demo_taps (player, chest, request, status, replayed, coins, balance)
          SELECT $1, $2, '$request', status, replayed, coins_awarded, balance
            FROM claim_treasure($1, $2, '$request', $1 * 7)"
}

echo "==> player 1: opens the crown chest too early, then the key chest, then the crown chest"
tap 1 2 101
tap 1 1 102
tap 1 2 103
echo "==> player 1: the client retries the crown tap (same request_id) and taps it again (new request_id)"
tap 1 2 103
tap 1 2 104
echo "==> player 2: a chest that has not opened yet, then the coin chest"
tap 2 4 201
tap 2 3 202

echo "==> 8 concurrent taps by player 3 on the coin chest, each with its own request_id"
for i in $(seq 1 8); do tap 3 3 "30$i" & done
wait
echo "==> 6 concurrent retries of one tap by player 4 (one request_id)"
for i in $(seq 1 6); do tap 4 3 401 & done
wait
echo "==> player 5 taps all three chests at once"
tap 5 1 501 & tap 5 3 502 & tap 5 2 503 &
wait

echo
echo "================ summary ================"
sql -P footer=off <<'SQL'
\echo 'Every tap, in the order the database saw it:'
SELECT tap, player, chest, status, replayed, coins, balance FROM demo_taps ORDER BY tap;
\echo 'Outcomes:'
SELECT status || CASE WHEN replayed THEN ' (replay)' ELSE '' END AS outcome, count(*) AS taps
  FROM demo_taps GROUP BY 1 ORDER BY 1;
\echo 'Balances (the wallet always equals the sum of the player''s claims):'
SELECT w.player_id, w.balance, s.claims, s.coins_awarded AS analytics_coins,
       (SELECT sum(coins_awarded) FROM treasure.claims c WHERE c.player_id = w.player_id) AS claimed_coins
  FROM treasure.wallets w JOIN treasure.player_stats s USING (player_id) ORDER BY player_id;
\echo 'Inventories:'
SELECT player_id, item, qty FROM treasure.inventories ORDER BY player_id, item;
\echo 'Claims and analytics events:'
SELECT (SELECT count(*) FROM treasure.claims) AS claims, (SELECT count(*) FROM treasure.claim_events) AS events,
       (SELECT count(*) FROM demo_taps) AS taps;
SQL

for step in scripts/demo.d/*.sh; do
  [ -e "$step" ] && bash "$step"
done
echo "==> demo finished; the cluster is removed"
