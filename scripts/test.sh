#!/usr/bin/env bash
# The project's one test command (README: `npm ci && npm test`; .ci/run calls it).
# It installs what the tests need (Debian packages), builds, lints, then runs every tier:
#   unit (small, next to the code) -> medium (real Orthanc, real SQLite) -> e2e (real Chromium)
#   -> training (Python/PyTorch, its own tests).
# Each tier's Orthanc instances are started by the tests themselves on free loopback ports.
set -uo pipefail
cd "$(dirname "$0")/.."
export ONNXRUNTIME_NODE_INSTALL=skip
out=.var/test-results
rm -rf "$out"; mkdir -p "$out" test-artifacts

bash scripts/setup-system.sh test || exit 1

step() { echo; echo "== $*"; }
fail=0

step "lint";      npx eslint . || fail=1
step "typecheck"; npx tsc -p tsconfig.json --noEmit || fail=1
step "build";     npm run -s build || fail=1

for tier in unit medium e2e; do
  step "vitest $tier"
  npx vitest run --project "$tier" --reporter=default --reporter=json --outputFile="$out/vitest-$tier.json" || fail=1
done

step "training (pytest)"
(cd training && /usr/bin/python3 -m pytest -q -p no:cacheprovider --junitxml="../$out/pytest-training.xml") || fail=1

step "summary"
node scripts/test-summary.mjs "$out" || fail=1
exit $fail
