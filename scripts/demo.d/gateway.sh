# make demo, part 2: the gateway in front of the cluster, driven by `treasure load` like many players tapping.
# Runs inside scripts/demo.sh (PGHOST/PGPORT/PGUSER exported, binaries installed).
set -euo pipefail
db=treasure_gateway_demo
dsn="host=$PGHOST port=$PGPORT user=postgres dbname=$db"
work=$(mktemp -d /tmp/treasure-gateway-demo.XXXXXX)
gateway_pid=
saga_pid=
finish() {
  [ -n "$gateway_pid" ] && kill -TERM "$gateway_pid" 2>/dev/null && wait "$gateway_pid" 2>/dev/null
  [ -n "$saga_pid" ] && kill -TERM "$saga_pid" 2>/dev/null && wait "$saga_pid" 2>/dev/null
  rm -rf "$work"
}
trap finish EXIT

psql -X -q -d postgres -c "CREATE DATABASE $db"
psql -X -q -d $db -c 'CREATE EXTENSION treasure'
treasure chests --dsn "$dsn" --count 50 --coins 10 >/dev/null
echo '{"flags": {"atomic_claims": {"rule": "on"}}}' >"$work/flags.json"

# Players prove who they are with a JWT: the game's login service holds the private key, the gateway only the
# public JWKS (treasure token mints tokens the same way).
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/login.pem" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/forger.pem" 2>/dev/null
treasure token --key "$work/login.pem" --kid login-1 --print-jwks >"$work/jwks.json"

echo
echo "==> treasure-gateway on a free loopback port, players authenticated by JWT (--auth jwt --jwks)"
treasure-gateway --dsn "$dsn" --listen 127.0.0.1:0 --flags "$work/flags.json" --pool 4 \
  --auth jwt --jwks "$work/jwks.json" --rate-per-player 20:40 --metrics-listen 127.0.0.1:0 >"$work/gateway.out" 2>&1 &
gateway_pid=$!
for _ in $(seq 1 100); do grep -q '^metrics ' "$work/gateway.out" && break; sleep 0.1; done
address=$(sed -n 's/^listening //p' "$work/gateway.out")
metrics_address=$(sed -n 's/^metrics //p' "$work/gateway.out")
[ -n "$address" ] && [ -n "$metrics_address" ] || { cat "$work/gateway.out"; exit 1; }
echo "    listening on $address; /metrics open on $metrics_address only (--metrics-listen), for Prometheus"

echo "==> player 7 taps chest 1 with a token from the login service, then a forger tries with a key of its own"
token=$(treasure token --key "$work/login.pem" --kid login-1 --player 7)
forged=$(treasure token --key "$work/forger.pem" --kid login-1 --player 7)
treasure claim --url "http://$address" --token "$token" --player 7 --chest 1 | sed 's/^/    genuine: /'
treasure claim --url "http://$address" --token "$forged" --player 7 --chest 2 | sed 's/^/    forged:  /' || true
echo "==> and with something that is not a token"
treasure claim --url "http://$address" --token "not-a-token" --player 7 --chest 2 | sed 's/^/    garbage: /' || true

credentials=(--jwt-key "$work/login.pem" --jwt-kid login-1)
echo "==> treasure load: 10,000 players (a token each), 50 chests, 8 concurrent clients, 8 s, 10% of taps retried"
treasure load --url "http://$address" "${credentials[@]}" --players 10000 --chests 50 --concurrency 8 --duration 8 \
  --duplicate-ratio 0.1 2>/dev/null

echo
echo "==> the fast rollback: treasure-saga runs the legacy saga path; the flag flips to it and back under load"
treasure-saga --dsn "$dsn" >"$work/saga.out" 2>&1 &
saga_pid=$!
set_flag() { echo "{\"flags\": {\"atomic_claims\": {\"rule\": \"$1\"}}}" >"$work/flags.tmp" && mv "$work/flags.tmp" "$work/flags.json"; }
treasure load --url "http://$address" "${credentials[@]}" --players 10000 --chests 50 --concurrency 8 --duration 9 \
  --duplicate-ratio 0.1 2>/dev/null >"$work/flip.txt" &
load_pid=$!
sleep 3; set_flag off; echo "    t=3s  atomic_claims -> off (saga path)"
sleep 3; set_flag on;  echo "    t=6s  atomic_claims -> on (atomic path)"
wait $load_pid
cat "$work/flip.txt"

echo
echo "==> a few of the gateway's Prometheus metrics (the forgery and the garbage: treasure_auth_failures_total)"
exec 3<>"/dev/tcp/${metrics_address%:*}/${metrics_address##*:}"
printf 'GET /metrics HTTP/1.0\r\nHost: demo\r\n\r\n' >&3
grep -E '^treasure_(claims_total|circuit_state|auth_failures_total|rate_limited_total)' <&3 |
  grep -E 'circuit_state|[1-9][0-9]*$'
exec 3>&-

echo
echo "==> the database agrees with the gateway: every claim paid once"
psql -X -q -d $db -P footer=off -c "
  SELECT count(*) AS claims, count(DISTINCT request_id) AS request_ids,
         (SELECT sum(balance) FROM treasure.wallets) AS coins_in_wallets,
         sum(coins_awarded) AS coins_claimed,
         (SELECT count(*) FROM treasure.claim_events) AS analytics_events,
         (SELECT count(*) FROM treasure.reconcile()) AS disagreements
    FROM treasure.claims"

echo
echo "==> the player's page, served by this gateway (src/web, installed under share/treasure/web)"
page_player=10001
page_token=$(treasure token --key "$work/login.pem" --kid login-1 --player $page_player)
echo "    open http://$address/play#player=$page_player&token=$page_token"
if [ "${DEMO_KEEP:-0}" = 1 ]; then
  echo "    DEMO_KEEP=1: the gateway keeps running for you to try the page; Ctrl-C ends the demo"
  wait "$gateway_pid" || true
  gateway_pid=
else
  echo "    (run DEMO_KEEP=1 make demo to keep the gateway running and try it in a browser)"
fi
