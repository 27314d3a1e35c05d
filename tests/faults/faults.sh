#!/usr/bin/env bash
# The fault and abuse suite (issue 7): real processes, real failures, and after each fault the proof that no
# acknowledged claim was lost and none was paid twice.
#
#   make faults                       full suite (FAULTS_MODE=full, ~15 min: longer faults, 5-minute soak)
#   FAULTS_MODE=short make faults     the short version (~3 min), which scripts/test.sh runs in make test
#   FAULTS_AUTH=jwt make faults       every scenario behind authentication (FAULTS_AUTH=jwt|api-key|none, default
#                                     none): every gateway authenticates, every driver run sends a credential
#
# Runs on its OWN throwaway cluster (cluster_start faults): it kills that cluster's postmaster, revokes
# functions and locks tables, so it never touches the cluster of `make test`.  Every scenario drives the gateway
# with build/tests/treasure_fault_driver load (taps that retry with the same request_id until answered, ~10%
# sent again on purpose, and record every 200 in an acks file), injects its fault, then checks:
#   lost        acknowledged claims missing from treasure.claims (by request_id, player, chest, claim_id)  = 0
#   duplicates  (player, chest) pairs credited twice (claims, claim_events)                              = 0
#   wallets     players whose balance differs from the sum of their claims' coins                         = 0
#   reconcile   rows of treasure.reconcile() (after the sagas settle)                                     = 0
# and that no tap was refused 401/403 (nor 429, except in bot_swarm, whose limit is the point).
# Figures go to $FAULTS_RESULTS/figures.tsv (printed at the end); tests/faults/README.md has the recorded ones.
set -uo pipefail
cd "$(dirname "$0")/../.."
source scripts/common.sh

MODE=${FAULTS_MODE:-short}
AUTH=${FAULTS_AUTH:-none}
case "$AUTH" in none | jwt | api-key) ;; *) echo "FAULTS_AUTH wants none, jwt or api-key, got '$AUTH'"; exit 2 ;; esac
DRIVER=build/tests/treasure_fault_driver
GATEWAY=build/treasure-gateway
SAGA=build/treasure-saga
RESULTS=${FAULTS_RESULTS:-$(mktemp -d /tmp/treasure-faults-results.XXXXXX)}
FIGURES=$RESULTS/figures.tsv
mkdir -p "$RESULTS"
if [ "$MODE" = full ]; then long=1; else long=0; fi
pick() { if [ "$long" = 1 ]; then echo "$2"; else echo "$1"; fi; }  # pick SHORT FULL

started_pids=()
cleanup() {
  local pid
  for pid in "${started_pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  sleep 0.3
  for pid in "${started_pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
  cluster_stop
}
trap cleanup EXIT

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {}, {'d': d}))" "$@"; }

echo "==> faults ($MODE, auth $AUTH): building the suite's programs"
[ "${FAULTS_INSTALL:-0}" = 1 ] && { install_packages && build_and_install || exit 1; }
make -s -j2 client fault-programs >/dev/null || exit 1  # client builds treasure-saga too

echo "==> fuzz: seeded random requests into the gateway's parser"
TREASURE_FUZZ_ITERATIONS=$(pick 20000 300000) build/tests/treasure_fuzz_tests --gtest_brief=1 || fail "parser fuzz test"

# Credentials, made fresh for every run: an ES256 key for player tokens (its public JWKS for the gateway) and one
# API key.  bot_swarm always uses the JWT key; with FAULTS_AUTH on, every scenario uses them (see below).
JWT_KEY=$RESULTS/jwt-key.pem
JWT_KID=faults-$$
JWKS=$RESULTS/jwks.json
API_KEYS=$RESULTS/api-keys.json
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$JWT_KEY" 2>/dev/null || exit 1
build/treasure token --key "$JWT_KEY" --kid "$JWT_KID" --print-jwks >"$JWKS" || exit 1
API_KEY=$(openssl rand -hex 24)
printf '{"keys": [{"name": "faults-suite", "sha256": "%s", "scopes": ["claim", "read", "metrics"]}]}\n' \
  "$(printf %s "$API_KEY" | sha256sum | cut -d' ' -f1)" >"$API_KEYS"
# gw_auth: added to every gateway start_gateway starts; load_auth: to every driver run (start_load, saturation).
# With authentication on, /metrics on the main address needs a key with the metrics scope: the suite's own
# scrapes (gw_metrics) send the API key, so FAULTS_AUTH=jwt runs the gateway with jwt,api-key (the key is only
# the suite's; every tap carries a player's token).
case "$AUTH" in
  none) gw_auth=(); load_auth=(); metrics_auth=() ;;
  jwt) gw_auth=(--auth jwt,api-key --jwks "$JWKS" --api-keys "$API_KEYS")
    load_auth=(--jwt-key "$JWT_KEY" --jwt-kid "$JWT_KID"); metrics_auth=(-H "X-Api-Key: $API_KEY") ;;
  api-key) gw_auth=(--auth api-key --api-keys "$API_KEYS")
    load_auth=(--api-key "$API_KEY"); metrics_auth=(-H "X-Api-Key: $API_KEY") ;;
esac
gw_metrics() { curl -s "${metrics_auth[@]}" "http://127.0.0.1:$1/metrics"; }

cluster_start faults >/dev/null || exit 1
PGDATA_DIR=$CLUSTER_DIR/data
SOCKET=$PGHOST
printf 'scenario\tfaults\ttaps\tacknowledged\tlost\tduplicates\twallet_mismatches\treconcile_rows\tcommitted_unacked\trecovery_ms\tnotes\n' >"$FIGURES"

saga_wired=0
# The help text whole before grep reads it: grep -q leaving early would SIGPIPE the gateway under pipefail.
if grep -q -- '--saga' <<<"$("$GATEWAY" --help 2>&1)" && [ -x "$SAGA" ]; then saga_wired=1; fi

