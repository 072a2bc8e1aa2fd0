#!/usr/bin/env bash
# Every test: typecheck, lint, build, then unit + integration (real sshd/dockerd test servers, keychain, SQLite)
# + e2e (Chromium against web mode). Prints a closing "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh

echo "== typecheck"; npx tsc -b
echo "== lint"; npx eslint --max-warnings=0 .

report="$(mktemp /tmp/openpanel-vitest.XXXXXX.json)"
set +e
bash scripts/with-keyring.sh npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@"
status=$?
set -e
node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));
' "$report" || echo "0 passed, 1 failed"
exit $status
