#!/usr/bin/env bash
# Sets everything up (idempotent) and runs the whole test suite:
# lint, type-check, unit tests, the integration tests against real dockerd, git and dlt, and the
# Kubernetes tests against a real single-node cluster built here (scripts/cluster.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

echo "==> lint"
npx eslint .
echo "==> type-check"
npx tsc --noEmit -p tsconfig.json

echo "==> tests"
report="$(mktemp -t sluice-vitest-XXXXXX.json)"
kreport="$(mktemp -t sluice-vitest-k8s-XXXXXX.json)"
status=0
npx vitest run --project unit --project integration --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?

# After the rest, so its build (5 min cold, 2 cores) never competes with timing-sensitive tests:
# the Kubernetes suite against a real single-node cluster (scripts/cluster.sh; the build is cached
# per version outside the checkout, the tests start the cluster), then the cluster is stopped.
echo "==> Kubernetes tests (real cluster: scripts/cluster.sh)"
# the cluster's state outlives a run: a suite killed mid-way leaves its daemons' pods (their homes gone)
if bash scripts/cluster.sh up; then bash scripts/cluster.sh sweep || status=$?; else status=1; fi
npx vitest run --project kubernetes --passWithNoTests --reporter=default --reporter=json --outputFile.json="$kreport" "$@" || status=$?
bash scripts/cluster.sh down >/dev/null 2>&1 || true

# One plain closing line that any CI reader understands.
node -e '
  const fs = require("fs");
  const sum = { passed: 0, failed: 0, skipped: 0 };
  for (const file of process.argv.slice(1)) {
    if (!fs.existsSync(file) || fs.statSync(file).size === 0) continue;
    const r = JSON.parse(fs.readFileSync(file, "utf8"));
    sum.passed += r.numPassedTests;
    sum.failed += r.numFailedTests;
    sum.skipped += r.numPendingTests + r.numTodoTests;
  }
  console.log(`tests: ${sum.passed} passed, ${sum.failed} failed, ${sum.skipped} skipped`);
' "$report" "$kreport" || true
rm -f "$report" "$kreport"
exit "$status"
