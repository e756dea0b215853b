#!/usr/bin/env bash
# Start or stop a project-local Redis (Debian's redis-server) on loopback, for the scaled mode's job queue.
#
#   scripts/redis.sh start   [--port N] [--dir DIR]   prints the URL, e.g. redis://127.0.0.1:41234
#   scripts/redis.sh stop    [--dir DIR]
#   scripts/redis.sh status  [--dir DIR]               prints "running <url>" or "stopped" (exit 1)
#
# Defaults: a free port chosen by the kernel (never the well-known 6379, which another Redis on the
# machine may own), data, pid and log in .var/redis (the project's own folder).
# Env overrides: REDIS_PORT, REDIS_DIR. Two instances run side by side with different dirs.
#
# Settings BullMQ needs, and why:
# - maxmemory-policy noeviction: an evicted job key is a lost job; BullMQ refuses to run otherwise.
# - appendonly yes + appendfsync always: a job accepted by Redis survives a crash or restart of Redis.
#   The queue's write rate is a few operations per job, so fsync per write costs nothing measurable.
set -euo pipefail
cd "$(dirname "$0")/.."

cmd="${1:-}"; shift || true
port="${REDIS_PORT:-}"
dir="${REDIS_DIR:-.var/redis}"
while [ $# -gt 0 ]; do
  case "$1" in
    --port) port="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    *) echo "redis.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

ensure_installed() {
  if command -v redis-server >/dev/null 2>&1; then return 0; fi
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "redis.sh: installing the Debian package redis-server" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server >&2 \
      || { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server >&2; }
    return 0
  fi
  echo "redis.sh: redis-server is missing. Install it as root: apt-get install redis-server" >&2
  exit 1
}

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{process.stdout.write(String(s.address().port));s.close()})'
}

pidfile() { echo "$dir/redis.pid"; }
running() { [ -f "$(pidfile)" ] && kill -0 "$(cat "$(pidfile)")" 2>/dev/null; }
url() { echo "redis://127.0.0.1:$(cat "$dir/port")"; }

case "$cmd" in
  start)
    ensure_installed
    mkdir -p "$dir/data"
    abs_dir="$(cd "$dir" && pwd)"
    if running; then
      echo "redis.sh: already running (pid $(cat "$(pidfile)")) in $dir" >&2
      url; exit 0
    fi
    [ -n "$port" ] || port="$(free_port)"
    # Debian's redis-server runs as a system service on 6379 with /etc/redis/redis.conf; this one takes
    # its whole config here, so the two never share a port, a data folder or a pid file.
    cat > "$abs_dir/redis.conf" <<CONF
bind 127.0.0.1
protected-mode yes
port $port
dir $abs_dir/data
pidfile $abs_dir/redis.pid
logfile $abs_dir/redis.log
daemonize no
appendonly yes
appendfsync always
maxmemory-policy noeviction
save 60 1
CONF
    echo "$port" > "$dir/port"
    setsid redis-server "$abs_dir/redis.conf" >> "$dir/redis.log" 2>&1 < /dev/null &
    echo $! > "$(pidfile)"
    for _ in $(seq 1 100); do
      if redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG; then url; exit 0; fi
      if ! kill -0 "$(cat "$(pidfile)")" 2>/dev/null; then
        echo "redis.sh: redis-server exited during start; see $dir/redis.log" >&2; tail -20 "$dir/redis.log" >&2; exit 1
      fi
      sleep 0.1
    done
    echo "redis.sh: Redis did not answer on port $port within 10 s; see $dir/redis.log" >&2
    exit 1
    ;;
  stop)
    if [ -f "$(pidfile)" ]; then
      pid="$(cat "$(pidfile)")"
      # SIGTERM makes Redis flush the append-only file and exit cleanly.
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$(pidfile)"
    fi
    ;;
  status)
    if running; then echo "running $(url)"; else echo stopped; exit 1; fi
    ;;
  *) echo "usage: scripts/redis.sh start|stop|status [--port N] [--dir DIR]" >&2; exit 2 ;;
esac
