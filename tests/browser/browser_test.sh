#!/usr/bin/env bash
# The browser suite: the reference page (/play) and treasure-client.js in Debian's headless Chromium, driven by
# puppeteer-core (pinned in package.json, locked in package-lock.json, installed here with npm ci and no browser
# download), against real gateways and a real cluster.  scenarios.mjs has the scenarios.
# Needs PGHOST/PGPORT/PGUSER of a running cluster with the extension installed (scripts/test.sh provides them),
# the programs built (make client saga), chromium, node and npm (scripts/common.sh install_packages).
# BROWSER_RESULTS=DIR keeps the logs and the page's screenshot (default: a temporary directory, removed).
set -euo pipefail
cd "$(dirname "$0")/../.."
db=treasure_browser_test
results=${BROWSER_RESULTS:-}
keep=1
[ -n "$results" ] || { results=$(mktemp -d /tmp/treasure-browser.XXXXXX); keep=0; }
mkdir -p "$results"
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ $keep = 1 ] || rm -rf "$results"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  for f in "$results"/*.err; do [ -s "$f" ] && { echo "---- $f"; tail -20 "$f"; }; done
  exit 1
}

# What the machine has: Debian 12's nodejs 18 + npm, or a newer Node with its own npm; never a second npm.
command -v node >/dev/null || fail "node is not installed (scripts/common.sh install_packages installs nodejs)"
command -v npm >/dev/null || fail "npm is not installed (scripts/common.sh install_packages installs npm)"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 18 ] || fail "node $(node --version) is too old: puppeteer-core needs 18 or newer"
CHROMIUM=${CHROMIUM:-$(command -v chromium || true)}
[ -n "$CHROMIUM" ] || fail "chromium is not installed (scripts/common.sh install_packages installs it)"
echo "==> browser: node $(node --version), npm $(npm --version), $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
(cd tests/browser && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null) ||
  fail "npm ci in tests/browser"

psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "SET client_min_messages = warning" \
  -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d $db >/dev/null <<'SQL'
CREATE EXTENSION treasure;
SELECT treasure.put_chest(1, 10);
SELECT treasure.put_chest(2, 20, 'gem', 2);
SELECT treasure.put_chest(3, 50, 'crown', 1, 'golden_key');
SELECT treasure.put_chest(4, 5, NULL, 1, NULL, now() - interval '2 days', now() - interval '1 day');
SELECT treasure.put_chest(c, c) FROM generate_series(5, 40) c;
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'treasure_gw') THEN CREATE ROLE treasure_gw LOGIN; END IF;
END $$;
GRANT USAGE ON SCHEMA treasure TO treasure_gw;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA treasure TO treasure_gw;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA treasure TO treasure_gw;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA treasure TO treasure_gw;
GRANT EXECUTE ON FUNCTION public.claim_treasure(bigint, bigint, uuid, bigint) TO treasure_gw;
SQL
dsn="host=$PGHOST port=$PGPORT dbname=$db user=treasure_gw"

# Player tokens: a fresh ES256 key, its JWKS for the gateways.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$results/jwt-key.pem" 2>/dev/null
kid=browser-$$
build/treasure token --key "$results/jwt-key.pem" --kid "$kid" --print-jwks >"$results/jwks.json"
printf '{"flags": {"atomic_claims": {"rule": "on"}}}\n' >"$results/flags.json"

# start_gateway NAME ARGS...: a gateway in the background, its pid kept for the clean-up (so not in a subshell).
start_gateway() {
  local name=$1
  shift
  build/treasure-gateway --dsn "$dsn" --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 --auth jwt \
    --jwks "$results/jwks.json" --web-root src/web "$@" >"$results/$name.out" 2>"$results/$name.err" &
  pids+=($!)
}
# gateway_ports NAME: prints "PORT METRICS_PORT" once gateway NAME listens.
gateway_ports() {
  local port metrics
  for _ in $(seq 1 100); do
    port=$(sed -n 's/^listening .*:\([0-9]*\)$/\1/p' "$results/$1.out")
    metrics=$(sed -n 's/^metrics .*:\([0-9]*\)$/\1/p' "$results/$1.out")
    [ -n "$port" ] && [ -n "$metrics" ] && { echo "$port $metrics"; return 0; }
    sleep 0.1
  done
  return 1
}
build/treasure-saga --dsn "$dsn" --poll 20 >"$results/saga.out" 2>"$results/saga.err" &
pids+=($!)
start_gateway main --flags "$results/flags.json" --pool 4
# The shedding gateway: one claim worker, and a claim that waited 200 ms for it is answered 503 overloaded; so
# while one claim waits on a lock, the next one is shed.  Claims on the workers: the reactor opens its connection
# on the first claim (which the workers take meanwhile), so the next would not wait behind the blocked one.
start_gateway shed --pool 1 --max-queue-wait-ms 200 --saga off --claim-io workers
read -r main_port main_metrics < <(gateway_ports main) || fail "main gateway"
read -r shed_port shed_metrics < <(gateway_ports shed) || fail "shedding gateway"

MAIN_URL=http://127.0.0.1:$main_port MAIN_METRICS=http://127.0.0.1:$main_metrics/metrics \
  SHED_URL=http://127.0.0.1:$shed_port SHED_METRICS=http://127.0.0.1:$shed_metrics/metrics \
  FLAGS_FILE=$results/flags.json JWT_KEY=$results/jwt-key.pem JWT_KID=$kid RESULTS=$results CHROMIUM=$CHROMIUM \
  DB=$db node tests/browser/scenarios.mjs || fail "browser scenarios"
echo "==> browser: the page after the scenarios: $results/page.png"
