#!/usr/bin/env bash
# Sharding through PL/Proxy: 4 shards + a router on the running cluster (PGHOST/PGPORT/PGUSER), the core
# contract through the router (pgTAP), races through the router, and every player's rows on exactly one
# shard.  Drops everything at the end.
set -euo pipefail
shopt -s inherit_errexit  # a failing psql inside $(...) stops the test too
cd "$(dirname "$0")/../.."
shards=4
cleanup() { bash scripts/shards.sh drop $shards >/dev/null 2>&1 || true; }
trap cleanup EXIT
cleanup
bash scripts/shards.sh create $shards >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d treasure_router -c 'CREATE EXTENSION pgtap'

PGOPTIONS="-c client_min_messages=warning" pg_prove --dbname treasure_router tests/shards/router.sql

router() { psql -X -q -At -v ON_ERROR_STOP=1 -d treasure_router "$@"; }
fail() { echo "FAIL: $*"; exit 1; }

# Races through the router: 8 taps of one chest with different request_ids, 6 with one request_id.
router -c "SELECT treasure.put_chest(20, 7)"
answers=$(for i in 1 2 3 4 5 6 7 8; do
  router -c "SELECT status FROM claim_treasure(500, 20, '00000000-0000-0000-0000-0000000d000$i')" &
done; wait)
claimed=$(grep -c '^claimed$' <<<"$answers" || true)
already=$(grep -c '^already_claimed$' <<<"$answers" || true)
[ "$claimed" = 1 ] && [ "$already" = 7 ] || fail "same chest race: $claimed claimed, $already already_claimed"
answers=$(for i in 1 2 3 4 5 6; do
  router -c "SELECT status || ':' || replayed FROM claim_treasure(501, 20, '00000000-0000-0000-0000-0000000e0001')" &
done; wait)
fresh=$(grep -c '^claimed:false$' <<<"$answers" || true)
replays=$(grep -c '^claimed:true$' <<<"$answers" || true)
[ "$fresh" = 1 ] && [ "$replays" = 5 ] || fail "same request race: $fresh fresh, $replays replays"
[ "$(router -c 'SELECT balance FROM treasure.wallets(500)')" = 7 ] || fail "player 500 credited more than once"

# Many players: every player's rows live on exactly one shard, and claim_ids never collide across shards.
router -c "SELECT count(*) FROM generate_series(1000, 1199) AS p, claim_treasure(p, 1, gen_random_uuid())" >/dev/null
owners=$(for ((k = 0; k < shards; k++)); do
  psql -X -q -At -d treasure_shard_$k -c "
    SELECT player_id, $k FROM treasure.wallets UNION SELECT player_id, $k FROM treasure.claims
    UNION SELECT player_id, $k FROM treasure.player_stats UNION SELECT player_id, $k FROM treasure.inventories"
done)
players=$(cut -d'|' -f1 <<<"$owners" | sort -u | wc -l)
multi=$(sort -u <<<"$owners" | cut -d'|' -f1 | sort | uniq -d | wc -l)
used=$(cut -d'|' -f2 <<<"$owners" | sort -u | wc -l)
[ "$multi" = 0 ] || fail "$multi players have rows on more than one shard"
[ "$used" = "$shards" ] || fail "only $used of $shards shards own players"
for ((k = 0; k < shards; k++)); do
  psql -X -q -At -d treasure_shard_$k -c "SELECT claim_id FROM treasure.claims"
done | sort | uniq -d | grep -q . && fail "claim_ids collide across shards"
[ "$(router -c 'SELECT count(*) FROM treasure.reconcile()')" = 0 ] || fail "reconcile() through the router is not empty"
echo "shards: $players players, each on exactly one of $shards shards; races through the router exact"
