#!/usr/bin/env bash
# The whole flow on one machine: local Orthanc + the committed LIDC-IDRI-0001 CT + the server + one job.
#
#   npm run demo              build, start Orthanc and the server, segment, print the result, leave both running
#   npm run demo -- --once    the same, then stop both and exit 0
#   npm run demo -- --stop    stop what an earlier demo left running
#
# The LAST line on stdout is one JSON object (pacs, studyInstanceUID, seriesInstanceUID, segSeriesInstanceUID,
# segSopInstanceUID, slices, infectionVolumeMl, lungVolumeMl, involvementPercent, seconds, viewerUrl, dicom).
# Everything else goes to stderr. Ports: PORT (3000), ORTHANC_HTTP_PORT (8042), ORTHANC_DICOM_PORT (4242),
# DICOM_PORT (11112: the server's C-STORE SCP, AE title COVSEG; Orthanc knows it as modality "covseg").
set -euo pipefail
cd "$(dirname "$0")/.."

once=0
stop_only=0
for arg in "$@"; do
  case "$arg" in
    --once) once=1 ;;
    --stop) stop_only=1 ;;
    *) echo "demo.sh: unknown option $arg (use --once or --stop)" >&2; exit 2 ;;
  esac
done

port="${PORT:-3000}"
orthanc_http="${ORTHANC_HTTP_PORT:-8042}"
orthanc_dicom="${ORTHANC_DICOM_PORT:-4242}"
dicom_port="${DICOM_PORT:-11112}"
orthanc_dir=.var/orthanc
server_pid=.var/server.pid
log() { echo "demo: $*" >&2; }

stop_server() {
  if [ -f "$server_pid" ]; then
    pid="$(cat "$server_pid")"
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$server_pid"
  fi
}
stop_all() {
  stop_server
  bash scripts/orthanc.sh stop --dir "$orthanc_dir"
}

if [ "$stop_only" = 1 ]; then stop_all; log "stopped the server and Orthanc"; exit 0; fi

mkdir -p .var
# The trust module denies every request without a token; the demo bootstraps an admin token of its own.
token_file=.var/demo-admin-token
if [ ! -s "$token_file" ]; then
  (umask 077; node -e "process.stdout.write(require('node:crypto').randomBytes(32).toString('base64url'))" > "$token_file")
fi
token="$(cat "$token_file")"

log "building the server (npm run build:server)"
npm run --silent build:server >&2
if node -e "process.exit(require('./package.json').scripts['build:viewer'] ? 0 : 1)" && [ -f apps/viewer/vite.config.ts ]; then
  log "building the viewer (npm run build:viewer)"
  npm run --silent build:viewer >&2
fi

log "starting Orthanc on 127.0.0.1:$orthanc_http (storage $orthanc_dir)"
pacs="$(ORTHANC_DICOM_MODALITIES="{\"covseg\":[\"COVSEG\",\"127.0.0.1\",$dicom_port]}" \
  bash scripts/orthanc.sh start --http-port "$orthanc_http" --dicom-port "$orthanc_dicom" --dir "$orthanc_dir")"

# A server from an earlier demo runs an older build: replace it.
stop_server
log "starting the server on http://127.0.0.1:$port, DICOM COVSEG@127.0.0.1:$dicom_port (log .var/server.log)"
PORT="$port" HOST=127.0.0.1 DATA_DIR=.var/server COVSEG_BOOTSTRAP_ADMIN_TOKEN="$token" DICOM_PORT="$dicom_port" DICOM_AE_TITLE=COVSEG \
  setsid node dist/apps/server/src/main.js > .var/server.log 2>&1 < /dev/null &
echo $! > "$server_pid"
if [ "$once" = 1 ]; then trap stop_all EXIT; fi
for _ in $(seq 1 300); do
  if curl -fsS "http://127.0.0.1:$port/api/health" > /dev/null 2>&1; then break; fi
  if ! kill -0 "$(cat "$server_pid")" 2>/dev/null; then log "the server exited during start:"; tail -20 .var/server.log >&2; exit 1; fi
  sleep 0.2
done

node scripts/run-ts.mjs scripts/demo.ts --server "http://127.0.0.1:$port" --pacs "$pacs" --orthanc "http://127.0.0.1:$orthanc_http" \
  --orthanc-dicom-port "$orthanc_dicom" --token-file "$token_file"

if [ "$once" = 1 ]; then
  log "stopping the server and Orthanc (--once)"
else
  log "the server (http://127.0.0.1:$port) and Orthanc ($pacs) keep running; stop them with: npm run demo -- --stop"
  log "admin token for the API and viewer: $token_file"
fi
