#!/usr/bin/env bash
# pg_dump keeps the extension's data: dump a database with claims, restore it into a new one, and check
# that every table, the sequences, replays and new claims carry on as before.
# Needs PGHOST/PGPORT/PGUSER of a running cluster (scripts/test.sh provides them).
set -euo pipefail
source_db=treasure_dump_source
target_db=treasure_dump_target
dump_file=$(mktemp /tmp/treasure-dump.XXXXXX)
trap 'rm -f "$dump_file"' EXIT
sql() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }

sql -d postgres -c "DROP DATABASE IF EXISTS $source_db" -c "DROP DATABASE IF EXISTS $target_db" \
    -c "CREATE DATABASE $source_db" -c "CREATE DATABASE $target_db"
sql -d $source_db <<'SQL'
CREATE EXTENSION treasure;
SELECT treasure.put_chest(1, 100, 'golden_key');
SELECT treasure.put_chest(2, 250, 'crown', 2, 'golden_key', now() - interval '1 day', now() + interval '1 day');
SELECT treasure.grant_item(3, 'golden_key', 1);
SELECT count(*) FROM (
  SELECT claim_treasure(p, c, ('00000000-0000-0000-0000-' || lpad((p * 10 + c)::text, 12, '0'))::uuid, p)
    FROM generate_series(1, 3) p, (VALUES (1), (2)) AS chests (c) ORDER BY p, c) AS taps;
-- 1.3.0: a bundle, loot with its secret seed, a stock, a claim limit, caps and a reversal.
SELECT treasure.put_chest(3, 5, 'gem');
SELECT treasure.put_chest_item(3, 'pearl', 2);
SELECT treasure.put_chest(4, 1);
SELECT treasure.put_loot(4, 3, '[{"item": "crown", "qty": 1, "weight": 1}, {"item": null, "coins": 7, "weight": 3}]');
SELECT treasure.set_stock(3, 10);
SELECT treasure.set_claim_limit(100, '1 minute');
SELECT treasure.set_wallet_cap(1000000);
SELECT treasure.set_item_cap('pearl', 50);
SELECT count(*) FROM (
  SELECT claim_treasure(p, c, ('00000000-0000-0000-0000-' || lpad((p * 10 + c)::text, 12, '0'))::uuid, p)
    FROM generate_series(1, 3) p, (VALUES (3), (4)) AS chests (c) ORDER BY p, c) AS taps;
SELECT count(*) FROM treasure.reverse_claim(2, '00000000-0000-0000-0000-000000000023', 'dump test', true);
SQL

fingerprint() { sql -d "$1" -f "$(dirname "$0")/data_fingerprint.sql" -f "$(dirname "$0")/features_fingerprint.sql"; }

pg_dump -Fc -d $source_db -f "$dump_file"
pg_restore -d $target_db "$dump_file"

before=$(fingerprint $source_db)
after=$(fingerprint $target_db)
echo "$before"
if [ "$before" != "$after" ]; then
  echo "FAIL: restored data differs"; diff <(echo "$before") <(echo "$after"); exit 1
fi

# A replay in the restored database returns the original claim; a new claim gets a fresh claim_id.
replay=$(sql -d $target_db -c "SELECT status || ' ' || replayed || ' ' || claim_id FROM claim_treasure(1, 1, '00000000-0000-0000-0000-000000000011')")
original=$(sql -d $source_db -c "SELECT 'claimed true ' || claim_id FROM treasure.claims WHERE player_id = 1 AND chest_id = 1")
[ "$replay" = "$original" ] || { echo "FAIL: replay after restore: '$replay', expected '$original'"; exit 1; }
fresh=$(sql -d $target_db -c "SELECT claim_id > (SELECT max(claim_id) FROM treasure.claims WHERE player_id <> 9) FROM claim_treasure(9, 1, '00000000-0000-0000-0000-000000000099')")
[ "$fresh" = "t" ] || { echo "FAIL: claim_id sequence was not restored"; exit 1; }

# The seed came along: a new loot claim rolls the same in both databases.
for db in $source_db $target_db; do
  sql -d $db -c "SELECT status FROM claim_treasure(8, 4, '00000000-0000-0000-0000-000000000084')" >/dev/null
done
loot() { sql -d "$1" -c "SELECT string_agg(entry || ':' || draw, ',' ORDER BY roll) FROM treasure.explain_claim(8, '00000000-0000-0000-0000-000000000084') WHERE roll IS NOT NULL"; }
[ -n "$(loot $source_db)" ] && [ "$(loot $source_db)" = "$(loot $target_db)" ] ||
  { echo "FAIL: a loot claim rolls differently after restore: '$(loot $source_db)' vs '$(loot $target_db)'"; exit 1; }

for db in $source_db $target_db; do
  [ "$(sql -d $db -c 'SELECT count(*) FROM treasure.reconcile()')" = 0 ] || { echo "FAIL: reconcile() not empty in $db"; exit 1; }
done
sql -d postgres -c "DROP DATABASE $source_db" -c "DROP DATABASE $target_db"
echo "dump/restore: data (1.3.0 configuration, awards, reversals and the loot seed too), replay and sequences survive pg_dump | pg_restore"
