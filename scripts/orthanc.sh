#!/usr/bin/env bash
# Start or stop a project-local Orthanc PACS with its DICOMweb plugin on loopback.
#
#   scripts/orthanc.sh start   [--http-port N] [--dicom-port N] [--dir DIR]
#   scripts/orthanc.sh stop    [--dir DIR]
#   scripts/orthanc.sh status  [--dir DIR]
#
# Defaults: HTTP 8042, DICOM 4242, storage in .var/orthanc (the project's own folder).
# Env overrides: ORTHANC_HTTP_PORT, ORTHANC_DICOM_PORT, ORTHANC_DIR; ORTHANC_AET (Orthanc's AE title,
# default ORTHANC) and ORTHANC_DICOM_MODALITIES (a JSON object of Orthanc's DicomModalities, the
# C-STORE destinations it can push to, e.g. {"covseg":["COVSEG","127.0.0.1",11112]}), and
# ORTHANC_KEEP_ALIVE (true|false, default false: see below), and ORTHANC_GDCM (true|false, default
# false: whether to load Debian's orthanc-gdcm plugin, which crashes this Orthanc build; see below).
# Two instances can run side by side with different ports and dirs.
set -euo pipefail
cd "$(dirname "$0")/.."

cmd="${1:-}"; shift || true
http_port="${ORTHANC_HTTP_PORT:-8042}"
dicom_port="${ORTHANC_DICOM_PORT:-4242}"
dir="${ORTHANC_DIR:-.var/orthanc}"
aet="${ORTHANC_AET:-ORTHANC}"
modalities="${ORTHANC_DICOM_MODALITIES:-"{}"}"
keep_alive="${ORTHANC_KEEP_ALIVE:-false}"
gdcm="${ORTHANC_GDCM:-false}"
while [ $# -gt 0 ]; do
  case "$1" in
    --http-port) http_port="$2"; shift 2 ;;
    --dicom-port) dicom_port="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    *) echo "orthanc.sh: unknown option $1" >&2; exit 2 ;;
  esac
done

plugin=/usr/share/orthanc/plugins/libOrthancDicomWeb.so
gdcm_plugin=/usr/share/orthanc/plugins/libOrthancGdcm.so
case "$gdcm" in true|false) ;; *) echo "orthanc.sh: ORTHANC_GDCM must be true or false" >&2; exit 2 ;; esac

