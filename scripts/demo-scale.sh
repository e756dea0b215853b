#!/usr/bin/env bash
# Scaled mode on one machine: Redis, PostgreSQL, Orthanc, one API (ROLE=api) and two workers (ROLE=worker),
# each worker with its own data folder. Loads the committed LIDC-IDRI-0001 CT as 4 distinct studies, runs
# 4 jobs, SIGKILLs a worker while it holds a job, and waits until all 4 SEGs are on the PACS.
#
#   npm run demo:scale              ... then leave everything running (the viewer URL goes to stderr)
#   npm run demo:scale -- --once    ... then stop everything and exit 0
#   npm run demo:scale -- --stop    stop what an earlier run left running
#
# The LAST stdout line is one JSON object:
#   {"jobs":4,"succeeded":4,"segsOnPacs":4,"workers":[{"id":"worker-1","jobs":n},…],"killedWorker":"…","seconds":…}
# segsOnPacs is counted by QIDO-RS on the PACS. Everything else goes to stderr.
# Ports are free loopback ports chosen at start (never 3000/8042/6379/5432), unless PORT is set.
set -euo pipefail
cd "$(dirname "$0")/.."

once=0
stop_only=0
for arg in "$@"; do
  case "$arg" in
    --once) once=1 ;;
    --stop) stop_only=1 ;;
    *) echo "demo-scale.sh: unknown option $arg (use --once or --stop)" >&2; exit 2 ;;
  esac
done

var=.var/scale
log() { echo "demo:scale: $*" >&2; }
free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{process.stdout.write(String(s.address().port));s.close()})'; }
have_postgres() { [ -f scripts/postgres.sh ]; }

stop_process() {
  local pidfile="$1"
  if [ -f "$pidfile" ]; then
    local pid; pid="$(cat "$pidfile")"
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile"
  fi
}
stop_all() {
  for role in worker-1 worker-2 api; do stop_process "$var/$role.pid"; done
  bash scripts/orthanc.sh stop --dir "$var/orthanc"
  bash scripts/redis.sh stop --dir "$var/redis"
  if have_postgres; then bash scripts/postgres.sh stop --dir "$var/postgres" || true; fi
}

if [ "$stop_only" = 1 ]; then stop_all; log "stopped the API, the workers, Orthanc, Redis and PostgreSQL"; exit 0; fi

# A run from before replaces nothing silently: stop it, then start from clean state (new UIDs each run).
stop_all
rm -rf "$var"
mkdir -p "$var"
token_file="$var/admin-token"
(umask 077; node -e "process.stdout.write(require('node:crypto').randomBytes(32).toString('base64url'))" > "$token_file")
token="$(cat "$token_file")"
# Secrets at rest (PACS passwords) are sealed with this key; every process must hold the same one.
secret_key="$(node -e "process.stdout.write(require('node:crypto').randomBytes(32).toString('base64'))")"

log "building the server (npm run build:server)"
npm run --silent build:server >&2
if [ ! -f apps/viewer/dist/index.html ]; then
  log "building the viewer (npm run build:viewer)"
  npm run --silent build:viewer >&2
fi

if [ "$once" = 1 ]; then trap stop_all EXIT; fi

log "starting Redis"
redis_url="$(bash scripts/redis.sh start --dir "$var/redis")"
database_env=()
if have_postgres; then
  log "starting PostgreSQL"
  database_url="$(bash scripts/postgres.sh start --dir "$var/postgres")"
  database_env=(DATABASE_URL="$database_url")
fi
orthanc_http="$(free_port)"
log "starting Orthanc on 127.0.0.1:$orthanc_http"
pacs="$(bash scripts/orthanc.sh start --http-port "$orthanc_http" --dicom-port "$(free_port)" --dir "$var/orthanc")"

api_port="${PORT:-$(free_port)}"
common=(HOST=127.0.0.1 REDIS_URL="$redis_url" COVSEG_SECRET_KEY="$secret_key" COVSEG_BOOTSTRAP_ADMIN_TOKEN="$token" "${database_env[@]}")
# Without PostgreSQL (embedded state store) the processes must share one data folder; with it, none is shared.
shared_data="$var/data"
data_dir() { if have_postgres; then echo "$var/$1-data"; else echo "$shared_data"; fi; }

start_role() {
  local name="$1"; shift
  env "${common[@]}" DATA_DIR="$(data_dir "$name")" "$@" setsid nice -n "${NICE:-0}" node dist/apps/server/src/main.js > "$var/$name.log" 2>&1 < /dev/null &
  echo $! > "$var/$name.pid"
}
wait_health() {
  local name="$1" port="$2"
  for _ in $(seq 1 300); do
    if curl -fsS "http://127.0.0.1:$port/api/health" > /dev/null 2>&1; then return 0; fi
    if ! kill -0 "$(cat "$var/$name.pid")" 2>/dev/null; then log "$name exited during start:"; tail -20 "$var/$name.log" >&2; exit 1; fi
    sleep 0.2
  done
  log "$name did not answer on port $port"; exit 1
}

log "starting the API on http://127.0.0.1:$api_port (ROLE=api, log $var/api.log)"
start_role api ROLE=api PORT="$api_port"
wait_health api "$api_port"
worker_ports=()
for n in 1 2; do
  port="$(free_port)"
  worker_ports+=("$port")
  log "starting worker-$n (ROLE=worker, health and metrics on 127.0.0.1:$port, log $var/worker-$n.log)"
  # Workers run niced with one ORT thread each, so the API answers the viewer while both infer.
  NICE=10 start_role "worker-$n" ROLE=worker WORKER_ID="worker-$n" WORKER_PORT="$port" ORT_THREADS=1 BULLMQ_LOCK_MS=10000 BULLMQ_STALLED_INTERVAL_MS=5000
done
for n in 1 2; do wait_health "worker-$n" "${worker_ports[$((n - 1))]}"; done

node scripts/run-ts.mjs scripts/demo-scale.ts --server "http://127.0.0.1:$api_port" --pacs "$pacs" --orthanc "http://127.0.0.1:$orthanc_http" \
  --token-file "$token_file" --var "$var"

if [ "$once" = 1 ]; then
  log "stopping everything (--once)"
else
  log "the API (http://127.0.0.1:$api_port), 2 workers, Orthanc ($pacs), Redis ($redis_url) keep running; stop them with: npm run demo:scale -- --stop"
fi
