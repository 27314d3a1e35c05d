#!/usr/bin/env bash
# The sharded gateway (treasure-gateway --shard-map-from / --shards-file) in front of 4 real shards and the PL/Proxy
# router (scripts/shards.sh, on the running cluster: PGHOST/PGPORT/PGUSER), against what the router says:
#   - every player's rows on exactly the one shard the router's partition function names, and the router reads them;
#   - races and replays answer as through the router, and a request_id is one claim across the router and the gateway;
#   - one shard stopped: only its players fail (503; the saga path once the shard is back and its breaker is open),
#     the other shards answer 200 and their breakers stay closed;
#   - SIGHUP after the router's map changed (a bad map keeps the old one; claims in flight through swaps all answer),
#     and polling of a shards file;
#   - the saga path per shard: with the flag off, every saga runs on the player's own shard.
# Run by tests/shards/shards_test.sh; drops its databases at the end.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/../.."
shards=4
gateway_bin=${GATEWAY_BIN:-build/treasure-gateway}
saga_bin=${SAGA_BIN:-build/treasure-saga}
work=$(mktemp -d /tmp/treasure-shard-gateway.XXXXXX)
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  bash scripts/shards.sh drop $shards >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
bash scripts/shards.sh drop $shards >/dev/null 2>&1 || true
bash scripts/shards.sh create $shards >/dev/null