# new_db NAME [SQL]: a database with the extension, chests 1..20 (chest c pays c coins) and the gateway's role,
# then SQL (a scenario's own chest configuration) before any load starts.
new_db() {
  local db=$1 extra=${2:-}
  psql -X -q -d postgres -c "CREATE DATABASE $db" >/dev/null || return 1
  psql -X -q -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<SQL || return 1
CREATE EXTENSION treasure;
SELECT treasure.put_chest(c, c) FROM generate_series(1, 20) c;
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'treasure_gw') THEN CREATE ROLE treasure_gw LOGIN; END IF;
END \$\$;
GRANT USAGE ON SCHEMA treasure TO treasure_gw;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA treasure TO treasure_gw;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA treasure TO treasure_gw;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA treasure TO treasure_gw;
REVOKE EXECUTE ON FUNCTION public.claim_treasure(bigint, bigint, uuid, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.claim_treasure(bigint, bigint, uuid, bigint) TO treasure_gw;
SQL
  [ -z "$extra" ] || psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "$extra" >/dev/null
}

gw_dsn() { echo "host=$SOCKET dbname=$1 user=treasure_gw"; }

# start_saga DB: with the saga path wired, its workers run beside every gateway (the breaker's fallback must be
# served, as in production); SAGA_PID, stopped by check() once the sagas have settled.
SAGA_PID=
start_saga() {
  [ $saga_wired = 1 ] || return 0
  "$SAGA" --dsn "$(gw_dsn "$1")" --poll 50 >>"$RESULTS/saga-$1.out" 2>&1 &
  SAGA_PID=$!
  started_pids+=("$SAGA_PID")
}

# start_gateway LOG DSN [PORT] [ARGS...]: sets GW_PID and GW_PORT.  Adds "${gw_auth[@]}" (FAULTS_AUTH).
start_gateway() {
  local log=$1 dsn=$2 port=${3:-0}
  shift 3
  "$GATEWAY" --dsn "$dsn" --listen "127.0.0.1:$port" "${gw_auth[@]}" "$@" >"$log.out" 2>>"$log.err" &
  GW_PID=$!
  started_pids+=("$GW_PID")
  local i
  for i in $(seq 1 100); do
    GW_PORT=$(sed -n 's/^listening .*:\([0-9]*\)$/\1/p' "$log.out")
    [ -n "$GW_PORT" ] && return 0
    kill -0 "$GW_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "gateway did not start:"; cat "$log.err"; return 1
}

