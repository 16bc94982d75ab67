#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests and the benchmark, on 127.0.0.1 only.
#
#   scripts/postgres.sh start        init (first time) and start the cluster; prints the URL
#   scripts/postgres.sh url [DB]     start if needed, create DB (default syndicate_test), print
#                                    its SQLAlchemy URL: postgresql+psycopg://syndicate@...
#   scripts/postgres.sh stop         stop the cluster (the data stays for the next start)
#
# Idempotent and safe to run from several shells at once (flock). Works as root without
# systemd (CI): the server cannot run as root, so the cluster belongs to the "postgres" user and
# the server binaries of Debian's postgresql package run as that user. As any other user the
# cluster simply belongs to that user. Authentication is "trust" and the server listens on
# loopback only: this cluster holds test data, never anything else. Durability is off (fsync,
# synchronous_commit) because a crash only loses data the tests recreate anyway.
set -euo pipefail

# Below Linux's ephemeral range (32768-60999), where a test's client socket or a server bound
# to port 0 can hold any port for a moment.
PORT="${SYNDICATE_PG_PORT:-25329}"
ROOT="${SYNDICATE_PG_DIR:-/tmp/syndicate-pg-$PORT}"
DATA="$ROOT/data"
LOG="$ROOT/server.log"
ROLE=syndicate

die() { echo "postgres.sh: $*" >&2; exit 1; }

bindir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$dir" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; return; fi
  command -v pg_ctl >/dev/null 2>&1 || die "no PostgreSQL server found: run scripts/system-deps.sh"
  dirname "$(command -v pg_ctl)"
}

BIN=$(bindir)

# Run a command as the cluster's owner: "postgres" when we are root, else ourselves.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

init_cluster() {
  mkdir -p "$ROOT"
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$ROOT"; fi
  as_owner "$BIN/initdb" --pgdata="$DATA" --username=postgres --auth=trust \
    --encoding=UTF8 --locale=C.UTF-8 >/dev/null
}

running() {
  as_owner "$BIN/pg_ctl" status --pgdata="$DATA" >/dev/null 2>&1
}

start_cluster() {
  [ -f "$DATA/PG_VERSION" ] || init_cluster
  running && return 0
  local attempt
  for attempt in 1 2 3 4 5; do
    try_start && return 0
    # A port held for a moment by another socket frees itself; anything else is an error.
    grep -q "Address already in use" "$LOG" 2>/dev/null || break
    echo "postgres.sh: port $PORT is in use (attempt $attempt of 5), retrying" >&2
    sleep 3
  done
  tail -n 20 "$LOG" >&2 || true
  die "the server did not start (log: $LOG)"
}

try_start() {
  rm -f "$LOG"  # start_cluster reads this attempt's log only
  as_owner "$BIN/pg_ctl" start --pgdata="$DATA" --log="$LOG" --wait --timeout=60 --silent \
    -o "-p $PORT -k $ROOT -c listen_addresses=127.0.0.1 -c max_connections=200 \
        -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
        -c shared_buffers=256MB" 9>&-
}

psql_admin() {
  as_owner psql --no-psqlrc --quiet --tuples-only --no-align -v ON_ERROR_STOP=1 \
    --host=127.0.0.1 --port="$PORT" --username=postgres --dbname=postgres "$@"
}

ensure_database() {
  local db="$1"
  [[ "$db" =~ ^[a-z_][a-z0-9_]*$ ]] || die "database name must be lowercase letters, digits, _: $db"
  if [ -z "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" ]; then
    psql_admin -c "CREATE ROLE $ROLE LOGIN CREATEDB"
  fi
  if [ -z "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
    psql_admin -c "CREATE DATABASE $db OWNER $ROLE"
  fi
}

url() {
  echo "postgresql+psycopg://$ROLE@127.0.0.1:$PORT/$1"
}

# One caller at a time starts the server or creates a database; the server itself must not
# inherit the lock's descriptor (pg_ctl start gets 9>&-), or it would hold the lock forever.
lock() {
  mkdir -p "$(dirname "$ROOT")"
  exec 9>"$ROOT.lock"
  flock 9
}

case "${1:-}" in
  start)
    lock
    start_cluster
    ensure_database syndicate_test
    url syndicate_test
    ;;
  url)
    db="${2:-syndicate_test}"
    lock
    start_cluster
    ensure_database "$db"
    url "$db"
    ;;
  stop)
    if [ -f "$DATA/PG_VERSION" ] && running; then
      as_owner "$BIN/pg_ctl" stop --pgdata="$DATA" --mode=fast --wait --silent
    fi
    ;;
  *)
    echo "usage: $0 start|stop|url [DATABASE]" >&2
    exit 2
    ;;
esac
