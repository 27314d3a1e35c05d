#!/usr/bin/env bash
# Extension upgrade and downgrade, rehearsed: install 1.0.0, load claims, ALTER EXTENSION UPDATE TO '1.1.0',
# check the data, the contract (replays, new claims on both paths) and reconcile(); downgrade to 1.0.0 and
# check again; and check that an upgraded install and a fresh CREATE EXTENSION have one and the same schema
# (both ways: 1.0.0 -> 1.1.0 = fresh 1.1.0, and 1.1.0 -> 1.0.0 = fresh 1.0.0).
# Needs PGHOST/PGPORT/PGUSER of a running cluster with the extension installed (scripts/test.sh provides them).
set -euo pipefail
cd "$(dirname "$0")/../.."
old=1.0.0
new=1.1.0
db=treasure_upgrade
fresh_new=treasure_upgrade_fresh_new
fresh_old=treasure_upgrade_fresh_old
work=$(mktemp -d /tmp/treasure-upgrade.XXXXXX)
trap 'rm -rf "$work"' EXIT
sql() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }
fail() { echo "FAIL: $*"; exit 1; }
check() {  # check NAME EXPECTED ACTUAL
  [ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
  echo "ok - $1"
}

for d in $db $fresh_new $fresh_old; do sql -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $d" -c "CREATE DATABASE $d"; done
sql -d $fresh_new -c "CREATE EXTENSION treasure"
sql -d $fresh_old -c "CREATE EXTENSION treasure VERSION '$old'"
check "fresh install is $new" "$new" "$(sql -d $fresh_new -c "SELECT extversion FROM pg_extension WHERE extname = 'treasure'")"

# Version 1.0.0 with data: coins-only, key-giving and key-consuming chests, grants, replays.
sql -d $db >/dev/null <<SQL
CREATE EXTENSION treasure VERSION '$old';
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
  SELECT s.player_id FROM treasure.player_stats s
   WHERE s.claims <> (SELECT count(*) FROM treasure.claims k WHERE k.player_id = s.player_id)
      OR s.coins_awarded <> (SELECT sum(k.coins_awarded) FROM treasure.claims k WHERE k.player_id = s.player_id)
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
schema() { sql -d "$1" -f tests/upgrade/schema_fingerprint.sql; }

before=$(fingerprint $db)
check "1.0.0 invariants hold" 0 "$(invariants $db)"
replay_before=$(sql -d $db -c "SELECT row(c.*)::text FROM claim_treasure(1, 3, '00000000-0000-0000-0000-000000000013') c")

# Upgrade ----------------------------------------------------------------------------------------------
sql -d $db -c "ALTER EXTENSION treasure UPDATE TO '$new'"
check "upgraded to $new" "$new" "$(sql -d $db -c "SELECT extversion FROM pg_extension WHERE extname = 'treasure'")"
check "data unchanged by the upgrade" "$before" "$(fingerprint $db)"
check "reconcile() empty after the upgrade" "" "$(sql -d $db -c 'SELECT * FROM treasure.reconcile()')"
schema $db >"$work/upgraded.schema"
schema $fresh_new >"$work/fresh.schema"
diff -u "$work/fresh.schema" "$work/upgraded.schema" || fail "1.0.0 upgraded to 1.1.0 differs from a fresh 1.1.0 install"
echo "ok - 1.0.0 -> 1.1.0 has the same schema as CREATE EXTENSION treasure ($(wc -l <"$work/fresh.schema") catalog lines)"

check "a 1.0.0 claim replays after the upgrade" "$replay_before" \
  "$(sql -d $db -c "SELECT row(c.*)::text FROM claim_treasure(1, 3, '00000000-0000-0000-0000-000000000013') c")"
check "the same claim replays through the saga path" "$replay_before" \
  "$(sql -d $db -c "SELECT row(c.status, c.replayed, c.claim_id, c.coins_awarded, c.item_awarded, c.item_qty, c.key_used, c.balance, c.claimed_at)::text
                     FROM treasure.saga_claim(1, 3, '00000000-0000-0000-0000-000000000013') c")"
check "a new atomic claim" "claimed" "$(sql -d $db -c "SELECT status FROM claim_treasure(7, 1, '00000000-0000-0000-0000-0000000000f1')")"
saga=$(sql -d $db -c "SELECT saga_id FROM treasure.saga_claim(7, 4, '00000000-0000-0000-0000-0000000000f2')")
[ -n "$saga" ] || fail "saga_claim did not start a saga"
drain_sagas $db
check "a new saga claim" "claimed f 7 map" \
  "$(sql -d $db -F ' ' -c "SELECT status, replayed, coins_awarded, item_awarded FROM treasure.saga_outcome(7, $saga)")"
check "reconcile() empty after new claims" "" "$(sql -d $db -c 'SELECT * FROM treasure.reconcile()')"

# Downgrade --------------------------------------------------------------------------------------------
# Not while a saga runs: its credit would be left in the wallet with nobody to finish or undo it.
running=$(sql -d $db -c "SELECT saga_id FROM treasure.saga_claim(8, 1, '00000000-0000-0000-0000-0000000000f3')")
sql -d $db -c "SELECT treasure.saga_work('wallet')" >/dev/null
if out=$(sql -d $db -c "ALTER EXTENSION treasure UPDATE TO '$old'" 2>&1); then fail "downgrade ran with saga $running in flight"; fi
echo "$out" | grep -q 'still running' || fail "unexpected downgrade error: $out"
echo "ok - downgrade refused while a saga is in flight"
drain_sagas $db
check "the in-flight saga finished" "claimed" "$(sql -d $db -c "SELECT status FROM treasure.saga_outcome(8, $running)")"
check "reconcile() empty before the downgrade" "" "$(sql -d $db -c 'SELECT * FROM treasure.reconcile()')"

before=$(fingerprint $db)
sql -d $db -c "ALTER EXTENSION treasure UPDATE TO '$old'"
check "downgraded to $old" "$old" "$(sql -d $db -c "SELECT extversion FROM pg_extension WHERE extname = 'treasure'")"
check "data unchanged by the downgrade (saga claims included)" "$before" "$(fingerprint $db)"
check "1.0.0 invariants hold after the downgrade" 0 "$(invariants $db)"
schema $db >"$work/downgraded.schema"
schema $fresh_old >"$work/fresh_old.schema"
diff -u "$work/fresh_old.schema" "$work/downgraded.schema" || fail "1.1.0 downgraded to 1.0.0 differs from a fresh 1.0.0 install"
echo "ok - 1.1.0 -> 1.0.0 has the same schema as CREATE EXTENSION treasure VERSION '1.0.0'"
check "a saga-made claim replays on 1.0.0" "claimed t 7" \
  "$(sql -d $db -F ' ' -c "SELECT status, replayed, coins_awarded FROM claim_treasure(7, 4, '00000000-0000-0000-0000-0000000000f2')")"
check "a new claim on 1.0.0" "claimed" "$(sql -d $db -c "SELECT status FROM claim_treasure(9, 1, '00000000-0000-0000-0000-0000000000f4')")"

# And up again: the round trip leaves nothing behind.
sql -d $db -c "ALTER EXTENSION treasure UPDATE TO '$new'"
schema $db >"$work/again.schema"
diff -u "$work/fresh.schema" "$work/again.schema" || fail "second upgrade differs from a fresh install"
check "reconcile() empty after downgrade and upgrade again" "" "$(sql -d $db -c 'SELECT * FROM treasure.reconcile()')"

for d in $db $fresh_new $fresh_old; do sql -d postgres -c "DROP DATABASE $d"; done
echo "upgrade: 1.0.0 -> 1.1.0 -> 1.0.0 -> 1.1.0 keeps data, contract and schema"