router() { psql -X -q -At -v ON_ERROR_STOP=1 -d treasure_router "$@"; }
on_shard() { local k=$1; shift; psql -X -q -At -v ON_ERROR_STOP=1 -d "treasure_shard_$k" "$@"; }
fail() {
  echo "FAIL: $*"
  for log in "$work"/*.err; do echo "---- $log"; tail -20 "$log"; done
  exit 1
}
check() {  # check NAME EXPECTED ACTUAL
  [ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
  echo "ok - $1"
}
uuid() { printf '00000000-0000-0000-0000-%012d' "$1"; }
owner() { router -c "SELECT treasure.player_hash($1) & $((shards - 1))"; }  # the router's shard of a player
json() { python3 -c 'import json, sys; v = json.load(open(sys.argv[1])).get(sys.argv[2]); print("null" if v is None else str(v).lower() if isinstance(v, bool) else v)' "$1" "$2"; }
dsn_of_partition() {
  router -c "SELECT o.option_value FROM pg_foreign_server s, pg_options_to_table(s.srvoptions) o
             WHERE s.srvname = 'treasure' AND o.option_name = 'p$1'"
}

# start_gateway NAME ARGS...: a gateway on a free port; its pid in $gateway_pid, its address in $url.
start_gateway() {
  local name=$1 address=""
  shift
  "$gateway_bin" --listen 127.0.0.1:0 --retry-deadline-ms 300 "$@" >"$work/$name.out" 2>"$work/$name.err" &
  gateway_pid=$!
  pids+=("$gateway_pid")
  for _ in $(seq 1 200); do
    address=$(sed -n 's/^listening //p' "$work/$name.out")
    [ -n "$address" ] && break
    kill -0 "$gateway_pid" 2>/dev/null || fail "gateway $name did not start"
    sleep 0.05
  done
  [ -n "$address" ] || fail "gateway $name did not say where it listens"
  url="http://$address"
}
# post URL PLAYER CHEST REQUEST: "HTTP-status replayed-header" on stdout, the body in $work/body.$PLAYER.$REQUEST.
post() {
  local body="$work/body.$2.$4" headers="$work/headers.$BASHPID"  # races post the same request at once
  local code
  code=$(curl -s -D "$headers" -o "$body" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
           -d "{\"player_id\": $2, \"chest_id\": $3, \"request_id\": \"$(uuid "$4")\"}" "$1/v1/claims")
  echo "$code $(grep -ci '^Idempotency-Replay: true' "$headers" || true)"
}
metric() { curl -s "$1/metrics" | awk -v name="$2" '$1 == name { print $2 + 0 }'; }
# wait_metric URL NAME VALUE: until the metric has the value (10 s at most).
wait_metric() {
  for _ in $(seq 1 200); do
    [ "$(metric "$1" "$2")" = "$3" ] && return 0
    sleep 0.05
  done
  fail "$2 did not reach $3 (it is '$(metric "$1" "$2")')"
}

router -c "SELECT treasure.put_chest(1, 100)" -c "SELECT treasure.put_chest(2, 50)" -c "SELECT treasure.put_chest(3, 7)" \
  -c "SELECT treasure.put_chest(4, 9)" >/dev/null
# --pool 2: every shard has 2 atomic, 2 saga and 2 analytics connections (the cluster allows 120 in all).
start_gateway routed --shard-map-from "dbname=treasure_router" --pool 2 --saga-deadline-ms 2000 \
  --breaker-min-calls 3 --breaker-threshold 1 --breaker-open-seconds 600
check "the gateway reads $shards shards from the router" "$shards" "$(metric "$url" treasure_shard_map_partitions)"

# 1. Every player's rows on exactly the shard the router names.
codes=$(seq 1000 1199 | xargs -P 4 -I{} curl -s -o /dev/null -w '%{http_code}\n' -X POST \
          -H 'Content-Type: application/json' \
          -d '{"player_id": {}, "chest_id": 1, "request_id": "00000000-0000-0000-0000-00000000{}"}' "$url/v1/claims" |
        sort | uniq -c | awk '{ print $2 ":" $1 }' | paste -sd' ')
check "200 players claim through the sharded gateway" "200:200" "$codes"
found=$(for ((k = 0; k < shards; k++)); do
  on_shard $k -c "SELECT player_id || '|' || $k FROM (SELECT player_id FROM treasure.wallets UNION
                    SELECT player_id FROM treasure.claims UNION SELECT player_id FROM treasure.claim_events UNION
                    SELECT player_id FROM treasure.inventories) p WHERE player_id BETWEEN 1000 AND 1199"
done | sort)
named=$(router -c "SELECT p || '|' || (treasure.player_hash(p) & $((shards - 1))) FROM generate_series(1000, 1199) p" |
        sort)
check "every player's rows are on exactly the shard the router names" "$named" "$found"
check "each shard owns some of them" "$shards" "$(cut -d'|' -f2 <<<"$found" | sort -u | wc -l)"
check "the router reads every wallet the gateway wrote" 20000 \
  "$(router -c 'SELECT sum(balance) FROM generate_series(1000, 1199) p, treasure.wallets(p)')"
claimed=$(curl -s "$url/v1/players/1007/inventory")
check "a player's inventory from the owning shard" 100 "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["balance"])' "$claimed")"
claim_id=$(on_shard "$(owner 1007)" -c "SELECT claim_id FROM treasure.claims WHERE player_id = 1007")
check "a claim's awards from the owning shard" 200 \
  "$(curl -s -o /dev/null -w '%{http_code}' "$url/v1/players/1007/claims/$claim_id/awards")"
check "the player's stats from the owning shard" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$url/v1/players/1007/stats")"
check "GET /v1/chests from the first shard" 4 "$(curl -s "$url/v1/chests" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["chests"]))')"
check "the leaderboard merges every shard" 200 \
  "$(curl -s "$url/v1/leaderboard?limit=1000" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["players"]))')"

# 2. Races and replays, as through the router.
answers=$(for i in 1 2 3 4 5 6 7 8; do post "$url" 500 2 "$((2000 + i))" & done; wait)
check "same chest race through the gateway: 1 claimed, 7 already_claimed" "1 200 0,7 409 0" \
  "$(sort <<<"$answers" | uniq -c | awk '{ print $1 " " $2 " " $3 }' | paste -sd,)"
answers=$(for i in 1 2 3 4 5 6 7 8; do
  router -c "SELECT status FROM claim_treasure(600, 2, '$(uuid $((2100 + i)))')" &
done; wait)
check "the same race through the router" "7 already_claimed,1 claimed" \
  "$(sort <<<"$answers" | uniq -c | awk '{ print $1 " " $2 }' | paste -sd,)"
answers=$(for i in 1 2 3 4 5 6; do post "$url" 501 2 2200 & done; wait)
check "same request race through the gateway: 1 fresh, 5 replays, all 200" "1 200 0,5 200 1" \
  "$(sort <<<"$answers" | uniq -c | awk '{ print $1 " " $2 " " $3 }' | paste -sd,)"
via_router=$(router -c "SELECT claim_id || ':' || coins_awarded || ':' || balance FROM claim_treasure(502, 1, '$(uuid 2300)')")
check "a request_id claimed through the router is a replay through the gateway" "200 1" "$(post "$url" 502 1 2300)"
check "with the router's claim_id, coins and balance" "$via_router" \
  "$(json "$work/body.502.2300" claim_id):$(json "$work/body.502.2300" coins_awarded):$(json "$work/body.502.2300" balance)"
check "a request_id claimed through the gateway is a replay through the router" "200 0" "$(post "$url" 503 1 2400)"
check "with the gateway's claim_id" "true:$(json "$work/body.503.2400" claim_id)" \
  "$(router -c "SELECT replayed || ':' || claim_id FROM claim_treasure(503, 1, '$(uuid 2400)')")"
# request_ids are unique per shard, as through the router: another player on the same shard is refused, one on
# another shard is a claim of its own.
first=1000
same=$(router -c "SELECT p FROM generate_series(1001, 1199) p WHERE treasure.player_hash(p) & 3 = treasure.player_hash($first) & 3 LIMIT 1")
other=$(router -c "SELECT p FROM generate_series(1001, 1199) p WHERE treasure.player_hash(p) & 3 <> treasure.player_hash($first) & 3 LIMIT 1")
check "the request_id of a player on the same shard: 422 request_id_conflict" "422 0" "$(post "$url" "$same" 3 "$first")"
check "the router refuses it too (23505)" 23505 \
  "$(router -c "DO \$\$ BEGIN PERFORM claim_treasure($same, 3, '$(uuid $first)'); EXCEPTION WHEN OTHERS THEN RAISE NOTICE '%', SQLSTATE; END \$\$" 2>&1 | grep -o '[0-9A-Z]\{5\}$')"
check "the request_id of a player on another shard: a claim of its own" "200 0" "$(post "$url" "$other" 3 "$first")"

# 3. One shard stopped: only its players fail, the other shards answer and keep their breakers closed.
down=2
mapfile -t down_players < <(router -c "SELECT p FROM generate_series(1000, 1199) p WHERE treasure.player_hash(p) & 3 = $down LIMIT 6")
mapfile -t up_players < <(router -c "SELECT p FROM generate_series(1000, 1199) p WHERE treasure.player_hash(p) & 3 <> $down LIMIT 12")
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "ALTER DATABASE treasure_shard_$down ALLOW_CONNECTIONS false" \
  -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = 'treasure_shard_$down'" >/dev/null
for p in "${down_players[@]}"; do
  check "player $p of the stopped shard: 503" "503 0" "$(post "$url" "$p" 2 "$((3000 + p))")"
done
for p in "${up_players[@]}"; do
  check "player $p of a running shard: 200" "200 0" "$(post "$url" "$p" 2 "$((3000 + p))")"
done
check "the stopped shard's players' reads: 503" 503 \
  "$(curl -s -o /dev/null -w '%{http_code}' "$url/v1/players/${down_players[0]}/inventory")"
check "the running shards' players' reads: 200" 200 \
  "$(curl -s -o /dev/null -w '%{http_code}' "$url/v1/players/${up_players[0]}/inventory")"
for ((k = 0; k < shards; k++)); do
  expected=0
  [ $k = $down ] && expected=1
  check "shard $k's breaker is $([ $expected = 1 ] && echo open || echo closed)" $expected \
    "$(metric "$url" "treasure_shard_circuit_state{shard=\"$k\"}")"
done
check "treasure_circuit_state is the worst shard's" 1 "$(metric "$url" treasure_circuit_state)"
check "/healthz names the open shard" "open closed" \
  "$(curl -s "$url/healthz" | python3 -c "import json,sys; s=json.load(sys.stdin)['shards']; print(s[$down]['circuit'], s[$(((down + 1) % shards))]['circuit'])")"
# Back up, with its breaker still open: its players' claims go to its own saga path.
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "ALTER DATABASE treasure_shard_$down ALLOW_CONNECTIONS true" >/dev/null
"$saga_bin" --dsn "$(dsn_of_partition $down)" --poll 50 >"$work/saga-$down.out" 2>"$work/saga-$down.err" &
pids+=($!)
p=${down_players[0]}
check "the restarted shard's player, breaker open: 200" "200 0" "$(post "$url" "$p" 4 "$((4000 + p))")"
check "on the saga path" saga "$(json "$work/body.$p.$((4000 + p))" path)"
check "its saga ran on its own shard" 1 "$(on_shard $down -c "SELECT count(*) FROM treasure.sagas WHERE player_id = $p")"
p=${up_players[0]}
check "a running shard's player: 200" "200 0" "$(post "$url" "$p" 4 "$((4000 + p))")"
check "on the atomic path" atomic "$(json "$work/body.$p.$((4000 + p))" path)"

# 4. SIGHUP after the router's map changed: partitions 1 and 3 swap databases.
dsn1=$(dsn_of_partition 1)
dsn3=$(dsn_of_partition 3)
router -c "ALTER SERVER treasure OPTIONS (SET p1 '$dsn3', SET p3 '$dsn1')"
kill -HUP "$gateway_pid"
wait_metric "$url" 'treasure_shard_map_reloads_total{outcome="changed"}' 1
moved=$(router -c "SELECT p FROM generate_series(8000, 8999) p WHERE treasure.player_hash(p) & 3 = 1 LIMIT 1")
check "after SIGHUP, a partition-1 player's claim" "200 0" "$(post "$url" "$moved" 1 "$moved")"
check "lands on the database the router now names for partition 1" 1 \
  "$(on_shard 3 -c "SELECT count(*) FROM treasure.claims WHERE player_id = $moved")"
check "where the router reads it" 100 "$(router -c "SELECT balance FROM treasure.wallets($moved)")"
# A map naming a database that does not exist: the reload fails and the map in force stays.
router -c "ALTER SERVER treasure OPTIONS (SET p3 '$dsn1 dbname=treasure_shard_missing')"
kill -HUP "$gateway_pid"
wait_metric "$url" 'treasure_shard_map_reloads_total{outcome="failed"}' 1
moved3=$(router -c "SELECT p FROM generate_series(8000, 8999) p WHERE treasure.player_hash(p) & 3 = 3 LIMIT 1")
check "after a failed reload, a partition-3 player's claim" "200 0" "$(post "$url" "$moved3" 1 "$moved3")"
check "still lands where the map in force says" 1 \
  "$(on_shard 1 -c "SELECT count(*) FROM treasure.claims WHERE player_id = $moved3")"
router -c "ALTER SERVER treasure OPTIONS (SET p1 '$dsn1', SET p3 '$dsn3')"
kill -HUP "$gateway_pid"
wait_metric "$url" 'treasure_shard_map_reloads_total{outcome="changed"}' 2
# Claims in flight while shard 0's pools are swapped (its DSN changes, its database does not): every one answers.
dsn0=$(dsn_of_partition 0)
mapfile -t zero_players < <(router -c "SELECT p FROM generate_series(6000, 6999) p WHERE treasure.player_hash(p) & 3 = 0 LIMIT 100")
printf '%s\n' "${zero_players[@]}" | xargs -P 4 -I{} curl -s -o /dev/null -w '%{http_code}\n' -X POST \
  -H 'Content-Type: application/json' \
  -d '{"player_id": {}, "chest_id": 1, "request_id": "00000000-0000-0000-0000-00000000{}"}' "$url/v1/claims" \
  >"$work/in-flight.codes" &
load=$!
for swap in 1 2 3 4; do
  router -c "ALTER SERVER treasure OPTIONS (SET p0 '$dsn0 application_name=treasure-swap-$swap')"
  kill -HUP "$gateway_pid"
  wait_metric "$url" 'treasure_shard_map_reloads_total{outcome="changed"}' $((2 + swap))
done
wait "$load"
check "100 claims through 4 swaps of shard 0's pools: all 200" "100:200" \
  "$(sort "$work/in-flight.codes" | uniq -c | awk '{ print $1 ":" $2 }' | paste -sd' ')"
kill -HUP "$gateway_pid"  # unchanged: releases the retired pools nobody holds any more
wait_metric "$url" 'treasure_shard_map_reloads_total{outcome="unchanged"}' 1
for _ in $(seq 1 100); do
  retired=$(on_shard 0 -c "SELECT count(*) FROM pg_stat_activity WHERE application_name IN
                             ('treasure-swap-1', 'treasure-swap-2', 'treasure-swap-3')")
  [ "$retired" = 0 ] && break
  sleep 0.05
done
check "the retired pools' connections are closed" 0 "$retired"
check "the pools in force stay open" t \
  "$(on_shard 0 -c "SELECT count(*) > 0 FROM pg_stat_activity WHERE application_name = 'treasure-swap-4'")"

kill -TERM "$gateway_pid"
wait "$gateway_pid" || fail "the routed gateway did not stop cleanly"

# 5. The saga path per shard, and polling of a shards file: with the flag off, every claim is a saga on the
# player's own shard; a changed file is picked up without a signal.
for ((k = 0; k < shards; k++)); do
  [ $k = $down ] && continue  # its workers run since step 3
  "$saga_bin" --dsn "$(dsn_of_partition $k)" --poll 50 >"$work/saga-$k.out" 2>"$work/saga-$k.err" &
  pids+=($!)
done
for ((k = 0; k < shards; k++)); do dsn_of_partition $k; done >"$work/shards.txt"
echo '{"flags": {"atomic_claims": {"rule": "off"}}}' >"$work/off.json"
start_gateway polled --shards-file "$work/shards.txt" --shard-map-poll-seconds 1 --flags "$work/off.json" --pool 2
for p in $(seq 7000 7011); do
  check "saga claim of player $p" "200 0" "$(post "$url" "$p" 1 "$p")"
  check "player $p's saga" saga "$(json "$work/body.$p.$p" path)"
done
sagas=$(for ((k = 0; k < shards; k++)); do
  on_shard $k -c "SELECT player_id || '|' || $k FROM treasure.sagas WHERE player_id BETWEEN 7000 AND 7011"
done | sort)
check "each saga ran on its player's shard" \
  "$(router -c "SELECT p || '|' || (treasure.player_hash(p) & 3) FROM generate_series(7000, 7011) p" | sort)" "$sagas"
{ echo "# the same shards, shard 1 under another application_name"; sed '2s/$/ application_name=treasure-polled/' "$work/shards.txt"; } \
  >"$work/shards.txt.new"
mv "$work/shards.txt.new" "$work/shards.txt"
wait_metric "$url" 'treasure_shard_map_reloads_total{outcome="changed"}' 1
check "the polled map is in force" t \
  "$(on_shard 1 -c "SELECT count(*) > 0 FROM pg_stat_activity WHERE application_name = 'treasure-polled'")"
echo "sharded gateway: $shards shards agree with the router; one stopped shard failed only its own players"
