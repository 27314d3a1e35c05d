#!/usr/bin/env bash
# Sharding through PL/Proxy: 4 shards + a router on the running cluster (PGHOST/PGPORT/PGUSER), the core
# contract through the router (pgTAP), races through the router, and every player's rows on exactly one
# shard; then the sharded gateway (gateway_test.sh).  Drops everything at the end.
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
# treasure_router 1.1.0 (treasure 1.3.0's functions): its version and its way back.
[ "$(router -c "SELECT extversion FROM pg_extension WHERE extname = 'treasure_router'")" = 1.1.0 ] ||
  fail "the router is not at its default version 1.1.0"
router -c "ALTER EXTENSION treasure_router UPDATE TO '1.0.0'" -c "ALTER EXTENSION treasure_router UPDATE TO '1.1.0'"
shard_version=$(psql -X -q -At -d treasure_shard_0 -c "SELECT extversion FROM pg_extension WHERE extname = 'treasure'")
if [ "$(psql -X -q -At -d treasure_shard_0 -c \
        "SELECT to_regprocedure('treasure.claim_details(bigint,bigint,text)') IS NOT NULL")" = t ]; then
  # A limited chest through the router: stock 5 split over the shards, 40 players (about 10 a shard) race in 8
  # streams; exactly 5 winners in total, every other tap sold_out.
  router -c "SELECT treasure.put_chest(30, 100)" -c "SELECT treasure.set_stock(30, 5)"
  answers=$(for stream in 0 1 2 3 4 5 6 7; do
    router -c "SELECT c.status FROM generate_series(2000 + $stream * 5, 2004 + $stream * 5) p,
                 claim_treasure(p, 30, gen_random_uuid()) c" &
  done; wait)
  winners=$(grep -c '^claimed$' <<<"$answers" || true)
  sold=$(grep -c '^sold_out$' <<<"$answers" || true)
  [ "$winners" = 5 ] && [ "$sold" = 35 ] || fail "limited chest through the router: $winners winners, $sold sold_out"
  stock=$(router -c "SELECT stock || ':' || claimed FROM treasure.chest_stock(30)")
  [ "$stock" = 5:5 ] || fail "chest_stock through the router: $stock (stock:claimed)"

  # Loot through the router: one seed on every shard; a replay and claim_details give the same awards, and
  # explain_claim shows the rolls on the owning shard.
  router -c "SELECT treasure.put_chest(31, 5)" -c "SELECT treasure.put_loot(31, 3,
    '[{\"item\": \"gem\", \"qty\": 1, \"weight\": 3}, {\"item\": \"crown\", \"qty\": 1, \"weight\": 1},
      {\"item\": null, \"coins\": 20, \"weight\": 2}]')" >/dev/null
  seeds=$(for ((k = 0; k < shards; k++)); do
    psql -X -q -At -d treasure_shard_$k -c "SELECT count(*) FROM treasure.loot_tables WHERE chest_id = 31"
  done | sort -u)
  [ "$seeds" = 1 ] || fail "the loot table is not on every shard: $seeds"
  claim="SELECT c.status, c.coins_awarded, treasure.claim_details(3001, c.claim_id, c.status)
           FROM claim_treasure(3001, 31, '00000000-0000-0000-0000-0000000f0001') c"
  first=$(router -c "$claim")
  again=$(router -c "$claim")
  [ "${first%%|*}" = claimed ] || fail "loot claim through the router: $first"
  [ "$first" = "$again" ] || fail "a loot replay through the router differs: $first / $again"
  rolls=$(router -c "SELECT count(*) FROM treasure.explain_claim(3001, '00000000-0000-0000-0000-0000000f0001')
                     WHERE roll IS NOT NULL")
  [ "$rolls" = 3 ] || fail "explain_claim through the router shows $rolls rolls instead of 3"
  echo "shards: a limited chest gave exactly 5 winners over $shards shards; loot replays the same through the router"
else
  echo "shards: the shards run treasure $shard_version (no claim_details()): the 1.3.0 cases are not run"
fi
echo "shards: $players players, each on exactly one of $shards shards; races through the router exact"

# The sharded gateway in front of the same layout, against the router (its own databases).
cleanup
bash tests/shards/gateway_test.sh