ensure_installed() {
  local packages=()
  { command -v Orthanc >/dev/null 2>&1 && [ -f "$plugin" ]; } || packages+=(orthanc orthanc-dicomweb)
  [ "$gdcm" = "false" ] || [ -f "$gdcm_plugin" ] || packages+=(orthanc-gdcm)
  [ ${#packages[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "orthanc.sh: installing Debian packages ${packages[*]}" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${packages[@]}" >&2 \
      || { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${packages[@]}" >&2; }
    return 0
  fi
  echo "orthanc.sh: missing Debian packages. Install them as root: apt-get install ${packages[*]}" >&2
  exit 1
}

pidfile() { echo "$dir/orthanc.pid"; }

case "$cmd" in
  start)
    ensure_installed
    mkdir -p "$dir/db"
    abs_dir="$(cd "$dir" && pwd)"
    if [ -f "$(pidfile)" ] && kill -0 "$(cat "$(pidfile)")" 2>/dev/null; then
      echo "orthanc.sh: already running (pid $(cat "$(pidfile)")) in $dir" >&2
      echo "http://127.0.0.1:$(cat "$dir/http-port")/dicom-web"
      exit 0
    fi
    # KeepAlive false: Orthanc 1.10 (Debian) cuts an answer mid-body ("other side closed") when its reader
    # pauses for about a second on a kept-alive connection (it announces "Keep-Alive: timeout=1"): a busy
    # server reading a WADO-RS instance got it cut at ~270 KB. bench/orthanc-keepalive.bench.ts: 35 of 40
    # LIDC instance reads pausing mid-body cut with KeepAlive, 0 of 40 without. A connection per request
    # costs little on a LAN; the viewer proxy also asks once more for a cut answer.
    case "$keep_alive" in true|false) ;; *) echo "orthanc.sh: ORTHANC_KEEP_ALIVE must be true or false" >&2; exit 2 ;; esac
    # GDCM (ORTHANC_GDCM=true, for bench/pipeline.bench.ts --gdcm only): with Debian's orthanc-gdcm plugin
    # Orthanc transcodes JPEG 2000 (its own DCMTK cannot), restricted here to JPEG 2000 so every other
    # syntax keeps DCMTK. NEVER load it by default, in the demo or in the tests: Debian's Orthanc 1.10.1
    # runs HTTP requests on the system civetweb's 100 KB thread stacks, and GDCM's J2K transcoding needs
    # ~290 KB (gdb: PixmapWriter::PrepareWrite alone reserves 133 KB), so every J2K transcoding writes
    # past the guard page into a neighbouring worker's stack. A series retrieve survived by luck in our
    # runs; per-instance and per-frame retrieves (the viewer's frame loader) segfaulted Orthanc within
    # 1-5 requests (dmesg: "civetweb-worker ... segfault ... in libgdcmMSFF"). docs/PERFORMANCE.md.
    plugins="\"$plugin\""
    gdcm_config=""
    if [ "$gdcm" = "true" ]; then
      plugins="$plugins, \"$gdcm_plugin\""
      gdcm_config=',
  "Gdcm": { "Enable": true, "RestrictTransferSyntaxes": ["1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91"], "Throttling": 4 }'
    fi
    cat > "$dir/orthanc.json" <<JSON
{
  "Name": "covseg-local",
  "StorageDirectory": "$abs_dir/db",
  "IndexDirectory": "$abs_dir/db",
  "HttpPort": $http_port,
  "DicomPort": $dicom_port,
  "DicomAet": "$aet",
  "DicomModalities": $modalities,
  "RemoteAccessAllowed": false,
  "AuthenticationEnabled": false,
  "HttpBindAddress": "127.0.0.1",
  "DicomBindAddress": "127.0.0.1",
  "HttpTimeout": 60,
  "StableAge": 5,
  "KeepAlive": $keep_alive,
  "Plugins": [$plugins],
  "DicomWeb": { "Enable": true, "Root": "/dicom-web/", "EnableWado": true, "StudiesMetadata": "Full", "SeriesMetadata": "Full" }$gdcm_config
}
JSON
    echo "$http_port" > "$dir/http-port"
    setsid Orthanc "$dir/orthanc.json" > "$dir/orthanc.log" 2>&1 < /dev/null &
    echo $! > "$(pidfile)"
    for _ in $(seq 1 100); do
      if curl -fsS "http://127.0.0.1:$http_port/system" >/dev/null 2>&1; then
        echo "http://127.0.0.1:$http_port/dicom-web"
        exit 0
      fi
      if ! kill -0 "$(cat "$(pidfile)")" 2>/dev/null; then
        echo "orthanc.sh: Orthanc exited during start; see $dir/orthanc.log" >&2; tail -20 "$dir/orthanc.log" >&2; exit 1
      fi
      sleep 0.1
    done
    echo "orthanc.sh: Orthanc did not answer on port $http_port within 10 s; see $dir/orthanc.log" >&2
    exit 1
    ;;
  stop)
    if [ -f "$(pidfile)" ]; then
      pid="$(cat "$(pidfile)")"
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$(pidfile)"
    fi
    ;;
  status)
    if [ -f "$(pidfile)" ] && kill -0 "$(cat "$(pidfile)")" 2>/dev/null; then echo running; else echo stopped; exit 1; fi
    ;;
  *) echo "usage: scripts/orthanc.sh start|stop|status [--http-port N] [--dicom-port N] [--dir DIR]" >&2; exit 2 ;;
esac
