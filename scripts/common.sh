# Shared by scripts/test.sh, scripts/demo.sh and the benchmarks: install what the project needs, and run a
# throwaway PostgreSQL cluster in a temporary directory (unix socket only, so no port can clash).
# Source it; it defines functions and sets no traps of its own.

# The server to build for and run: pg_config on PATH (Debian's postgresql-common forwards it to the newest
# server installed), Debian's PostgreSQL 15 only when there is none yet.  find_server runs again once the
# packages are in.
find_server() {
  PG_CONFIG=$(command -v pg_config || echo /usr/lib/postgresql/15/bin/pg_config)
  PG_BIN=$("$PG_CONFIG" --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)
  export PG_CONFIG PG_BIN
}
[ -n "${PG_CONFIG:-}" ] && PG_BIN=$("$PG_CONFIG" --bindir) || find_server

# Debian packages and why: the server and its headers (the extension), pgTAP and pg_prove (SQL tests),
# libpqxx (client shim), cpp-httplib (the CLI's HTTP client) + nlohmann-json + CLI11 (gateway and CLI),
# libboost-dev (Boost.Beast/Asio, header-only: the gateway's event-driven HTTP server, chosen by
# bench/http_server/RESULTS.md), prometheus-cpp (metrics),
# GoogleTest + Google Benchmark (client tests and benchmarks), PL/Proxy (the shard router),
# libipc-run-perl (pg_prove's TAP helpers), python3 (JSON checks in the fault suite and flag-flip.sh),
# gnuplot-nox (the benchmark's latency plot), clang-format-14 (make format-check, the house style),
# libjose-dev + libjansson-dev + libssl-dev (src/auth: JWT/JWKS verification and minting, base64url, SHA-256;
# and the gateway's HTTPS through Boost.Asio's ssl), openssl + curl (the HTTPS tests make a throwaway CA and
# certificate with the openssl command and call the gateway with curl), chromium (the browser suite's
# headless browser).
TREASURE_PACKAGES=(
  postgresql-15 postgresql-server-dev-15 postgresql-15-pgtap pgtap libpq-dev libpqxx-dev
  libcpp-httplib-dev nlohmann-json3-dev libcli11-dev prometheus-cpp-dev libgtest-dev libbenchmark-dev
  postgresql-15-plproxy libipc-run-perl python3 gnuplot-nox make g++ pkg-config clang-format-14
  libjose-dev libjansson-dev libssl-dev libboost-dev openssl curl chromium
)
# The browser suite (tests/browser) drives chromium with puppeteer-core from npm: Debian 12's nodejs (18) and npm
# when the machine has no node; a machine with a newer Node keeps it and the npm that came with it.
command -v node >/dev/null || TREASURE_PACKAGES+=(nodejs)
command -v npm >/dev/null || TREASURE_PACKAGES+=(npm)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_packages() {
  local missing=()
  local package
  for package in "${TREASURE_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "==> installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null || return 1
    find_server
  fi
}

# build_and_install: the extension (its own warnings are errors) and the client programs, built and installed.
build_and_install() {
  echo "==> building and installing the extension and the client"
  make -s -j2 all client PG_CONFIG="$PG_CONFIG" TREASURE_WERROR=1 >/dev/null &&
    as_root make -s install install-client PG_CONFIG="$PG_CONFIG" TREASURE_WERROR=1 >/dev/null
}

# PostgreSQL refuses to run as root: as root the cluster belongs to the 'postgres' user.
as_cluster_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# new_server_dir NAME: a temporary directory with a socket/ subdirectory, owned by the cluster owner.
new_server_dir() {
  local dir
  dir=$(mktemp -d "/tmp/treasure-$1.XXXXXX")
  chmod 755 "$dir"
  mkdir -p "$dir/socket"
  [ "$(id -u)" -eq 0 ] && chown -R postgres: "$dir"
  echo "$dir"
}

# start_server DIR: pg_ctl start of DIR/data, logging to DIR/server.log (shown when the start fails).
start_server() {
  as_cluster_owner "$PG_BIN/pg_ctl" -D "$1/data" -l "$1/server.log" -w -t "${2:-60}" start >/dev/null \
    || { cat "$1/server.log"; return 1; }
}

# remove_server DIR: stop the server of DIR (immediately, if it runs) and delete DIR.
remove_server() {
  [ -n "${1:-}" ] && [ -d "$1" ] || return 0
  as_cluster_owner "$PG_BIN/pg_ctl" -D "$1/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$1"
}

# cluster_start NAME: initdb + start in a new temporary directory; exports PGHOST/PGPORT/PGUSER for clients.
cluster_start() {
  CLUSTER_DIR=$(new_server_dir "$1")
  as_cluster_owner "$PG_BIN/initdb" -D "$CLUSTER_DIR/data" -U postgres -A trust --no-sync -E UTF8 \
    --locale=C.UTF-8 >"$CLUSTER_DIR/initdb.log" 2>&1 || { cat "$CLUSTER_DIR/initdb.log"; return 1; }
  cat >>"$CLUSTER_DIR/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$CLUSTER_DIR/socket'
port = 5432
max_connections = 120
shared_buffers = 256MB
max_prepared_transactions = 10
CONF
  start_server "$CLUSTER_DIR" || return 1
  export PGHOST="$CLUSTER_DIR/socket" PGPORT=5432 PGUSER=postgres
  export TREASURE_TEST_DSN="host=$PGHOST port=$PGPORT user=postgres dbname=treasure_test"
  echo "==> cluster running in $CLUSTER_DIR (socket $PGHOST)"
}

cluster_stop() {
  remove_server "${CLUSTER_DIR:-}"
  CLUSTER_DIR=
}

# replica_start NAME: a streaming standby of the running cluster (pg_basebackup -R), in its own temporary
# directory and socket.  Exports REPLICA_DIR and REPLICA_HOST; stop it with replica_stop.
replica_start() {
  REPLICA_DIR=$(new_server_dir "$1")
  as_cluster_owner "$PG_BIN/pg_basebackup" -h "$PGHOST" -p "$PGPORT" -U postgres -D "$REPLICA_DIR/data" \
    -R -X stream -c fast >"$REPLICA_DIR/basebackup.log" 2>&1 || { cat "$REPLICA_DIR/basebackup.log"; return 1; }
  cat >>"$REPLICA_DIR/data/postgresql.conf" <<CONF
unix_socket_directories = '$REPLICA_DIR/socket'
hot_standby = on
hot_standby_feedback = on
CONF
  start_server "$REPLICA_DIR" || return 1
  export REPLICA_HOST="$REPLICA_DIR/socket"
  echo "==> streaming replica running in $REPLICA_DIR (socket $REPLICA_HOST)"
}

replica_stop() {
  remove_server "${REPLICA_DIR:-}"
  REPLICA_DIR=
}
