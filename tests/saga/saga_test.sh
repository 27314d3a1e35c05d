#!/usr/bin/env bash
# The saga path with real treasure-saga processes: happy path; every step failing (injected) -> full
# compensation, or retry after the point of no return; processes killed between steps -> recovery on
# restart; duplicated messages -> applied once; the seed's $87k scenario; one request_id across both paths.
# Every scenario ends with reconcile() empty.  Then the GoogleTest suite (SagaPath through libpqxx).
# Needs PGHOST/PGPORT/PGUSER of a running cluster with the extension installed (scripts/test.sh provides them)
# and the binaries built (make saga saga-tests).
set -euo pipefail
cd "$(dirname "$0")/../.."
db=treasure_saga_test
dsn="host=$PGHOST port=$PGPORT user=$PGUSER dbname=$db"
saga_bin=${SAGA_BIN:-build/treasure-saga}
tests_bin=${SAGA_TESTS_BIN:-build/tests/treasure_saga_tests}
logs=$(mktemp -d /tmp/treasure-saga-test.XXXXXX)
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$logs"
}
trap cleanup EXIT
sql() { psql -X -q -v ON_ERROR_STOP=1 -At -F ' ' -d $db "$@"; }
fail() {
  echo "FAIL: $*"
  for f in "$logs"/*.log; do [ -s "$f" ] && { echo "---- $f"; tail -20 "$f"; }; done
  exit 1
}
check() {  # check NAME EXPECTED ACTUAL
  [ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
  echo "ok - $1"
}
reconciled() { check "$1: reconcile() is empty" "" "$(sql -c 'SELECT * FROM treasure.reconcile()')"; }
# start_workers NAME ARGS...: a treasure-saga process in the background; its pid in $started.
start_workers() {
  local name=$1
  shift
  "$saga_bin" --dsn "$dsn" --poll 50 --verbose "$@" >>"$logs/$name.log" 2>&1 &
  started=$!
  pids+=("$started")
}
stop_workers() { kill -TERM "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
crash_workers() { kill -9 "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
# wait_for DESCRIPTION SQL: until the query returns t (10 s at most).
wait_for() {
  for _ in $(seq 1 200); do
    [ "$(sql -c "$2")" = "t" ] && return 0
    sleep 0.05
  done
  fail "timed out waiting for: $1"
}
# wait_state SAGA STATE [DESCRIPTION]: until the saga is in STATE.
wait_state() { wait_for "saga $1 ${3:-$2}" "SELECT state = '$2' FROM treasure.sagas WHERE saga_id = $1"; }
uuid() { printf '00000000-0000-0000-0000-%012d' "$1"; }
start() { sql -c "SELECT saga_id FROM treasure.saga_claim($1, $2, '$(uuid "$3")')"; }
state() { sql -c "SELECT state FROM treasure.sagas WHERE player_id = $1 AND saga_id = $2"; }
outcome() { sql -c "SELECT status, replayed, claim_id IS NOT NULL, coins_awarded, item_awarded, balance FROM treasure.saga_outcome($1, $2)"; }
# What a player owns, in one line: wallet, inventory, claims, events, stats.
holdings() {
  sql -c "SELECT concat_ws(' | ',
      'wallet ' || COALESCE((SELECT balance FROM treasure.wallets WHERE player_id = $1)::text, 'none'),
      'items ' || COALESCE((SELECT string_agg(item || '=' || qty, ',' ORDER BY item) FROM treasure.inventories WHERE player_id = $1), ''),
      'claims ' || (SELECT count(*) FROM treasure.claims WHERE player_id = $1),
      'events ' || (SELECT count(*) FROM treasure.claim_events WHERE player_id = $1),
      'stats ' || COALESCE((SELECT claims || '/' || coins_awarded FROM treasure.player_stats WHERE player_id = $1), 'none'))"
}
# What a player holds after a crown claim paid exactly once.
paid_once="wallet 500 | items crown=2,golden_key=0 | claims 1 | events 1 | stats 1/500"
# The next player ($player), holding one golden key.
next_player_with_key() {
  player=$((player + 1))
  sql -c "SELECT treasure.grant_item($player, 'golden_key', 1)" >/dev/null
}
# Analytics over all players: events and their coins, stats claims and their coins.
analytics() {
  sql -c "SELECT (SELECT count(*) || ' ' || COALESCE(sum(coins_awarded), 0) FROM treasure.claim_events) || ' ' ||
                 (SELECT COALESCE(sum(claims), 0) || ' ' || COALESCE(sum(coins_awarded), 0) FROM treasure.player_stats)"
}

psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
sql >/dev/null <<'SQL'
CREATE EXTENSION treasure;
SELECT treasure.put_chest(1, 100);                                 -- coins only
SELECT treasure.put_chest(2, 50, 'golden_key');                    -- gives a key
SELECT treasure.put_chest(3, 500, 'crown', 2, 'golden_key');       -- takes the key, gives two crowns
SQL

echo "# happy path: key, coins, item, counters"
sql -c "SELECT treasure.grant_item(10, 'golden_key', 1)" >/dev/null
start_workers all
all=$started
saga=$(start 10 3 1001)
wait_state $saga completed
check "happy path: claimed with everything" "claimed f t 500 crown 500" "$(outcome 10 "$saga")"
check "happy path: what the player holds" "$paid_once" "$(holdings 10)"
check "happy path: steps in order" "take_key credit commit give_item count" \
  "$(sql -c "SELECT string_agg(step, ' ' ORDER BY decided_at) FROM treasure.saga_steps WHERE saga_id = $saga")"
check "happy path: a retry replays" "claimed t t 500 crown 500" \
  "$(sql -c "SELECT status, replayed, claim_id IS NOT NULL, coins_awarded, item_awarded, balance FROM treasure.saga_claim(10, 3, '$(uuid 1001)')")"
reconciled "happy path"
stop_workers $all

echo "# each step before the point of no return failing: full compensation"
player=20
for step in take_key credit commit; do
  next_player_with_key
  before=$(holdings $player)
  start_workers "fail_$step" --fail-step $step
  saga=$(start $player 3 $((2000 + player)))
  wait_state $saga aborted
  check "$step fails: answered failed (retry)" "failed f f 0  0" "$(outcome $player "$saga")"
  check "$step fails: key back, no coins, no claim" "$before" "$(holdings $player)"
  reconciled "$step fails"
  stop_workers $started
done

echo "# each step after the point of no return failing: retried until it succeeds"
for step in give_item count; do
  next_player_with_key
  start_workers "fail_$step" --fail-step $step
  saga=$(start $player 3 $((2000 + player)))
  wait_for "saga $saga retrying $step" \
    "SELECT state = '$step' AND error LIKE '%injected%' FROM treasure.sagas WHERE saga_id = $saga"
  check "$step fails: the client already has its claim" "claimed f t 500 crown 500" "$(outcome $player "$saga")"
  reconciled "$step fails (in flight)"
  stop_workers $started
  start_workers "after_$step"
  wait_state $saga completed
  check "$step fails then recovers: everything applied once" \
    "$paid_once" "$(holdings $player)"
  reconciled "$step recovered"
  stop_workers $started
done

echo "# compensation failing: retried with back-off until it succeeds"
next_player_with_key
before=$(holdings $player)
start_workers refund_blocked --workers inventory,wallet --fail-step refund
saga=$(start $player 3 $((2000 + player)))
wait_state $saga commit "at commit"
sql -c "SELECT treasure.saga_expire('0')" >/dev/null
wait_for "refund retried" "SELECT error LIKE 'refund: injected%' FROM treasure.sagas WHERE saga_id = $saga"
reconciled "refund failing (in flight)"
stop_workers $started
start_workers all
wait_state $saga aborted
check "refund recovered: fully compensated" "$before" "$(holdings $player)"
reconciled "refund recovered"
stop_workers $started

echo "# killed between steps, restarted before the deadline: the saga completes"
next_player_with_key
start_workers partial --workers inventory,wallet
saga=$(start $player 3 $((2000 + player)))
wait_state $saga commit "at commit"
crash_workers $started
reconciled "killed before commit (in flight)"
start_workers restarted --step-timeout 60000
wait_state $saga completed
check "restart completes it" "$paid_once" "$(holdings $player)"
reconciled "restart before deadline"
stop_workers $started

echo "# killed after the point of no return: completed on restart, whatever the deadline"
next_player_with_key
start_workers partial --workers inventory,wallet,orchestrator
saga=$(start $player 3 $((2000 + player)))
wait_state $saga count "committed"
crash_workers $started
sleep 0.3
start_workers restarted --step-timeout 100
wait_state $saga completed
check "past the point of no return: completed" "$paid_once" "$(holdings $player)"
reconciled "restart after commit"
stop_workers $started

echo "# the seed's \$87k: wallet credited, worker killed before commit/analytics, orchestrator times out"
next_player_with_key
before=$(holdings $player)
analytics_before=$(analytics)
start_workers wallet_service --workers inventory,wallet
saga=$(start $player 3 $((2000 + player)))
wait_for "wallet credited" "SELECT credited FROM treasure.sagas WHERE saga_id = $saga"
check "seed: the wallet shows the credit" "500" "$(sql -c "SELECT balance FROM treasure.wallets WHERE player_id = $player")"
check "seed: analytics has not heard of it" "$analytics_before" "$(analytics)"
check "seed: the credit is a known in-flight amount" "500 golden_key" \
  "$(sql -c "SELECT coins_in_flight, key_in_flight FROM treasure.saga_in_flight WHERE saga_id = $saga")"
reconciled "seed (in flight)"
crash_workers $started
sleep 0.5
start_workers orchestrator_restarted --step-timeout 300
wait_state $saga aborted compensated
check "seed: the orchestrator timed it out" "failed timed out waiting for step commit" \
  "$(sql -c "SELECT outcome, error FROM treasure.sagas WHERE saga_id = $saga")"
check "seed: the late commit message was skipped" "skipped" \
  "$(sql -c "SELECT split_part(result, ':', 1) FROM treasure.saga_steps WHERE saga_id = $saga AND step = 'commit'")"
check "seed: the wallet and the key are back" "$before" "$(holdings $player)"
check "seed: analytics never counted it" "$analytics_before" "$(analytics)"
reconciled "seed"
stop_workers $started

echo "# duplicated delivery: every message of a finished saga sent again, and a duplicate in flight"
next_player_with_key
saga=$(start $player 3 $((2000 + player)))
# The credit message delivered twice before the wallet worker runs: applied once.
sql -c "INSERT INTO treasure.saga_messages (worker, player_id, saga_id, step) VALUES ('wallet', $player, $saga, 'credit')"
check "duplicate in flight: first take_key" "take_key applied" "$(sql -c "SELECT step, result FROM treasure.saga_work('inventory')")"
check "duplicate in flight: first credit" "credit applied" "$(sql -c "SELECT step, result FROM treasure.saga_work('wallet')")"
check "duplicate in flight: second credit" "credit duplicate" "$(sql -c "SELECT step, result FROM treasure.saga_work('wallet')")"
check "duplicate in flight: credited once" "500" "$(sql -c "SELECT balance FROM treasure.wallets WHERE player_id = $player")"
start_workers all
wait_state $saga completed
after=$(holdings $player)
sql -c "INSERT INTO treasure.saga_messages (worker, player_id, saga_id, step)
        SELECT treasure.saga_worker_of(t.step), t.player_id, t.saga_id, t.step FROM treasure.saga_steps t
         WHERE t.saga_id = $saga ORDER BY t.decided_at; NOTIFY treasure_saga_inventory; NOTIFY treasure_saga_wallet;
        NOTIFY treasure_saga_orchestrator; NOTIFY treasure_saga_analytics"
wait_for "redelivered messages consumed" "SELECT NOT EXISTS (SELECT FROM treasure.saga_messages)"
check "redelivery: every step applied once" "$after" "$(holdings $player)"
check "redelivery: workers saw duplicates" "5" "$(grep -c "saga $saga .* duplicate" "$logs/all.log" || true)"
reconciled "duplicates"
stop_workers $started

echo "# one request_id across both paths"
player=$((player + 1))
atomic=$(sql -c "SELECT row(c.*)::text FROM claim_treasure($player, 1, '$(uuid 3001)') c")
check "atomic then saga: the saga path replays the atomic claim" "$atomic" \
  "$(sql -c "SELECT row(c.status, c.replayed, c.claim_id, c.coins_awarded, c.item_awarded, c.item_qty, c.key_used, c.balance, c.claimed_at)::text
             FROM treasure.saga_claim($player, 1, '$(uuid 3001)') c" | sed 's/,t,/,f,/')"
start_workers all
saga=$(start $player 2 3002)
wait_state $saga completed
check "saga then atomic: the atomic path replays the saga's claim" \
  "$(sql -c "SELECT 'claimed,t,' || k.claim_id || ',50,golden_key,1,,150' FROM treasure.claims k WHERE k.request_id = '$(uuid 3002)'")" \
  "$(sql -c "SELECT concat_ws(',', status, replayed, claim_id, coins_awarded, item_awarded, item_qty, coalesce(key_used, ''), balance) FROM claim_treasure($player, 2, '$(uuid 3002)')")"
stop_workers $started
# Mid-flight flip: the saga credited, the client's retry goes to the atomic path with the same request_id.
# (A chest without a key: with one, the atomic retry answers key_required while the saga holds the key.)
sql -c "SELECT treasure.put_chest(5, 500, 'map')" >/dev/null
start_workers partial --workers inventory,wallet
saga=$(start $player 5 3003)
wait_state $saga commit "at commit"
check "mid-flight: the atomic retry claims" "claimed f 500" \
  "$(sql -c "SELECT status, replayed, coins_awarded FROM claim_treasure($player, 5, '$(uuid 3003)')")"
check "mid-flight: both credits visible, one of them in flight" "1150 500" \
  "$(sql -c "SELECT (SELECT balance FROM treasure.wallets WHERE player_id = $player), (SELECT coins_in_flight FROM treasure.saga_in_flight WHERE saga_id = $saga)")"
reconciled "mid-flight (in flight)"
stop_workers $started
start_workers all
wait_state $saga aborted
# The replay is the atomic claim's own answer, whose balance included the saga's credit then in flight (the
# price of crediting before the point of no return: a balance shown to a client may later be refunded).
check "mid-flight: the saga answers a replay of the atomic claim" "claimed t t 500 map 1150" "$(outcome $player "$saga")"
check "mid-flight: paid once" "wallet 650 | items golden_key=1,map=1 | claims 3 | events 3 | stats 3/650" "$(holdings $player)"
reconciled "cross-path"
# Another request for the same chest while a saga holds it: 40001, retry.
stop_workers $started
start_workers partial --workers inventory
sql -c "SELECT treasure.put_chest(4, 5)" >/dev/null
saga=$(start $player 4 3004)
if out=$(sql -c "SELECT * FROM treasure.saga_claim($player, 4, '$(uuid 3005)')" 2>&1); then fail "second saga on a busy chest started: $out"; fi
echo "$out" | grep -q 'in progress' || fail "unexpected error: $out"
echo "ok - a second request for a chest with a running saga gets 40001"
stop_workers $started
start_workers all
wait_state $saga completed
check "the second request is then already_claimed" "already_claimed" \
  "$(sql -c "SELECT status FROM treasure.saga_claim($player, 4, '$(uuid 3005)')")"
reconciled "busy chest"

echo "# GoogleTest: SagaPath (libpqxx) against running workers"
TREASURE_SAGA_DSN="$dsn" "$tests_bin"
reconciled "GoogleTest"
stop_workers $started
psql -X -q -d postgres -c "DROP DATABASE $db"
echo "saga: every scenario recovered or compensated, nothing paid twice, reconcile() empty"