stop_pid() { kill -TERM "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

# start_load NAME PORT ARGS...: the driver in the background (LOAD_PID); report in $RESULTS/NAME.json.  Adds
# "${load_auth[@]}" (FAULTS_AUTH).
start_load() {
  local name=$1 port=$2
  shift 2
  "$DRIVER" load --url "http://127.0.0.1:$port" --acks "$RESULTS/$name.acks" "${load_auth[@]}" "$@" \
    >"$RESULTS/$name.json" 2>"$RESULTS/$name.load.err" &
  LOAD_PID=$!
  started_pids+=("$LOAD_PID")
}

# saga_settle DB: wait (up to 30 s) until no saga is in flight.
saga_settle() {
  local i
  for i in $(seq 1 60); do
    [ "$(psql -X -qAt -d "$1" -c "SELECT count(*) FROM treasure.sagas WHERE state NOT IN ('completed','aborted')" 2>/dev/null || echo 0)" = 0 ] && return 0
    sleep 0.5
  done
  return 1
}

# check NAME DB FAULTS RECOVERY_MS NOTES: the invariants after a scenario; appends a line of figures.
check() {
  local name=$1 db=$2 faults=$3 recovery=$4 notes=$5
  local report=$RESULTS/$name.json
  # Every claim acknowledged in this database so far: this run's, plus earlier runs' named in $PRIOR_ACKS.
  local ledger=$RESULTS/$name.ledger
  cat ${PRIOR_ACKS:-} "$RESULTS/$name.acks" >"$ledger"
  if ! json "$report" 'd["taps"]' >/dev/null 2>&1; then fail "$name: the load driver gave no report"; cat "$RESULTS/$name.load.err"; return; fi
  saga_settle "$db" || echo "    (sagas still in flight after 30 s)"
  [ -n "$SAGA_PID" ] && { stop_pid "$SAGA_PID"; SAGA_PID=; }
  local figures
  figures=$(psql -X -qAt -F $'\t' -v ON_ERROR_STOP=1 -d "$db" <<SQL
CREATE TEMP TABLE acks (request_id uuid, player_id bigint, chest_id bigint, coins bigint, claim_id bigint);
\copy acks FROM '$ledger'
SELECT
  (SELECT count(*) FROM acks a WHERE NOT EXISTS (SELECT FROM treasure.claims c WHERE c.request_id = a.request_id
      AND c.player_id = a.player_id AND c.chest_id = a.chest_id AND c.coins_awarded = a.coins
      AND (a.claim_id = 0 OR c.claim_id = a.claim_id))),
  (SELECT count(*) FROM (SELECT player_id, chest_id FROM treasure.claims GROUP BY 1, 2 HAVING count(*) > 1) x)
  + (SELECT count(*) FROM (SELECT e.player_id, e.chest_id FROM treasure.claim_events e GROUP BY 1, 2 HAVING count(*) > 1) y)
  + (SELECT count(*) - count(DISTINCT request_id) FROM acks),
  (SELECT count(*) FROM treasure.wallets w FULL JOIN (SELECT player_id, sum(coins_awarded) AS coins FROM treasure.claims GROUP BY 1) k
      USING (player_id) WHERE COALESCE(w.balance, 0) <> COALESCE(k.coins, 0)),
  (SELECT count(*) FROM treasure.reconcile()),
  (SELECT count(*) FROM treasure.claims c WHERE NOT EXISTS (SELECT FROM acks a WHERE a.request_id = c.request_id));
SQL
)
  if [ -z "$figures" ]; then fail "$name: the invariant queries failed"; return; fi
  local lost dups wallets recon unacked taps acked unexpected mismatches
  IFS=$'\t' read -r lost dups wallets recon unacked <<<"$figures"
  taps=$(json "$report" 'd["taps"]')
  acked=$(json "$report" 'd["acknowledged"]')
  unexpected=$(json "$report" 'd["unexpected"]')
  mismatches=$(json "$report" 'd["replay_mismatches"]')
  [ "$recovery" = auto ] && recovery=$(json "$report" 'int(d["max_ack_gap_ms"])')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$faults" "$taps" "$acked" "$lost" "$dups" "$wallets" \
    "$recon" "$unacked" "$recovery" "$notes" >>"$FIGURES"
  echo "    $name: faults=$faults taps=$taps acknowledged=$acked lost=$lost duplicates=$dups wallets=$wallets reconcile=$recon committed_unacked=$unacked recovery_ms=$recovery unexpected=$unexpected"
  echo "    retried: $(json "$report" 'd["retried"]')  paths: $(json "$report" 'd["paths"]')  replays: first_send=$(json "$report" 'd["first_send_replays"]') resend=$(json "$report" 'd["resend_replays"]')"
  [ "$lost" = 0 ] || fail "$name: $lost acknowledged claims lost"
  [ "$dups" = 0 ] || fail "$name: $dups claims credited twice"
  [ "$wallets" = 0 ] || fail "$name: $wallets wallets differ from their claims"
  [ "$recon" = 0 ] || fail "$name: reconcile() returned $recon rows"
  [ "$unexpected" = 0 ] || fail "$name: $unexpected answers outside the contract: $(json "$report" 'd["first_unexpected"]')"
  [ "$mismatches" = 0 ] || fail "$name: $mismatches retried taps answered differently"
  [ "$acked" -gt 0 ] || fail "$name: nothing was acknowledged"
  # Every tap carries a valid credential (or none with FAULTS_AUTH=none): nothing may be refused at the edge, and
  # nothing rate-limited unless the scenario says so (EXPECT_429=1: bot_swarm).
  local refused limited
  refused=$(json "$report" 'd["outcomes"].get("http_401", 0) + d["outcomes"].get("http_403", 0)')
  [ "$refused" = 0 ] || fail "$name: $refused taps refused 401/403: $(json "$report" 'd.get("auth", "")')"
  if [ "${EXPECT_429:-0}" != 1 ]; then
    limited=$(json "$report" 'd["outcomes"].get("http_429", 0) + d["retried"].get("http_429", 0)')
    [ "$limited" = 0 ] || fail "$name: $limited answers 429 with no rate limit configured"
  fi
}

load_args=(--players 3000 --chests 20 --retry-ratio 0.1 --give-up 60)

# start_under_load NAME DB DURATION [SQL]: a scenario's usual start: its database (new_db DB SQL), the saga
# workers, a gateway (pool 8) and the load (8 clients) for DURATION seconds.  Fails (counted) when the set-up or
# gateway does.
start_under_load() {
  local name=$1 db=$2 duration=$3 extra=${4:-}
  new_db "$db" "$extra" || { fail "$name: set-up"; return 1; }
  start_saga "$db"
  start_gateway "$RESULTS/$name.gw" "$(gw_dsn "$db")" 0 --pool 8 || { fail "$name: gateway"; return 1; }
  start_load "$name" "$GW_PORT" "${load_args[@]}" --concurrency 8 --duration "$duration"
}

kill_postmaster_and_restart() {
  local pid
  pid=$(head -1 "$PGDATA_DIR/postmaster.pid")
  kill -KILL "$pid"
  local t0
  t0=$(date +%s%N)
  local i
  for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  for i in $(seq 1 60); do
    start_server "$CLUSTER_DIR" 30 >/dev/null 2>&1 && break
    sleep 0.5
  done
  echo $((($(date +%s%N) - t0) / 1000000))
}

# --- 1. pg_terminate_backend of random claim connections -----------------------------------------------------
scenario_terminate() {
  local db=f_terminate duration kills=0
  duration=$(pick 12 40)
  echo "==> fault: pg_terminate_backend of random claim connections (${duration}s)"
  start_under_load terminate $db "$duration" || return
  local end=$((SECONDS + duration - 1))
  while [ $SECONDS -lt $end ]; do
    sleep 0.3
    kills=$((kills + $(psql -X -qAt -d postgres -c "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM
      (SELECT pid FROM pg_stat_activity WHERE datname = '$db' AND usename = 'treasure_gw' ORDER BY random() LIMIT 2) p) t" || echo 0)))
  done
  wait "$LOAD_PID"
  stop_pid "$GW_PID"
  check terminate $db "$kills" auto "backends terminated"
}

# --- 2. kill -9 of the postmaster, restart, crash recovery ----------------------------------------------------
# postmaster_run NAME DB [SQL]: the load against new_db DB SQL while the postmaster is killed; then check.
scenario_postmaster() { postmaster_run postmaster f_postmaster; }
postmaster_run() {
  local name=$1 db=$2 extra=${3:-} duration kills restart_ms=0 worst=0
  duration=$(pick 24 60)
  kills=$(pick 2 5)
  echo "==> fault ($name): kill -9 of the postmaster x$kills, restart with crash recovery (${duration}s)"
  start_under_load "$name" $db "$duration" "$extra" || return
  local k gap=$((duration / (kills + 1)))
  for k in $(seq 1 "$kills"); do
    sleep "$gap"
    restart_ms=$(kill_postmaster_and_restart)
    [ "$restart_ms" -gt "$worst" ] && worst=$restart_ms
    echo "    postmaster killed and back (crash recovery) in ${restart_ms} ms"
  done
  wait "$LOAD_PID"
  stop_pid "$GW_PID"
  check "$name" $db "$kills" auto "postmaster kill -9; slowest restart ${worst} ms"
}

# --- 3. connection cut after the claim was sent, before its answer arrived -----------------------------------
# cut_run NAME DB [SQL]: the load against new_db DB SQL through the cutting proxy; then check.
scenario_cut() { cut_run cut f_cut; }
cut_run() {
  local name=$1 db=$2 extra=${3:-} duration
  duration=$(pick 12 40)
  echo "==> fault ($name): connection cut after a claim was sent (answer lost) every 40th claim (${duration}s)"
  new_db $db "$extra" || { fail "$name: set-up"; return; }
  "$DRIVER" proxy --upstream "$SOCKET/.s.PGSQL.5432" --cut-every 40 >"$RESULTS/$name.proxy.out" 2>"$RESULTS/$name.proxy.err" &
  local proxy=$!
  started_pids+=("$proxy")
  local i port=
  for i in $(seq 1 50); do port=$(sed -n 's/^listening //p' "$RESULTS/$name.proxy.out"); [ -n "$port" ] && break; sleep 0.1; done
  start_gateway "$RESULTS/$name.gw" "host=127.0.0.1 port=$port sslmode=disable gssencmode=disable dbname=$db user=treasure_gw" 0 --pool 8 ||
    { fail "$name: gateway"; return; }
  start_load "$name" "$GW_PORT" "${load_args[@]}" --concurrency 8 --duration "$duration"
  wait "$LOAD_PID"
  stop_pid "$GW_PID"
  stop_pid "$proxy"
  local cuts committed
  cuts=$(json "$RESULTS/$name.proxy.err" 'd["cuts"]')
  committed=$(json "$RESULTS/$name.proxy.err" 'd["cuts_committed"]')
  check "$name" $db "$cuts" auto "$committed cuts after the server completed the claim; the client got them as replays"
  [ "$cuts" -gt 0 ] || fail "$name: the proxy cut nothing"
  local replays
  replays=$(json "$RESULTS/$name.json" 'd["first_send_replays"]')
  echo "    proxy: $(cat "$RESULTS/$name.proxy.err"); replays seen by the client on first send: $replays"
  [ "$replays" -gt 0 ] || fail "$name: no lost answer came back as a replay"
}

# --- 4. the gateway killed (-9) and restarted ------------------------------------------------------------------
scenario_gateway() {
  local db=f_gateway duration kills port
  duration=$(pick 16 50)
  kills=$(pick 2 5)
  echo "==> fault: treasure-gateway kill -9 x$kills and restart (${duration}s)"
  start_under_load gateway $db "$duration" || return
  port=$GW_PORT
  local k gap=$((duration / (kills + 1))) worst=0
  for k in $(seq 1 "$kills"); do
    sleep "$gap"
    kill -KILL "$GW_PID"
    wait "$GW_PID" 2>/dev/null
    local t0
    t0=$(date +%s%N)
    sleep 0.3
    start_gateway "$RESULTS/gateway.gw" "$(gw_dsn $db)" "$port" --pool 8 || { fail "gateway: restart"; break; }
    local ms=$((($(date +%s%N) - t0) / 1000000))
    [ $ms -gt $worst ] && worst=$ms
  done
  wait "$LOAD_PID"
  stop_pid "$GW_PID"
  check gateway $db "$kills" auto "gateway down ${worst} ms at worst (incl. 300 ms before restart)"
}

# --- 5. the atomic path fails (EXECUTE revoked): the breaker trips to the saga path and recovers ---------------
scenario_breaker() {
  local db=f_breaker duration t_grant
  duration=$(pick 20 45)
  echo "==> fault: claim_treasure() revoked from the gateway's role: breaker opens (saga wired: $saga_wired), then granted back (${duration}s)"
  new_db $db || { fail "breaker: set-up"; return; }
  start_saga $db
  start_gateway "$RESULTS/breaker.gw" "$(gw_dsn $db)" 0 --pool 8 --breaker-min-calls 50 --breaker-open-seconds 2 \
    --breaker-window 5 --breaker-probes 3 || { fail "breaker: gateway"; return; }
  start_load breaker "$GW_PORT" "${load_args[@]}" --concurrency 8 --duration "$duration"
  sleep 4
  psql -X -q -d $db -c "REVOKE EXECUTE ON FUNCTION public.claim_treasure(bigint, bigint, uuid, bigint) FROM treasure_gw"
  local opened=0 i
  for i in $(seq 1 100); do
    curl -s "http://127.0.0.1:$GW_PORT/healthz" | grep -q '"circuit":"open"' && { opened=1; break; }
    sleep 0.1
  done
  sleep $((duration / 4))
  psql -X -q -d $db -c "GRANT EXECUTE ON FUNCTION public.claim_treasure(bigint, bigint, uuid, bigint) TO treasure_gw"
  t_grant=$(date +%s%N)
  local closed_ms=-1
  for i in $(seq 1 200); do
    if curl -s "http://127.0.0.1:$GW_PORT/healthz" | grep -q '"circuit":"closed"'; then
      closed_ms=$((($(date +%s%N) - t_grant) / 1000000))
      break
    fi
    sleep 0.05
  done
  wait "$LOAD_PID"
  gw_metrics "$GW_PORT" | grep '^treasure_circuit_transitions_total' >"$RESULTS/breaker.transitions"
  stop_pid "$GW_PID"
  [ $opened = 1 ] || fail "breaker: the circuit never opened"
  [ $closed_ms -ge 0 ] || fail "breaker: the circuit did not close within 10 s of the grant"
  check breaker $db 1 "$closed_ms" "breaker $(tr '\n' ' ' <"$RESULTS/breaker.transitions" | sed 's/treasure_circuit_transitions_total//g'); recovery = grant -> closed"
}

# --- 6. saga workers and the orchestrator killed mid-saga -----------------------------------------------------
scenario_saga_kill() {
  [ $saga_wired = 1 ] || { echo "==> fault: saga kill: SKIPPED (the gateway has no saga path yet)"; return; }
  local db=f_saga duration kills
  duration=$(pick 15 40)
  kills=$(pick 2 5)
  echo "==> fault: saga workers and orchestrator kill -9 x$kills mid-saga, every claim on the saga path (${duration}s)"
  new_db $db || { fail "saga: set-up"; return; }
  echo '{"flags": {"atomic_claims": {"rule": "off"}}}' >"$RESULTS/saga.flags.json"
  local workers orchestrator
  start_saga_roles() {
    "$SAGA" --dsn "$(gw_dsn $db)" --workers inventory,wallet,analytics --poll 50 >>"$RESULTS/saga.workers.out" 2>&1 &
    workers=$!
    "$SAGA" --dsn "$(gw_dsn $db)" --workers orchestrator --poll 50 --step-timeout 3000 >>"$RESULTS/saga.orch.out" 2>&1 &
    orchestrator=$!
    started_pids+=("$workers" "$orchestrator")
  }
  start_saga_roles
  start_gateway "$RESULTS/saga.gw" "$(gw_dsn $db)" 0 --pool 8 --flags "$RESULTS/saga.flags.json" || { fail "saga: gateway"; return; }
  start_load saga "$GW_PORT" "${load_args[@]}" --concurrency 8 --duration "$duration"
  local k gap=$((duration / (kills + 1)))
  for k in $(seq 1 "$kills"); do
    sleep "$gap"
    kill -KILL "$workers" "$orchestrator"
    wait "$workers" "$orchestrator" 2>/dev/null
    sleep 0.5
    start_saga_roles
  done
  wait "$LOAD_PID"
  stop_pid "$GW_PID"
  saga_settle $db
  stop_pid "$workers"
  stop_pid "$orchestrator"
  check saga $db $((kills * 2)) auto "saga path only; workers + orchestrator killed together"
}

# --- 7. hostile HTTP: malformed input, huge bodies, slow clients, a connection flood ------------------------
scenario_abuse() {
  local db=f_abuse
  echo "==> abuse: malformed requests, huge bodies, slow clients, a flood of connections"
  # Its raw requests and its well-behaved client carry no credential: with FAULTS_AUTH on they would all be 401
  # before the parser is reached, so this gateway stays --auth none (on loopback).  The authentication layer's own
  # hostile input is the seeded fuzz of Authorization / X-Api-Key (make test).
  local gw_auth=()
  new_db $db || { fail "abuse: set-up"; return; }
  start_saga $db
  start_gateway "$RESULTS/abuse.gw" "$(gw_dsn $db)" 0 --pool 8 --request-timeout-ms 3000 || { fail "abuse: gateway"; return; }
  "$DRIVER" abuse --port "$GW_PORT" --chest 1 --connections "$(pick 1000 3000)" --slow-clients 8 --slow-seconds 6 \
    >"$RESULTS/abuse.json" 2>&1 || fail "abuse: $(cat "$RESULTS/abuse.json")"
  stop_pid "$GW_PID"
  [ -n "$SAGA_PID" ] && { stop_pid "$SAGA_PID"; SAGA_PID=; }
  echo "    $(json "$RESULTS/abuse.json" '{k: v for k, v in d.items() if k != "malformed"}')"
  echo "    malformed: $(json "$RESULTS/abuse.json" 'sum(c["pass"] for c in d["malformed"])')/$(json "$RESULTS/abuse.json" 'len(d["malformed"])') cases answered as documented"
}

# --- 9. a bot swarm behind authentication and the per-player limit (issue 14) -------------------------------
# 100 players, each with its own ES256 token; humans tap 0.5/s each (--rate 50 over 100 players), well under the
# gateway's per-player limit of BOT_RATE/s with a burst of BOT_BURST; 20% of them are bots tapping 50x faster
# (25/s each, 5x their limit).  1000 chests, so a bot's admitted taps are rarely 409 duplicates and its accepted
# count is bounded by the limiter, not by the chests: without the limit a bot would be accepted ~200 (short) to
# ~600 (full) times, with it at most BOT_BURST + BOT_RATE x elapsed.  First the same load without bots (--bots 0,
# same length, same gateway), whose human p95 is the reference for the swarm's.
BOT_RATE=5
BOT_BURST=10
scenario_bot_swarm() {
  local db=f_bots duration
  duration=$(pick 10 30)
  echo "==> bot swarm: 20% of 100 players tap 50x faster, --auth jwt --rate-per-player $BOT_RATE:$BOT_BURST (2 x ${duration}s: without bots, then with)"
  new_db $db || { fail "bot_swarm: set-up"; return; }
  psql -X -q -d $db -c "SELECT treasure.put_chest(c, c) FROM generate_series(21, 1000) c" >/dev/null ||
    { fail "bot_swarm: chests"; return; }
  start_saga $db
  # This scenario's own authentication, whatever FAULTS_AUTH says: player tokens and the per-player limit.
  local gw_auth=(--auth jwt --jwks "$JWKS" --rate-per-player "$BOT_RATE:$BOT_BURST")
  local load_auth=(--jwt-key "$JWT_KEY" --jwt-kid "$JWT_KID")
  start_gateway "$RESULTS/bot_swarm.gw" "$(gw_dsn $db)" 0 --pool 8 || { fail "bot_swarm: gateway"; return; }
  local swarm=(--players 100 --chests 1000 --retry-ratio 0.1 --give-up 60 --concurrency 8 --rate 50 --duration "$duration")
  start_load bot_swarm_baseline "$GW_PORT" "${swarm[@]}" --bots 0
  wait "$LOAD_PID"
  start_load bot_swarm "$GW_PORT" "${swarm[@]}" --bots 0.2 --bot-rate-multiplier 50
  wait "$LOAD_PID"
  stop_pid "$GW_PID"
  local base=$RESULTS/bot_swarm_baseline.json report=$RESULTS/bot_swarm.json
  for r in "$base" "$report"; do
    json "$r" 'd["classes"]["human"]["p95_ms"]' >/dev/null 2>&1 ||
      { fail "bot_swarm: no classes in $(basename "$r")"; cat "${r%.json}.load.err"; return; }
  done
  # The baseline's own report: the database invariants below cover its claims too (PRIOR_ACKS).
  [ "$(json "$base" 'd["unexpected"] + d["replay_mismatches"]')" = 0 ] ||
    fail "bot_swarm: baseline: unexpected answers: $(json "$base" 'd["first_unexpected"]')"
  [ "$(json "$base" 'd["outcomes"].get("http_401", 0) + d["outcomes"].get("http_403", 0)')" = 0 ] ||
    fail "bot_swarm: baseline: taps refused 401/403"
  # A bot's bucket holds at most BOT_BURST tokens and gains BOT_RATE a second, so over the time it taps it is
  # admitted at most BOT_BURST + BOT_RATE x (last tap - first tap) claims, replays of its resent taps included,
  # and accepts <= admissions.  The driver's elapsed_seconds (from before the first tap to after the last answer)
  # is longer than that span, so BOT_BURST + BOT_RATE x elapsed is already an upper bound; +1 for the fraction of a
  # token the continuous refill may round up.  No other slack: more would be the limiter letting a bot through.
  local max_bot limit bot_limited bot_taps bot_acc human_limited p95 p95_base ratio elapsed
  max_bot=$(json "$report" 'd["classes"]["bot"]["max_accepted_per_player"]')
  elapsed=$(json "$report" '"%.2f" % d["elapsed_seconds"]')
  limit=$(json "$report" "int($BOT_BURST + $BOT_RATE * d['elapsed_seconds']) + 1")
  bot_taps=$(json "$report" 'd["classes"]["bot"]["taps"]')
  bot_acc=$(json "$report" 'd["classes"]["bot"]["accepted"]')
  bot_limited=$(json "$report" 'd["classes"]["bot"]["rate_limited"]')
  human_limited=$(json "$report" 'd["classes"]["human"]["rate_limited"]')
  p95=$(json "$report" '"%.2f" % d["classes"]["human"]["p95_ms"]')
  p95_base=$(json "$base" '"%.2f" % d["classes"]["human"]["p95_ms"]')
  ratio=$(python3 -c "import sys; b = float(sys.argv[2]); print('%.2f' % (float(sys.argv[1]) / b) if b > 0 else 'n/a')" "$p95" "$p95_base")
  echo "    bots: $(json "$report" 'd["classes"]["bot"]["players"]') players, $bot_taps taps, $bot_acc accepted, $bot_limited answered 429; max accepted per bot $max_bot <= $limit ($BOT_BURST + $BOT_RATE/s x ${elapsed}s + 1)"
  echo "    humans: $(json "$report" 'd["classes"]["human"]["players"]') players, $(json "$report" 'd["classes"]["human"]["taps"]') taps, $human_limited answered 429 (baseline: $(json "$base" 'd["classes"]["human"]["rate_limited"]')); max accepted per human $(json "$report" 'd["classes"]["human"]["max_accepted_per_player"]')"
  echo "    human p50/p95/p99 ms with bots $(json "$report" '"%.2f/%.2f/%.2f" % (d["classes"]["human"]["p50_ms"], d["classes"]["human"]["p95_ms"], d["classes"]["human"]["p99_ms"])'), without $(json "$base" '"%.2f/%.2f/%.2f" % (d["classes"]["human"]["p50_ms"], d["classes"]["human"]["p95_ms"], d["classes"]["human"]["p99_ms"])'): p95 ratio $ratio (target <= 1.5, reported, not asserted)"
  [ "$max_bot" -le "$limit" ] || fail "bot_swarm: a bot was accepted $max_bot times, over its limit $limit"
  [ "$bot_limited" -gt 0 ] || fail "bot_swarm: no bot was rate-limited (the limit did not bite)"
  [ "$bot_acc" -gt 0 ] || fail "bot_swarm: no bot was accepted at all"
  PRIOR_ACKS="$RESULTS/bot_swarm_baseline.acks" EXPECT_429=1 check bot_swarm $db 0 auto \
    "human p95 ${p95} ms with bots / ${p95_base} ms without = ${ratio}x (target <= 1.5); bot max accepted ${max_bot} <= limit ${limit}; bots 429 x${bot_limited}; humans 429 x${human_limited}"
}

# --- 10. limited chests (1.3.0 set_stock) under the postmaster kill and the cut after commit ----------------
# Chests 1..20 hold LIMITED_STOCK units each; 3 000 players tap them for the whole run, far more taps than the
# 20 x LIMITED_STOCK units, so every chest sells out during the fault.  On top of check's invariants (nothing
# acknowledged lost, nothing paid twice, wallets = claims, reconcile() empty): every chest has exactly
# LIMITED_STOCK winners in treasure.claims, chest_stock() agrees, and the later taps were answered sold_out
# (410), so a claim that committed but lost its answer (the cut), or was cut by a crash, neither lost a unit
# nor let a unit be paid twice.
LIMITED_STOCK=$(pick 100 300)
limited_winners() {  # limited_winners NAME DB
  local over short sold
  # Always a violation: a chest paying more winners than its stock, or chest_stock() disagreeing with the claims.
  over=$(psql -X -qAt -d "$2" -c "
    SELECT string_agg(format('chest %s: stock %s, claimed %s, winners %s', c, s.stock, s.claimed, w.n), '; ')
      FROM generate_series(1, 20) c CROSS JOIN LATERAL treasure.chest_stock(c) s
           CROSS JOIN LATERAL (SELECT count(*) AS n FROM treasure.claims k WHERE k.chest_id = c) w
     WHERE s.stock IS DISTINCT FROM $LIMITED_STOCK OR s.claimed IS DISTINCT FROM w.n OR w.n > $LIMITED_STOCK" 2>&1)
  [ -z "$over" ] || fail "$1: a chest paid more than its stock, or chest_stock() disagrees with the claims: $over"
  # The run sells every chest out, so each has exactly LIMITED_STOCK winners.
  short=$(psql -X -qAt -d "$2" -c "
    SELECT string_agg(format('chest %s: %s', c, (SELECT count(*) FROM treasure.claims k WHERE k.chest_id = c)), ', ')
      FROM generate_series(1, 20) c WHERE (SELECT count(*) FROM treasure.claims k WHERE k.chest_id = c) <> $LIMITED_STOCK" 2>&1)
  [ -z "$short" ] || fail "$1: not every chest sold out its $LIMITED_STOCK units: $short"
  sold=$(json "$RESULTS/$1.json" 'd["outcomes"].get("sold_out", 0)')
  echo "    $1: 20 chests x $LIMITED_STOCK units; $sold taps answered sold_out; over stock: ${over:-none}; not sold out: ${short:-none}"
  [ "$sold" -gt 0 ] || fail "$1: no tap was answered sold_out"
}
scenario_limited() {
  local stock="SELECT treasure.set_stock(c, $LIMITED_STOCK) FROM generate_series(1, 20) c"
  postmaster_run limited_postmaster f_limited_postmaster "$stock"
  limited_winners limited_postmaster f_limited_postmaster
  cut_run limited_cut f_limited_cut "$stock"
  limited_winners limited_cut f_limited_cut
}

# --- 11. the pipelined and the batched path (treasure load --pipeline 32, --batch 32) ------------------------
# Straight to PostgreSQL, no gateway: 4 connections, each with up to 32 taps in flight (pipelined: each tap its own
# transaction) or 32 taps per claim_treasure_batch() call (batched: one transaction per batch), under the cut
# after commit (the proxy cuts a connection after the Bind of its claim statement: many sent taps, some committed
# and unanswered), under pg_terminate_backend of its connections, and under kill -9 of the postmaster.  treasure
# load's acks file is the ledger and its report is put in the shape check reads: a tap is retried only inside
# the client, with its own request_id, and sent once by the load, so there are no resends whose answers could
# mismatch; unavailable (retries exhausted) is an answer in the contract, any other error is unexpected.
# direct_load NAME DSN DURATION FLAGS...: treasure load in the background (LOAD_PID).
direct_load() {
  local name=$1 dsn=$2 duration=$3
  shift 3
  build/treasure load --dsn "$dsn" --players 3000 --chests 20 --concurrency 4 --json "$@" --duration "$duration" \
    --acks "$RESULTS/$name.acks" >"$RESULTS/$name.load.json" 2>"$RESULTS/$name.load.err" &
  LOAD_PID=$!
  started_pids+=("$LOAD_PID")
}
# direct_wait NAME: waits for the load; fails (counted) when treasure load did.
direct_wait() { wait "$LOAD_PID" || { fail "$1: treasure load failed: $(tail -3 "$RESULTS/$1.load.err")"; return 1; }; }
# direct_check NAME DB FAULTS NOTES: treasure load's report as $RESULTS/NAME.json, then check.
direct_check() {
  python3 - "$RESULTS/$1.load.json" "$RESULTS/$1.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
o = d["outcomes"]
unexpected = sum(o.get(k, 0) for k in ("internal", "bad_request", "unknown_chest", "request_id_conflict", "no_path"))
json.dump({"taps": d["taps"], "acknowledged": o.get("claimed", 0) + o.get("replayed", 0), "unexpected": unexpected,
           "first_unexpected": d["first_error"], "replay_mismatches": 0, "retried": {"unavailable": o.get("unavailable", 0)},
           "paths": d["paths"], "first_send_replays": o.get("replayed", 0), "resend_replays": 0, "outcomes": o},
          open(sys.argv[2], "w"))
PY
  check "$1" "$2" "$3" - "$4"
}
# direct_scenario NAME WHAT STATEMENT CUT_EVERY FLAGS...: the three faults against treasure load FLAGS; the proxy
# cuts after every CUT_EVERY-th Bind of the prepared statement STATEMENT.
direct_scenario() {
  local name=$1 what=$2 statement=$3 cut_every=$4
  shift 4
  local duration db port= proxy i kills=0 k gap restart_ms cuts committed replays
  duration=$(pick 10 30)

  db=f_${name}_cut
  echo "==> fault (${name}_cut): treasure load $*, connection cut after one in $cut_every Binds of its claim statement (${duration}s)"
  new_db $db || { fail "${name}_cut: set-up"; return; }
  "$DRIVER" proxy --upstream "$SOCKET/.s.PGSQL.5432" --cut-every "$cut_every" --statement "$statement" \
    >"$RESULTS/${name}_cut.proxy.out" 2>"$RESULTS/${name}_cut.proxy.err" &
  proxy=$!
  started_pids+=("$proxy")
  for i in $(seq 1 50); do port=$(sed -n 's/^listening //p' "$RESULTS/${name}_cut.proxy.out"); [ -n "$port" ] && break; sleep 0.1; done
  direct_load ${name}_cut "host=127.0.0.1 port=$port sslmode=disable gssencmode=disable dbname=$db user=treasure_gw" "$duration" "$@"
  direct_wait ${name}_cut; local load_status=$?
  stop_pid "$proxy"
  cuts=$(json "$RESULTS/${name}_cut.proxy.err" 'd["cuts"]')
  committed=$(json "$RESULTS/${name}_cut.proxy.err" 'd["cuts_committed"]')
  if [ "$load_status" = 0 ]; then
    direct_check ${name}_cut $db "$cuts" "$committed cuts after the server completed a claim, with up to 32 $what"
    replays=$(json "$RESULTS/${name}_cut.json" 'd["first_send_replays"]')
    echo "    proxy: $(cat "$RESULTS/${name}_cut.proxy.err"); taps answered as replays after a retry: $replays"
    [ "$cuts" -gt 0 ] || fail "${name}_cut: the proxy cut nothing"
    [ "$replays" -gt 0 ] || fail "${name}_cut: no lost answer came back as a replay"
  fi

  db=f_${name}_terminate
  echo "==> fault (${name}_terminate): treasure load $*, pg_terminate_backend of its connections (${duration}s)"
  new_db $db || { fail "${name}_terminate: set-up"; return; }
  direct_load ${name}_terminate "$(gw_dsn $db) application_name=treasure_$name" "$duration" "$@"
  local end=$((SECONDS + duration - 1))
  while [ $SECONDS -lt $end ]; do
    sleep 0.3
    kills=$((kills + $(psql -X -qAt -d postgres -c "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM
      (SELECT pid FROM pg_stat_activity WHERE application_name = 'treasure_$name' ORDER BY random() LIMIT 2) p) t" || echo 0)))
  done
  direct_wait ${name}_terminate && direct_check ${name}_terminate $db "$kills" "backends terminated with $what"
  [ "$kills" -gt 0 ] || fail "${name}_terminate: no backend was terminated"

  db=f_${name}_postmaster
  kills=$(pick 2 4)
  echo "==> fault (${name}_postmaster): treasure load $*, kill -9 of the postmaster x$kills (${duration}s)"
  new_db $db || { fail "${name}_postmaster: set-up"; return; }
  direct_load ${name}_postmaster "$(gw_dsn $db)" "$duration" "$@"
  gap=$((duration / (kills + 1)))
  for k in $(seq 1 "$kills"); do
    sleep "$gap"
    restart_ms=$(kill_postmaster_and_restart)
    echo "    postmaster killed and back (crash recovery) in ${restart_ms} ms"
  done
  direct_wait ${name}_postmaster && direct_check ${name}_postmaster $db "$kills" "postmaster kill -9 with $what; unavailable while down"
}
scenario_pipelined() { direct_scenario pipelined "taps in flight" treasure_claim 40 --pipeline 32; }
# A batch is one Bind: every 2nd cut keeps about as many taps per cut as the pipelined scenario's every 40th.
scenario_batched() { direct_scenario batched "taps in a batch" treasure_claim_batch 2 --batch 32; }

# vmrss PID: resident memory in KiB.
vmrss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# --- 8. saturation, soak at ~70% and overload at 2x -----------------------------------------------------------
scenario_soak_overload() {
  local db=f_soak soak overload
  soak=$(pick 30 300)
  overload=$(pick 15 60)
  new_db $db || { fail "soak: set-up"; return; }
  start_saga $db
  start_gateway "$RESULTS/soak.gw" "$(gw_dsn $db)" 0 --pool 8 --threads 16 --max-queued 32 || { fail "soak: gateway"; return; }
  echo "==> saturation: as fast as possible, 16 connections, 8 s"
  "$DRIVER" load --url "http://127.0.0.1:$GW_PORT" "${load_auth[@]}" --players 50000 --chests 20 --concurrency 16 \
    --duration 8 --retry-ratio 0 --acks "$RESULTS/saturation.acks" >"$RESULTS/saturation.json"
  local saturation
  saturation=$(json "$RESULTS/saturation.json" 'int(d["taps"] / d["elapsed_seconds"])')
  echo "    saturation ~ $saturation taps/s"
  local rate=$((saturation * 7 / 10))
  echo "==> soak: ${soak}s at $rate taps/s (70%) with 10% retried taps, duplicates and 5% bad requests"
  local rss_start rss_max=0 rss_end
  rss_start=$(vmrss "$GW_PID")
  start_load soak "$GW_PORT" --players 50000 --chests 20 --retry-ratio 0.1 --bad-ratio 0.05 --concurrency 16 \
    --rate "$rate" --duration "$soak" --interval "$(pick 10 60)"
  while kill -0 "$LOAD_PID" 2>/dev/null; do
    local rss
    rss=$(vmrss "$GW_PID")
    [ "${rss:-0}" -gt "$rss_max" ] && rss_max=$rss
    sleep 2
  done
  wait "$LOAD_PID"
  rss_end=$(vmrss "$GW_PID")
  local p99s
  p99s=$(json "$RESULTS/soak.json" '" ".join("%.1f" % i["p99_ms"] for i in d["intervals"])')
  echo "    p99 per $(pick 10 60) s (ms): $p99s"
  echo "    gateway VmRSS KiB: start $rss_start, max $rss_max, end $rss_end"
  local retried
  retried=$(json "$RESULTS/soak.json" 'sum(d["retried"].values())')
  [ "$retried" = 0 ] || fail "soak: $retried requests needed a retry: $(json "$RESULTS/soak.json" 'd["retried"]')"
  # The soak runs in the saturation run's database: its acknowledged claims belong to the same ledger.
  PRIOR_ACKS="$RESULTS/saturation.acks" check soak $db 0 - "70% of ${saturation}/s; p99/interval ms: $p99s; VmRSS KiB $rss_start -> max $rss_max"

  echo "==> overload: ${overload}s at $((saturation * 2)) taps/s (2x) over 128 connections (16 workers, 32 queued)"
  rss_max=0
  start_load overload "$GW_PORT" --players 50000 --chests 20 --retry-ratio 0 --concurrency 128 \
    --rate $((saturation * 2)) --duration "$overload" --give-up 30
  local db_ok=0 db_checks=0
  while kill -0 "$LOAD_PID" 2>/dev/null; do
    local rss
    rss=$(vmrss "$GW_PID")
    [ "${rss:-0}" -gt "$rss_max" ] && rss_max=$rss
    db_checks=$((db_checks + 1))
    timeout 2 psql -X -qAt -d $db -c 'SELECT 1' >/dev/null 2>&1 && db_ok=$((db_ok + 1))
    sleep 1
  done
  wait "$LOAD_PID"
  local shed
  shed=$(gw_metrics "$GW_PORT" | awk '/^treasure_claims_total\{.*status="overloaded"/ {s += $2} END {print s + 0}')
  echo "    shed with 503 overloaded: $shed connections; driver saw $(json "$RESULTS/overload.json" 'd["shed"]') 503s; VmRSS max $rss_max KiB; database answered $db_ok/$db_checks probes"
  [ "${shed%.*}" -gt 0 ] || fail "overload: nothing was shed"
  [ "$db_ok" = "$db_checks" ] || fail "overload: the database missed probes"
  echo "==> recovery: 10 s at $((saturation / 2)) taps/s right after"
  local t0
  t0=$(date +%s%N)
  start_load recovery "$GW_PORT" --players 50000 --chests 20 --retry-ratio 0.1 --concurrency 16 --rate $((saturation / 2)) \
    --duration 10 --interval 2
  wait "$LOAD_PID"
  stop_pid "$GW_PID"
  echo "    recovery p99 per 2 s (ms): $(json "$RESULTS/recovery.json" '" ".join("%.1f" % i["p99_ms"] for i in d["intervals"])')"
  local recovered
  recovered=$(json "$RESULTS/recovery.json" 'sum(d["retried"].values())')
  [ "$recovered" = 0 ] || fail "recovery: requests still refused after the overload: $(json "$RESULTS/recovery.json" 'd["retried"]')"
  # Invariants over every run against this database.
  cat "$RESULTS"/{saturation,soak,overload,recovery}.acks >"$RESULTS/overload_recovery.acks"
  cp "$RESULTS/overload.json" "$RESULTS/overload_recovery.json"
  check overload_recovery $db "$(json "$RESULTS/overload.json" 'd["shed"]')" - "2x saturation; shed $shed; VmRSS max $rss_max KiB"
}

scenarios=${FAULTS_SCENARIOS:-terminate postmaster cut gateway breaker saga_kill limited pipelined batched bot_swarm abuse soak_overload}
started=$SECONDS
for scenario in $scenarios; do
  "scenario_$scenario"
done

echo
echo "==> figures ($RESULTS/figures.tsv)"
column -t -s $'\t' "$FIGURES" 2>/dev/null || cat "$FIGURES"
echo "==> faults ($MODE, auth $AUTH): $failures failure(s) in $((SECONDS - started)) s"
[ "$failures" -eq 0 ]
