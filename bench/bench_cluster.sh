# Sourced by the bench scripts after scripts/common.sh: the cluster a bench runs on.
#   bench_cluster_start NAME WHAT   a throwaway cluster NAME with the bench's settings (autovacuum off, so a
#                                   cell's tables keep the statistics the script gives them; checkpoints
#                                   spread out), or with BENCH_USE_CLUSTER=1 the cluster already at $PGHOST
#                                   (bench/run.sh's), announced as "WHAT on the running cluster"
#   bench_cluster_stop              stops what bench_cluster_start started
bench_cluster_start() {
  if [ "${BENCH_USE_CLUSTER:-0}" = 1 ]; then
    echo "==> $2 on the running cluster at $PGHOST"
    return
  fi
  cluster_start "$1"
  local setting
  for setting in "max_wal_size = '8GB'" "checkpoint_timeout = '30min'" "autovacuum = off"; do
    psql -X -q -d postgres -c "ALTER SYSTEM SET ${setting%% =*} = ${setting#*= }"
  done
  psql -X -q -d postgres -c 'SELECT pg_reload_conf()' >/dev/null
}
bench_cluster_stop() { [ "${BENCH_USE_CLUSTER:-0}" = 1 ] || cluster_stop; }
