#!/usr/bin/env bash
# The saga path with real treasure-saga processes: happy path; every step failing (injected) -> full
# compensation, or retry after the point of no return; processes killed between steps -> recovery on
# restart; duplicated messages -> applied once; the seed's $87k scenario; one request_id across both paths;
# featured chests (bundle and loot awards equal to claim_treasure()'s, exactly N winners of a stock of N, the
# claim limit and the caps at once and at the commit).
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

echo "# featured chests through the saga: bundles, loot, stock, the claim limit and caps"
stop_workers $started
# A twin database configured alike, where claim_treasure() claims what the saga path claims here.
twin=treasure_saga_twin
tsql() { psql -X -q -v ON_ERROR_STOP=1 -At -F ' ' -d $twin "$@"; }
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $twin" -c "CREATE DATABASE $twin"
featured_chests="
SELECT treasure.put_chest(10, 100, 'gem', 2);                      -- a bundle: gem, potion, scroll
SELECT treasure.put_chest_item(10, 'potion', 3);
SELECT treasure.put_chest_item(10, 'scroll', 1);
SELECT treasure.put_chest(11, 10);                                 -- loot: 5 rolls
SELECT treasure.put_loot(11, 5, '[{\"item\": \"crown\", \"qty\": 1, \"weight\": 1, \"max_repeats\": 1},
                                  {\"item\": \"gem\", \"qty\": 2, \"coins\": 5, \"weight\": 3},
                                  {\"item\": null, \"coins\": 25, \"weight\": 4}]', 'saga-test-seed');
SELECT treasure.put_chest(12, 7);                                  -- limited: 3 winners
SELECT treasure.set_stock(12, 3);"
tsql -c "CREATE EXTENSION treasure" >/dev/null
tsql >/dev/null <<<"$featured_chests"
sql >/dev/null <<<"$featured_chests"
# claimed_awards DB PLAYER CHEST: what the claim paid: coins, claim_details(), every loot roll, the holdings.
claimed_awards() {
  psql -X -q -v ON_ERROR_STOP=1 -At -d "$1" -c "
    SELECT k.coins_awarded || ' ' || treasure.claim_details(k.player_id, k.claim_id, 'claimed')::text || ' rolls '
           || COALESCE((SELECT string_agg(concat_ws(':', l.roll, l.entry, l.item, l.qty, l.coins, l.draw), ',' ORDER BY l.roll)
                          FROM treasure.claim_loot l WHERE l.player_id = k.player_id AND l.claim_id = k.claim_id), '')
           || ' | wallet ' || (SELECT balance FROM treasure.wallets w WHERE w.player_id = k.player_id)
           || ' | items ' || COALESCE((SELECT string_agg(item || '=' || qty, ',' ORDER BY item) FROM treasure.inventories i
                                        WHERE i.player_id = k.player_id), '')
      FROM treasure.claims k WHERE k.player_id = $2 AND k.chest_id = $3"
}
all_done() { wait_for "every saga finished" "SELECT NOT EXISTS (SELECT FROM treasure.sagas WHERE state NOT IN ('completed', 'aborted'))"; }
start_workers all
for chest in 10 11; do
  saga=$(start 500 $chest $((4000 + chest)))
  wait_state $saga completed
  tsql -c "SELECT status FROM claim_treasure(500, $chest, '$(uuid $((4000 + chest)))')" >/dev/null
  awarded=$(claimed_awards $db 500 $chest)
  [ -n "$awarded" ] || fail "chest $chest: the saga claimed nothing"
  echo "# chest $chest through the saga: $awarded"
  check "chest $chest: the saga awards what claim_treasure() awards" "$(claimed_awards $twin 500 $chest)" "$awarded"
done
check "bundle: every item awarded" "3" \
  "$(sql -c "SELECT jsonb_array_length(treasure.claim_details(500, claim_id, 'claimed')->'awards') FROM treasure.claims WHERE player_id = 500 AND chest_id = 10")"
check "loot: 5 rolls recorded" "5" \
  "$(sql -c "SELECT count(*) FROM treasure.claim_loot l JOIN treasure.claims k USING (player_id, claim_id) WHERE k.player_id = 500 AND k.chest_id = 11")"
check "loot: the rolls are loot_roll()'s" \
  "$(sql -c "SELECT string_agg(concat_ws(':', x.roll, x.entry, x.item, x.qty, x.coins, x.draw), ',' ORDER BY x.roll)
               FROM treasure.loot_tables t, treasure.loot_seeds s, treasure.loot_roll(500, 11, t.version, s.seed, t.rolls, t.entries) x
              WHERE t.chest_id = 11 AND s.chest_id = 11")" \
  "$(sql -c "SELECT string_agg(concat_ws(':', l.roll, l.entry, l.item, l.qty, l.coins, l.draw), ',' ORDER BY l.roll)
               FROM treasure.claim_loot l JOIN treasure.claims k USING (player_id, claim_id) WHERE k.player_id = 500 AND k.chest_id = 11")"
check "loot: coins are the chest's plus the loot's" \
  "$(sql -c "SELECT 10 + sum(l.coins) FROM treasure.claim_loot l JOIN treasure.claims k USING (player_id, claim_id) WHERE k.player_id = 500 AND k.chest_id = 11")" \
  "$(sql -c "SELECT coins_awarded FROM treasure.claims WHERE player_id = 500 AND chest_id = 11")"
replay_row() {  # what a replay of the saga's claim answers: the row and its details
  sql -c "SELECT concat_ws(' ', c.status, c.replayed, c.claim_id, c.coins_awarded, c.balance, treasure.claim_details(500, c.claim_id, c.status))
            FROM $1(500, 11, '$(uuid 4011)') c"
}
check "loot: claim_treasure() replays the saga's claim with the same awards" \
  "claimed t $(sql -c "SELECT claim_id || ' ' || coins_awarded || ' ' || (SELECT balance_after FROM treasure.claim_events e WHERE e.player_id = 500 AND e.claim_id = k.claim_id) || ' ' || treasure.claim_details(500, claim_id, 'claimed') FROM treasure.claims k WHERE player_id = 500 AND chest_id = 11")" \
  "$(replay_row claim_treasure)"
check "loot: the saga path replays it alike" "$(replay_row claim_treasure)" "$(replay_row treasure.saga_claim)"
reconciled "featured awards"

# More sagas than stock, racing at their commit steps (two processes): exactly the stock's winners.
first_workers=$started
start_workers all_2
second=$started
racers=$(sql -c "SELECT string_agg(s.saga_id::text, ' ') FROM generate_series(601, 608) p,
                        LATERAL treasure.saga_claim(p, 12, ('00000000-0000-0000-0001-' || lpad(p::text, 12, '0'))::uuid) s")
check "limited chest: 8 sagas started" "8" "$(wc -w <<<"$racers")"
all_done
check "limited chest: exactly 3 winners, 5 sold_out" "claimed 3,sold_out 5" \
  "$(sql -c "SELECT string_agg(outcome || ' ' || n, ',' ORDER BY outcome) FROM (SELECT outcome, count(*) n FROM treasure.sagas WHERE chest_id = 12 GROUP BY outcome) o")"
check "limited chest: stock 3, claimed 3, 3 claims" "3 3 3" \
  "$(sql -c "SELECT stock, claimed, (SELECT count(*) FROM treasure.claims WHERE chest_id = 12) FROM treasure.chest_stock(12)")"
check "limited chest: the losers answer sold_out, their coins refunded" "5" \
  "$(sql -c "SELECT count(*) FROM treasure.sagas g, treasure.saga_outcome(g.player_id, g.saga_id) o
              WHERE g.chest_id = 12 AND o.status = 'sold_out' AND o.balance = 0 AND o.claim_id IS NULL")"
check "limited chest: a later tap is answered sold_out at once" " sold_out" \
  "$(sql -c "SELECT saga_id, status FROM treasure.saga_claim(609, 12, gen_random_uuid())")"
reconciled "limited chest"
stop_workers $second
started=$first_workers

# The claim limit: one claim per hour.  Refused at once when no token is left; refused at the commit of a
# saga that started while one was (the token taken only by the claim that commits).
stop_workers $started
sql -c "SELECT treasure.set_claim_limit(1, '1 hour')" >/dev/null
first=$(start 700 1 4101)
second_saga=$(start 700 4 4102)
start_workers all
wait_state $second_saga aborted
wait_state $first completed
check "limit: the second saga is refused at its commit" "rate_limited f f 0  100" "$(outcome 700 "$second_saga")"
check "limit: claim_details() gives the retry time" "t" \
  "$(sql -c "SELECT (treasure.claim_details(700, NULL, 'rate_limited')->>'retry_after_ms')::bigint BETWEEN 1 AND 3600000")"
check "limit: a new tap is answered rate_limited at once" " rate_limited" \
  "$(sql -c "SELECT saga_id, status FROM treasure.saga_claim(700, 5, '$(uuid 4103)')")"
check "limit: claim_treasure() agrees" "rate_limited" "$(sql -c "SELECT status FROM claim_treasure(700, 5, '$(uuid 4103)')")"
sql -c "SELECT treasure.set_claim_limit(NULL, NULL)" >/dev/null
reconciled "claim limit"

# Caps: refused at once on what the claim would award; refused at the commit when the player's holdings grew
# meanwhile.
stop_workers $started
sql -c "SELECT treasure.set_wallet_cap(550), treasure.set_item_cap('potion', 3)" >/dev/null
wallet_saga=$(start 800 5 4201)
sql -c "SELECT status FROM claim_treasure(800, 1, '$(uuid 4202)')" >/dev/null
item_saga=$(start 810 10 4203)
sql -c "SELECT treasure.grant_item(810, 'potion', 1)" >/dev/null
start_workers all
wait_state $wallet_saga aborted
wait_state $item_saga aborted
check "wallet cap: refused at the commit, refunded" "wallet_full f f 0  100" "$(outcome 800 "$wallet_saga")"
check "item cap: refused at the commit, refunded" "inventory_full f f 0  0" "$(outcome 810 "$item_saga")"
check "wallet cap: a new tap is answered at once" " wallet_full" "$(sql -c "SELECT saga_id, status FROM treasure.saga_claim(800, 5, '$(uuid 4204)')")"
check "item cap: a new tap is answered at once" " inventory_full" "$(sql -c "SELECT saga_id, status FROM treasure.saga_claim(810, 10, '$(uuid 4205)')")"
check "caps: claim_treasure() agrees" "wallet_full inventory_full" \
  "$(sql -c "SELECT (SELECT status FROM claim_treasure(800, 5, '$(uuid 4204)')) || ' ' || (SELECT status FROM claim_treasure(810, 10, '$(uuid 4205)'))")"
check "caps: nothing paid" "wallet 100 | items  | claims 1 | events 1 | stats 1/100 ; wallet 0 | items potion=1 | claims 0 | events 0 | stats none" \
  "$(holdings 800) ; $(holdings 810)"
sql -c "SELECT treasure.set_wallet_cap(NULL), treasure.set_item_cap('potion', NULL)" >/dev/null
reconciled "caps"
psql -X -q -d postgres -c "DROP DATABASE $twin"

echo "# GoogleTest: SagaPath (libpqxx) against running workers"
TREASURE_SAGA_DSN="$dsn" "$tests_bin"
reconciled "GoogleTest"
stop_workers $started
psql -X -q -d postgres -c "DROP DATABASE $db"
echo "saga: every scenario recovered or compensated, nothing paid twice, reconcile() empty"
