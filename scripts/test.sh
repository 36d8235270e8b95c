#!/usr/bin/env bash
# Sets everything up (idempotent) and runs the whole test suite:
# lint, type-check, unit tests and the integration tests against real dockerd, git and dlt.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

echo "==> lint"
npx eslint .
echo "==> type-check"
npx tsc --noEmit -p tsconfig.json

echo "==> tests"
report="$(mktemp -t sluice-vitest-XXXXXX.json)"
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?

# One plain closing line that any CI reader understands.
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' "$report" || true
rm -f "$report"
exit "$status"
