#!/usr/bin/env bash
# Start or stop a project-local PostgreSQL (Debian's postgresql) on a private unix socket folder and a
# loopback TCP port, its data in a project folder. Prints the DATABASE_URL on stdout.
#
#   scripts/postgres.sh start   [--port N] [--dir DIR]
#   scripts/postgres.sh stop    [--dir DIR]
#   scripts/postgres.sh status  [--dir DIR]
#   scripts/postgres.sh url     [--dir DIR]     (prints the DATABASE_URL of an initialised folder)
#
# Defaults: storage in .var/postgres; the port given, else the one this folder used before, else a free
# loopback port (never 5432: several instances, and a system cluster, must not collide).
# Env overrides: POSTGRES_PORT, POSTGRES_DIR.
# The cluster is created by initdb on first start: superuser `covseg` with a random password (kept in
# DIR/password, mode 0600), database `covseg`, scram-sha-256 authentication on the socket and on TCP.
# PostgreSQL refuses to run as root: run as root, the server runs as the `postgres` system user, which
# owns DIR/data, DIR/run (the socket) and DIR/log; DIR itself is made traversable (o+x) for it.
# Run as another user, it runs as that user.
set -euo pipefail
cd "$(dirname "$0")/.."

cmd="${1:-}"; shift || true
port="${POSTGRES_PORT:-}"
dir="${POSTGRES_DIR:-.var/postgres}"
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    *) echo "postgres.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

ensure_installed() {
  if [ -n "$(bindir)" ] && [ -x "$(bindir)/initdb" ]; then return 0; fi
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "postgres.sh: installing the Debian package postgresql" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql >&2 \
      || { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql >&2; }
    [ -x "$(bindir)/initdb" ] && return 0
  fi
  echo "postgres.sh: PostgreSQL is missing. Install it as root: apt-get install postgresql" >&2
  exit 1
}

# Runs a PostgreSQL binary as the user that owns the cluster.
as_owner() {
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() { node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }

url() { echo "postgres://covseg:$(cat "$abs_dir/password")@127.0.0.1:$(cat "$abs_dir/port")/covseg"; }

mkdir -p "$dir"
abs_dir="$(cd "$dir" && pwd)"
data="$abs_dir/data"
run="$abs_dir/run"
log="$abs_dir/log/postgres.log"

case "$cmd" in
  start)
    ensure_installed
    bin="$(bindir)"
    if [ "$(id -u)" = "0" ]; then
      id postgres >/dev/null 2>&1 || { echo "postgres.sh: running as root needs the postgres system user (created by the postgresql package)" >&2; exit 1; }
      chmod o+x "$abs_dir"
      if ! runuser -u postgres -- test -x "$abs_dir"; then
        echo "postgres.sh: the postgres user cannot reach $abs_dir (a parent folder is not traversable); use --dir under a readable path" >&2; exit 1
      fi
    fi
    mkdir -p "$run" "$abs_dir/log"
    chmod 700 "$run" "$abs_dir/log"
    [ "$(id -u)" = "0" ] && chown postgres:postgres "$run" "$abs_dir/log"
    if [ -f "$data/PG_VERSION" ] && as_owner "$bin/pg_ctl" status -D "$data" >/dev/null 2>&1; then
      echo "postgres.sh: already running in $dir" >&2
      url; exit 0
    fi
    if [ -z "$port" ]; then
      if [ -f "$abs_dir/port" ]; then port="$(cat "$abs_dir/port")"; else port="$(free_port)"; fi
    fi
    if [ ! -f "$data/PG_VERSION" ]; then
      umask 077
      [ -f "$abs_dir/password" ] || od -An -tx1 -N16 /dev/urandom | tr -d ' \n' > "$abs_dir/password"
      rm -rf "$data"; mkdir -p "$data"
      pwfile="$run/initdb-password"
      cp "$abs_dir/password" "$pwfile"
      if [ "$(id -u)" = "0" ]; then chown postgres:postgres "$data" "$pwfile"; fi
      as_owner "$bin/initdb" -D "$data" -U covseg --pwfile="$pwfile" --auth=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$abs_dir/log/initdb.log" 2>&1 \
        || { rm -f "$pwfile"; echo "postgres.sh: initdb failed; see $abs_dir/log/initdb.log" >&2; tail -20 "$abs_dir/log/initdb.log" >&2; exit 1; }
      rm -f "$pwfile"
      # Only loopback and the private socket folder; never the system's /var/run/postgresql.
      cat >> "$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$run'
fsync = on
synchronous_commit = on
max_connections = 100
CONF
    fi
    echo "$port" > "$abs_dir/port"
    [ "$(id -u)" = "0" ] && chown postgres:postgres "$log" 2>/dev/null || true
    if ! as_owner "$bin/pg_ctl" start -D "$data" -l "$log" -o "-p $port -k $run" -w -t 60 >/dev/null; then
      echo "postgres.sh: PostgreSQL did not start on port $port; see $log" >&2; tail -20 "$log" >&2 || true; exit 1
    fi
    # The application database, on first start (createdb connects over the private socket).
    if ! PGPASSWORD="$(cat "$abs_dir/password")" "$bin/psql" -h "$run" -p "$port" -U covseg -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'covseg'" | grep -q 1; then
      PGPASSWORD="$(cat "$abs_dir/password")" "$bin/createdb" -h "$run" -p "$port" -U covseg covseg
    fi
    url
    ;;
  stop)
    if [ -f "$data/PG_VERSION" ]; then
      bin="$(bindir)"
      as_owner "$bin/pg_ctl" stop -D "$data" -m fast -w -t 60 >/dev/null 2>&1 || true
    fi
    ;;
  status)
    bin="$(bindir)"
    if [ -n "$bin" ] && [ -f "$data/PG_VERSION" ] && as_owner "$bin/pg_ctl" status -D "$data" >/dev/null 2>&1; then echo running; else echo stopped; exit 1; fi
    ;;
  url)
    [ -f "$abs_dir/password" ] && [ -f "$abs_dir/port" ] || { echo "postgres.sh: no cluster in $dir (run start first)" >&2; exit 1; }
    url
    ;;
  *) echo "usage: scripts/postgres.sh start|stop|status|url [--port N] [--dir DIR]" >&2; exit 2 ;;
esac
