#!/usr/bin/env bash
# scripts/rollback-rehearsal.sh [CLAIMS]: the slow rollback, rehearsed.  Loads CLAIMS claims (default
# 1,000,000) into a throwaway cluster, takes a base backup with its WAL (pg_basebackup, the stand-in for an
# S3 snapshot), restores it into a fresh data directory, starts it, verifies it (the per-player invariants,
# and treasure.reconcile() where the installed version has it) and prints how long each step took.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
claims=${1:-1000000}
players=100000
chests=$(( (claims + players - 1) / players ))
sessions=2

restored_dir=
cleanup() {
  remove_server "$restored_dir"
  cluster_stop
}
trap cleanup EXIT
install_packages
build_and_install
cluster_start rehearsal

export PGDATABASE=treasure_rehearsal
psql -X -q -d postgres -c "CREATE DATABASE $PGDATABASE"
psql -X -q -v ON_ERROR_STOP=1 -c 'CREATE EXTENSION treasure' \
  -c "SELECT count(treasure.put_chest(c, 10 + c)) FROM generate_series(1, $chests) AS c" >/dev/null

seconds_since() { awk -v start="$1" -v now="$(date +%s.%N)" 'BEGIN { printf "%.1f", now - start }'; }

echo "==> loading $claims claims ($players players x $chests chests, $sessions sessions)"
started=$(date +%s.%N)
per_session=$(( (claims + sessions - 1) / sessions ))
for ((s = 0; s < sessions; s++)); do
  first=$((s * per_session)); last=$(( (s + 1) * per_session - 1 )); [ $last -ge $claims ] && last=$((claims - 1))
  psql -X -q -v ON_ERROR_STOP=1 -c "
    SELECT count(*) FROM generate_series($first, $last) AS g,
           LATERAL claim_treasure(g % $players + 1, g / $players + 1, gen_random_uuid()) AS c
     WHERE c.status = 'claimed'" >/dev/null &
done
wait
load_seconds=$(seconds_since "$started")
loaded=$(psql -X -At -c 'SELECT count(*) FROM treasure.claims')
size=$(psql -X -At -c "SELECT pg_size_pretty(pg_database_size('$PGDATABASE'))")

echo "==> base backup"
backup_dir=$(mktemp -d /tmp/treasure-backup.XXXXXX)
chown postgres: "$backup_dir" 2>/dev/null || true
started=$(date +%s.%N)
as_cluster_owner "$PG_BIN/pg_basebackup" -h "$PGHOST" -p "$PGPORT" -U postgres -D "$backup_dir/data" -X stream -c fast
backup_seconds=$(seconds_since "$started")

echo "==> restore into a fresh data directory and start it"
restored_dir=$(new_server_dir restored)
started=$(date +%s.%N)
as_cluster_owner cp -a "$backup_dir/data" "$restored_dir/data"
rm -rf "$backup_dir"
echo "unix_socket_directories = '$restored_dir/socket'" >>"$restored_dir/data/postgresql.conf"
copy_seconds=$(seconds_since "$started")
started=$(date +%s.%N)
start_server "$restored_dir" 600
start_seconds=$(seconds_since "$started")

echo "==> verify the restored cluster"
started=$(date +%s.%N)
disagreements=$(psql -X -At -h "$restored_dir/socket" -c "
  SELECT count(*) FROM treasure.wallets w
    FULL JOIN (SELECT player_id, sum(coins_awarded) AS coins, count(*) AS n FROM treasure.claims GROUP BY player_id) c
      USING (player_id)
    FULL JOIN treasure.player_stats s USING (player_id)
   WHERE w.balance IS DISTINCT FROM c.coins OR s.claims IS DISTINCT FROM c.n
      OR s.coins_awarded IS DISTINCT FROM c.coins")
if psql -X -At -h "$restored_dir/socket" -c "SELECT 'treasure.reconcile'::regproc" >/dev/null 2>&1; then
  disagreements=$((disagreements + $(psql -X -At -h "$restored_dir/socket" -c 'SELECT count(*) FROM treasure.reconcile()')))
fi
restored=$(psql -X -At -h "$restored_dir/socket" -c 'SELECT count(*) FROM treasure.claims')
verify_seconds=$(seconds_since "$started")
[ "$restored" = "$loaded" ] || { echo "FAIL: restored $restored claims, loaded $loaded"; exit 1; }
[ "$disagreements" = 0 ] || { echo "FAIL: $disagreements disagreements after restore"; exit 1; }

total=$(awk -v a="$backup_seconds" -v b="$copy_seconds" -v c="$start_seconds" -v d="$verify_seconds" \
  'BEGIN { printf "%.1f", a + b + c + d }')
cat <<TXT

| step | seconds |
|---|---|
| load $loaded claims (not part of the rollback) | $load_seconds |
| base backup with WAL (pg_basebackup -X stream), database $size | $backup_seconds |
| copy into a fresh data directory | $copy_seconds |
| start (recovery to the backup's consistent point) | $start_seconds |
| verify: $restored claims, $disagreements disagreements | $verify_seconds |
| **backup + restore + verify** | **$total** |
TXT
