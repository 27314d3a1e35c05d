#!/usr/bin/env bash
# Extension upgrades and downgrades, rehearsed along the whole chain 1.0.0 -> 1.1.0 -> 1.2.0 -> 1.3.0 -> 1.4.0 and back:
# install 1.0.0 and load claims; at every step check the data (unchanged), the schema (the same as a fresh
# CREATE EXTENSION of that version, catalog line by line), the contract (replays, new claims on the atomic
# path and, from 1.1.0, the saga path) and reconcile(); a backend that claimed before an upgrade or
# downgrade claims again after it (claim_treasure() follows the installed schema); the downgrade to 1.0.0
# refuses while a saga runs, the one to 1.2.0 while 1.3.0 data would be lost; and up again leaves nothing behind.
# Every version installs through the chain (sql/README.md), so a fresh install of a version runs the same
# upgrade scripts as the step up to it: what keeps the comparisons honest is released_schemas.sha256, the
# catalog each released version shipped with, which a fresh install of it must still give, and the
# downgrade scripts, which are checked against those fresh installs.
# Needs PGHOST/PGPORT/PGUSER of a running cluster with the extension installed (scripts/test.sh provides them).
set -euo pipefail
cd "$(dirname "$0")/../.."
versions=(1.0.0 1.1.0 1.2.0 1.3.0 1.4.0)
latest=${versions[-1]}
db=treasure_upgrade
work=$(mktemp -d /tmp/treasure-upgrade.XXXXXX)
trap 'rm -rf "$work"' EXIT
sql() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }
fail() { echo "FAIL: $*"; exit 1; }
check() {  # check NAME EXPECTED ACTUAL
  [ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
  echo "ok - $1"
}
fresh_db() { echo "treasure_upgrade_fresh_${1//./_}"; }
has_sagas() { [ "$1" != 1.0.0 ]; }
databases=($db $(for v in "${versions[@]}"; do fresh_db $v; done))

for d in "${databases[@]}"; do
  sql -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $d" -c "CREATE DATABASE $d"
done
for v in "${versions[@]}"; do
  sql -d "$(fresh_db $v)" -c "CREATE EXTENSION treasure VERSION '$v'"
  sql -d "$(fresh_db $v)" -f tests/upgrade/schema_fingerprint.sql >"$work/fresh_$v.schema"
done
# The catalog each released version shipped with: the sha256 of its fingerprint, the installing role written
# as OWNER (taken from the full install scripts of those releases; sql/README.md says how to add a release).
owner=$(sql -d postgres -c 'SELECT current_user')
released=tests/upgrade/released_schemas.sha256
for v in $(cut -d' ' -f2 $released); do
  [[ " ${versions[*]} " == *" $v "* ]] || fail "released version $v is not in versions=(${versions[*]})"
done
for v in "${versions[@]}"; do
  got=$(sed "s/\b$owner\b/OWNER/g" "$work/fresh_$v.schema" | sha256sum | cut -d' ' -f1)
  want=$(awk -v v="$v" '$2 == v { print $1 }' $released)
  if [ -z "$want" ]; then
    echo "# $v is not released: at its release, add the line '$got $v' to $released"
  elif [ "$got" != "$want" ]; then
    sed "s/\b$owner\b/OWNER/g" "$work/fresh_$v.schema" >"/tmp/treasure-fresh-$v.schema"
    fail "CREATE EXTENSION treasure VERSION '$v' no longer installs the schema $v was released with (sha256 $got," \
      "fingerprint in /tmp/treasure-fresh-$v.schema): a released script was changed"
  else
    echo "ok - CREATE EXTENSION treasure VERSION '$v' installs the schema $v was released with"
  fi
done
check "a plain CREATE EXTENSION installs $latest" "$latest" \
  "$(sql -d postgres -c "SELECT default_version FROM pg_available_extensions WHERE name = 'treasure'")"

# Version 1.0.0 with data: coins-only, key-giving and key-consuming chests, grants, replays.
sql -d $db >/dev/null <<SQL
CREATE EXTENSION treasure VERSION '${versions[0]}';
SELECT treasure.put_chest(1, 100);
SELECT treasure.put_chest(2, 50, 'golden_key');
SELECT treasure.put_chest(3, 500, 'crown', 2, 'golden_key');
SELECT treasure.put_chest(4, 7, 'map');
SELECT treasure.grant_item(5, 'golden_key', 2);
SELECT count(*) FROM (
  SELECT claim_treasure(p, c, ('00000000-0000-0000-0000-' || lpad((p * 10 + c)::text, 12, '0'))::uuid, p)
    FROM generate_series(1, 6) p, (VALUES (1), (2), (3)) AS chests (c) ORDER BY p, c) AS taps;
SQL

fingerprint() { sql -d "$1" -f tests/dump/data_fingerprint.sql; }
# The README's invariants, written without reconcile() so that they also run on 1.0.0.
invariants() {
  sql -d "$1" <<'SQL'
SELECT count(*) FROM (
  SELECT w.player_id FROM treasure.wallets w
   WHERE w.balance <> COALESCE((SELECT sum(k.coins_awarded) FROM treasure.claims k WHERE k.player_id = w.player_id), 0)
  UNION ALL
  SELECT k.player_id FROM treasure.claims k
   WHERE NOT EXISTS (SELECT FROM treasure.player_stats s WHERE s.player_id = k.player_id)
  UNION ALL
  SELECT s.player_id FROM treasure.player_stats s
   WHERE s.claims <> (SELECT count(*) FROM treasure.claims k WHERE k.player_id = s.player_id)
      OR s.coins_awarded <> (SELECT sum(k.coins_awarded) FROM treasure.claims k WHERE k.player_id = s.player_id)
      OR s.last_claim_at <> (SELECT max(k.claimed_at) FROM treasure.claims k WHERE k.player_id = s.player_id)
  UNION ALL
  SELECT k.player_id FROM treasure.claims k
   WHERE NOT EXISTS (SELECT FROM treasure.claim_events e WHERE e.player_id = k.player_id AND e.claim_id = k.claim_id)
  UNION ALL
  SELECT i.player_id FROM treasure.inventories i
   WHERE i.qty <> COALESCE((SELECT sum(g.qty) FROM treasure.item_grants g WHERE g.player_id = i.player_id AND g.item = i.item), 0)
                + COALESCE((SELECT sum(k.item_qty) FROM treasure.claims k WHERE k.player_id = i.player_id AND k.item_awarded = i.item), 0)
                - (SELECT count(*) FROM treasure.claims k WHERE k.player_id = i.player_id AND k.key_used = i.item)
) AS broken
SQL
}
# Runs every queued saga step until the outbox is empty, one transaction per step (what treasure-saga does).
drain_sagas() {
  local worker progressed
  for _ in $(seq 1 200); do
    progressed=0
    for worker in inventory wallet orchestrator analytics; do
      [ -n "$(sql -d "$1" -c "SELECT step FROM treasure.saga_work('$worker')")" ] && progressed=1
    done
    [ $progressed -eq 1 ] || return 0
  done
  fail "sagas did not drain"
}
uuid() { printf '00000000-0000-0000-0000-%012d' "$1"; }
player=100  # every step claims with players of its own

# ALTER EXTENSION UPDATE from the installed version to $1, run while another backend that has already
# claimed (so its library has looked up the schema and saved its plans) stays connected and claims again
# afterwards.  Then checks data, schema, replays, new claims on both paths and the invariants.
move_to() {
  local from to=$1 replay_before out
  from=$(sql -d $db -c "SELECT extversion FROM pg_extension WHERE extname = 'treasure'")
  replay_before=$(sql -d $db -c "SELECT row(c.*)::text FROM claim_treasure(1, 3, '$(uuid 13)') c")
  player=$((player + 10))
  out=$(sql -d $db <<SQL
SELECT status FROM claim_treasure($player, 1, '$(uuid $player)');
\! psql -X -q -v ON_ERROR_STOP=1 -d $db -c "ALTER EXTENSION treasure UPDATE TO '$to'" >/dev/null
SELECT status, coins_awarded FROM claim_treasure($player, 4, '$(uuid $((player + 1)))');
SELECT claims, coins_awarded FROM treasure.player_stats WHERE player_id = $player;
SQL
  )
  check "$from -> $to: a backend that claimed before it claims after it" "claimed claimed|7 2|107" "$(echo $out)"
  check "$from -> $to: now $to" "$to" "$(sql -d $db -c "SELECT extversion FROM pg_extension WHERE extname = 'treasure'")"
  sql -d $db -f tests/upgrade/schema_fingerprint.sql >"$work/moved.schema"
  diff -u "$work/fresh_$to.schema" "$work/moved.schema" || fail "$from -> $to differs from a fresh $to install"
  echo "ok - $from -> $to has the same schema as CREATE EXTENSION treasure VERSION '$to' ($(wc -l <"$work/moved.schema") catalog lines)"
  # The data, less the two claims of the live backend.
  sql -d $db -c "SELECT count(*) FROM treasure.claims WHERE player_id = $player" | grep -qx 2 || fail "live backend's claims"
  check "$from -> $to: a claim made before replays after" "$replay_before" \
    "$(sql -d $db -c "SELECT row(c.*)::text FROM claim_treasure(1, 3, '$(uuid 13)') c")"
  sql -d $db -c "SELECT treasure.grant_item($((player + 2)), 'golden_key', 1)" >/dev/null
  check "$from -> $to: a new claim that spends a key" "claimed 500 crown golden_key" \
    "$(sql -d $db -F ' ' -c "SELECT status, balance, item_awarded, key_used FROM claim_treasure($((player + 2)), 3, '$(uuid $((player + 3)))')")"
  if has_sagas "$to"; then
    local saga
    saga=$(sql -d $db -c "SELECT saga_id FROM treasure.saga_claim($((player + 5)), 4, '$(uuid $((player + 5)))')")
    [ -n "$saga" ] || fail "saga_claim did not start a saga"
    drain_sagas $db
    check "$from -> $to: a new saga claim" "claimed f 7 map" \
      "$(sql -d $db -F ' ' -c "SELECT status, replayed, coins_awarded, item_awarded FROM treasure.saga_outcome($((player + 5)), $saga)")"
    check "$from -> $to: reconcile() empty" "" "$(sql -d $db -c 'SELECT * FROM treasure.reconcile()')"
  fi
  check "$from -> $to: invariants hold" 0 "$(invariants $db)"
}

# update_keeps_data VERSION NAME: ALTER EXTENSION UPDATE TO VERSION, and the data fingerprint is the same after it.
update_keeps_data() {
  local before
  before=$(fingerprint $db)
  sql -d $db -c "ALTER EXTENSION treasure UPDATE TO '$1'"
  check "$2" "$before" "$(fingerprint $db)"
}

check "${versions[0]} invariants hold" 0 "$(invariants $db)"
update_keeps_data 1.1.0 "1.0.0 -> 1.1.0 leaves the data unchanged"
update_keeps_data 1.2.0 "1.1.0 -> 1.2.0 leaves the data unchanged (player_stats moved onto the wallet rows)"
update_keeps_data 1.3.0 "1.2.0 -> 1.3.0 leaves the data unchanged"
check "1.2.0 -> 1.3.0 backfills claim_awards from the claims' items" \
  "$(sql -d $db -c "SELECT string_agg(player_id || '/' || claim_id || '/' || item_awarded || '/' || item_qty, ',' ORDER BY claim_id) FROM treasure.claims WHERE item_awarded IS NOT NULL")" \
  "$(sql -d $db -c "SELECT string_agg(player_id || '/' || claim_id || '/' || item || '/' || qty, ',' ORDER BY claim_id) FROM treasure.claim_awards WHERE source = 'guaranteed'")"
check "1.3.0: reconcile() empty after the upgrade" "" "$(sql -d $db -c 'SELECT * FROM treasure.reconcile()')"
update_keeps_data 1.4.0 "1.3.0 -> 1.4.0 leaves the data unchanged"
update_keeps_data 1.3.0 "1.4.0 -> 1.3.0 leaves the data unchanged"
update_keeps_data 1.2.0 "1.3.0 -> 1.2.0 leaves the data unchanged"
update_keeps_data 1.1.0 "1.2.0 -> 1.1.0 leaves the data unchanged (player_stats a table again)"
update_keeps_data 1.0.0 "1.1.0 -> 1.0.0 leaves the data unchanged"

# The same steps again, now each with a live backend across it and the contract checked after it.
move_to 1.1.0
move_to 1.2.0
move_to 1.3.0
move_to 1.4.0
check "1.4.0: a batch claims on the upgraded data, each tap its own answer" "1 claimed f 2 claimed t" \
  "$(sql -d $db -F ' ' -c "SELECT string_agg(concat_ws(' ', tap, status, replayed), ' ' ORDER BY tap) FROM treasure.claim_treasure_batch(ARRAY[9, 9], ARRAY[1, 1], ARRAY['$(uuid 9101)', '$(uuid 9101)']::uuid[])")"
move_to 1.3.0
check "1.4.0 -> 1.3.0 drops treasure.claim_treasure_batch()" "" \
  "$(sql -d $db -c "SELECT to_regprocedure('treasure.claim_treasure_batch(bigint[], bigint[], uuid[], bigint[])')")"

# Not to 1.2.0 while that would lose 1.3.0 data: a bundle chest, its claim, a claim limit, a reversal.
sql -d $db -c "SELECT treasure.put_chest(20, 3, 'gem')" -c "SELECT treasure.put_chest_item(20, 'pearl', 1)" >/dev/null
refused() {  # refused WHAT: the downgrade to 1.2.0 fails and names WHAT
  local out
  if out=$(sql -d $db -c "ALTER EXTENSION treasure UPDATE TO '1.2.0'" 2>&1); then fail "downgrade to 1.2.0 ran with $1"; fi
  echo "$out" | grep -q "it would lose .*$1" || fail "unexpected downgrade error: $out"
  echo "ok - downgrade to 1.2.0 refused: it would lose $1"
}
refused "guaranteed chest item"
check "a bundle claim on 1.3.0" "claimed 2" \
  "$(sql -d $db -F ' ' -c "SELECT c.status, jsonb_array_length(treasure.claim_details(7, c.claim_id, c.status)->'awards') FROM claim_treasure(7, 20, '$(uuid 7020)') c")"
sql -d $db -c "SELECT treasure.put_chest_item(20, 'pearl', 0)" >/dev/null
refused "bundle or loot award"
sql -d $db -c "SELECT treasure.set_claim_limit(5, '1 minute')" >/dev/null
refused "claim limit"
sql -d $db -c "SELECT treasure.set_claim_limit(NULL, NULL)" >/dev/null
sql -d $db -c "SELECT * FROM treasure.reverse_claim(7, '$(uuid 7020)', 'upgrade test', true)" >/dev/null
refused "reversal"
check "the refused downgrades left 1.3.0" "1.3.0" "$(sql -d $db -c "SELECT extversion FROM pg_extension WHERE extname = 'treasure'")"
# Back to data 1.2.0 can hold: the claim that cannot leave 1.3.0 and its reversal, taken out by hand.
sql -d $db >/dev/null <<SQL
DELETE FROM treasure.claim_reversals WHERE player_id = 7;
DELETE FROM treasure.claim_events WHERE player_id = 7 AND chest_id = 20;
DELETE FROM treasure.claim_awards a USING treasure.claims k
 WHERE k.player_id = 7 AND k.chest_id = 20 AND a.player_id = k.player_id AND a.claim_id = k.claim_id;
DELETE FROM treasure.claims WHERE player_id = 7 AND chest_id = 20;
UPDATE treasure.wallets SET claims = claims - 1 WHERE player_id = 7;
SQL
check "reconcile() empty before the downgrade" "" "$(sql -d $db -c 'SELECT * FROM treasure.reconcile()')"
move_to 1.2.0
move_to 1.1.0

# Not to 1.0.0 while a saga runs: its credit would be left in the wallet with nobody to finish or undo it.
running=$(sql -d $db -c "SELECT saga_id FROM treasure.saga_claim(8, 1, '$(uuid 9001)')")
sql -d $db -c "SELECT treasure.saga_work('wallet')" >/dev/null
if out=$(sql -d $db -c "ALTER EXTENSION treasure UPDATE TO '1.0.0'" 2>&1); then fail "downgrade ran with saga $running in flight"; fi
echo "$out" | grep -q 'still running' || fail "unexpected downgrade error: $out"
echo "ok - downgrade to 1.0.0 refused while a saga is in flight"
drain_sagas $db
check "the in-flight saga finished" "claimed" "$(sql -d $db -c "SELECT status FROM treasure.saga_outcome(8, $running)")"

move_to 1.0.0
check "a saga-made claim replays on 1.0.0" "claimed t 100" \
  "$(sql -d $db -F ' ' -c "SELECT status, replayed, coins_awarded FROM claim_treasure(8, 1, '$(uuid 9001)')")"

# And straight up to the latest again (two scripts in one ALTER): the round trip leaves nothing behind.
move_to "$latest"

for d in "${databases[@]}"; do sql -d postgres -c "DROP DATABASE $d"; done
echo "upgrade: ${versions[*]} and back, with data, live backends, contract and schema checked at every step"
