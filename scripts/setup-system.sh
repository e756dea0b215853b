#!/usr/bin/env bash
# Installs the Debian packages the demo or the tests need, when they are missing.
#   scripts/setup-system.sh demo   -> Orthanc + DICOMweb plugin
#   scripts/setup-system.sh test   -> + dicom3tools (dciodvfy), dcmtk (dcmcjpeg), GDCM's gdcmconv, Chromium, Python/PyTorch for training tests,
#                                       PostgreSQL and Redis (the scaled mode's tests)
#   scripts/setup-system.sh bench  -> + orthanc-gdcm
#                                       (bench:pipeline --gdcm only: it crashes Debian's Orthanc, see scripts/orthanc.sh)
# Only Debian's archive is used; nothing is downloaded from elsewhere.
set -euo pipefail
profile="${1:-test}"

need=()
have_cmd() { command -v "$1" >/dev/null 2>&1; }
have_py() { /usr/bin/python3 -c "import $1" >/dev/null 2>&1; }

have_cmd Orthanc || need+=(orthanc)
[ -f /usr/share/orthanc/plugins/libOrthancDicomWeb.so ] || need+=(orthanc-dicomweb)
have_cmd curl || need+=(curl)
have_cmd xz || need+=(xz-utils)
# Key images draw their text with sharp (librsvg + fontconfig): they need a font.
fc-list 2>/dev/null | grep -qi dejavu || need+=(fonts-dejavu-core)
if [ "$profile" = "test" ] || [ "$profile" = "bench" ]; then
  have_cmd dciodvfy || need+=(dicom3tools)
  # dcmtk: dsrdump parses our SR in the tests; dcmcjpeg makes JPEG Lossless test and bench series.
  { have_cmd dsrdump && have_cmd dcmcjpeg; } || need+=(dcmtk)
  have_cmd chromium || need+=(chromium)
  # GDCM's gdcmconv: JPEG 2000 lossless series for the retrieve tests and the bench set.
  have_cmd gdcmconv || need+=(libgdcm-tools)
  # Grok's grk_compress: HTJ2K series for the HTJ2K job test and the bench set (tests/support/htj2k.ts).
  have_cmd grk_compress || need+=(grokj2k-tools)
  have_py torch || need+=(python3-torch)
  have_py onnx || need+=(python3-onnx)
  have_py PIL || need+=(python3-pil)
  have_py numpy || need+=(python3-numpy)
  have_py scipy || need+=(python3-scipy)
  have_py matplotlib || need+=(python3-matplotlib)
  have_py tqdm || need+=(python3-tqdm)
  have_py pytest || need+=(python3-pytest)
  # The scaled mode's real components (issue 8): PostgreSQL (scripts/postgres.sh) and Redis.
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
  have_cmd redis-server || need+=(redis-server)
fi
if [ "$profile" = "bench" ]; then
  [ -f /usr/share/orthanc/plugins/libOrthancGdcm.so ] || need+=(orthanc-gdcm)
fi

[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != "0" ]; then
  echo "setup-system: missing Debian packages: ${need[*]}" >&2
  echo "setup-system: install them as root: apt-get install ${need[*]}" >&2
  exit 1
fi
echo "setup-system: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends "${need[@]}" >&2 \
  || { apt-get update >&2 && apt-get install -y --no-install-recommends "${need[@]}" >&2; }
