# make demo, part 3: treasure 1.3.0's chests through the gateway, players authenticated by JWT: a bundle, a loot
# chest that replays the same, a golden chest limited to 3 winners that 20 players race for, a throttled bot and
# a reversal.  Runs inside scripts/demo.sh after part 2 (PGHOST/PGPORT/PGUSER exported, binaries installed).
set -euo pipefail
db=treasure_hunt_demo
dsn="host=$PGHOST port=$PGPORT user=postgres dbname=$db"
work=$(mktemp -d /tmp/treasure-hunt-demo.XXXXXX)
gateway_pid=
finish() {
  [ -n "$gateway_pid" ] && kill -TERM "$gateway_pid" 2>/dev/null && wait "$gateway_pid" 2>/dev/null
  rm -rf "$work"
}
trap finish EXIT
sql() { psql -X -q -v ON_ERROR_STOP=1 -d $db "$@"; }

psql -X -q -d postgres -c "CREATE DATABASE $db"
sql -c 'CREATE EXTENSION treasure'
echo
if [ "$(sql -At -c "SELECT to_regprocedure('treasure.claim_details(bigint,bigint,text)') IS NOT NULL")" != t ]; then
  echo "==> the 1.3.0 hunt needs treasure 1.3.0; this build installs $(sql -At -c \
    "SELECT extversion FROM pg_extension WHERE extname = 'treasure'"): skipped"
  exit 0
fi
echo "==> the 1.3.0 hunt: a bundle chest, a loot chest, a golden chest with 3 crowns, more coin chests"
sql <<'SQL'
\o /dev/null
SELECT treasure.put_chest(1, 20, 'gem', 2);  SELECT treasure.put_chest_item(1, 'potion', 3);   -- the bundle
SELECT treasure.put_chest(2, 5);                                                                 -- the loot chest
SELECT treasure.put_loot(2, 3, '[{"item": "gem", "qty": 1, "weight": 6}, {"item": "crown", "qty": 1, "weight": 1},
                                 {"item": null, "coins": 25, "weight": 3}]', 'demo seed');
SELECT treasure.put_chest(3, 1000, 'crown'); SELECT treasure.set_stock(3, 3);                    -- the golden chest
SELECT treasure.put_chest(c, 10) FROM generate_series(10, 19) c;                                 -- coin chests
\o
SQL

openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/login.pem" 2>/dev/null
treasure token --key "$work/login.pem" --kid login-1 --print-jwks >"$work/jwks.json"
treasure-gateway --dsn "$dsn" --listen 127.0.0.1:0 --pool 4 --auth jwt --jwks "$work/jwks.json" --saga off \
  >"$work/gateway.out" 2>&1 &
gateway_pid=$!
for _ in $(seq 1 100); do grep -q '^listening ' "$work/gateway.out" && break; sleep 0.1; done
address=$(sed -n 's/^listening //p' "$work/gateway.out")
[ -n "$address" ] || { cat "$work/gateway.out"; exit 1; }
# claim PLAYER CHEST [REQUEST_ID]: `treasure claim` through the gateway with the player's token; its exit code.
claim() {
  local extra=()
  [ $# -ge 3 ] && extra=(--request-id "$3")
  treasure claim --url "http://$address" --token "$(treasure token --key "$work/login.pem" --kid login-1 --player "$1")" \
    --player "$1" --chest "$2" "${extra[@]}"
}

bundle_request=00000000-0000-4000-8000-000000000101
loot_request=00000000-0000-4000-8000-000000000102
echo "==> player 1 opens the bundle: every item is listed"
claim 1 1 $bundle_request | sed 's/^/    /'
echo "==> player 1 opens the loot chest (3 weighted rolls), and the client retries the tap: the same awards"
claim 1 2 $loot_request | grep -E 'award|coins|replayed|fresh' | sed 's/^/    first: /'
claim 1 2 $loot_request | grep -E 'award|coins|replayed|fresh' | sed 's/^/    retry: /'
echo "    why: treasure.explain_claim(1, '$loot_request')"
sql -P footer=off -c "SELECT roll, item, qty, coins, weight, total_weight, reason
                        FROM treasure.explain_claim(1, '$loot_request') ORDER BY roll NULLS FIRST"

echo "==> 20 players race for the golden chest (3 crowns) through the gateway"
racers=()
for player in $(seq 100 119); do
  (code=0; claim "$player" 3 >/dev/null 2>&1 || code=$?; echo $code) >>"$work/race.txt" &
  racers+=($!)
done
wait "${racers[@]}"  # not a bare wait: the gateway runs in the background too
echo "    winners (exit 0): $(grep -c '^0$' "$work/race.txt" || true), sold_out (exit 13): $(grep -c '^13$' "$work/race.txt" || true)"
sql -P footer=off -c "SELECT * FROM treasure.chest_stock(3)"

echo "==> a bot taps ten coin chests as fast as it can; the database allows 3 claims a minute per player"
sql -c "SELECT treasure.set_claim_limit(3, interval '1 minute')" >/dev/null
for chest in $(seq 10 19); do
  code=0
  out=$(claim 666 "$chest" 2>&1) || code=$?
  printf '    chest %s: exit %s %s\n' "$chest" "$code" "$(head -1 <<<"$out")$(grep -o 'retry after.*' <<<"$out" | sed 's/^/, /')"
done | sed -n '1,5p;$p'
sql -c "SELECT treasure.set_claim_limit(NULL, NULL)" >/dev/null

echo "==> support reverses player 1's bundle (awarded by mistake): coins and items back, the chest stays claimed"
sql -P footer=off -c "SELECT status, coins_taken, items_taken, balance
                        FROM treasure.reverse_claim(1, '$bundle_request', 'demo: awarded by mistake')"
claim 1 1 | head -1 | sed 's/^/    player 1 taps the bundle again: /' || true
sql -P footer=off -c "SELECT w.balance, (SELECT count(*) FROM treasure.reconcile()) AS disagreements
                        FROM treasure.wallets w WHERE w.player_id = 1"
