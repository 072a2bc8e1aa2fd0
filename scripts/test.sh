#!/usr/bin/env bash
# Every test: typecheck, lint, build, then unit + integration (real sshd/dockerd test servers, keychain, SQLite)
# + e2e (Chromium against web mode). Prints a closing "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh

echo "== typecheck"; npx tsc -b
echo "== lint"; npx eslint --max-warnings=0 .

# Tests must not write tracked files (doc screenshots are refreshed by scripts/screenshots.sh only): the docs'
# screenshots are fingerprinted before and after the run, so a checkout with local changes still works.
screens_state() { git ls-files -z --cached --others --exclude-standard -- docs/screenshots 2>/dev/null | xargs -0 -r sha256sum 2>&1 | sort; }
unset OPENPANEL_DOC_SCREENSHOTS
screens_before="$(screens_state)"

report="$(mktemp /tmp/openpanel-vitest.XXXXXX.json)"
set +e
bash scripts/with-keyring.sh npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@"
status=$?
set -e
if [ "$(screens_state)" != "$screens_before" ]; then
  echo "FAIL: the test run changed docs/screenshots (tests write under test-results/; use scripts/screenshots.sh):"
  diff <(echo "$screens_before") <(screens_state) || true
  status=1
fi
node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));
' "$report" || echo "0 passed, 1 failed"
exit $status
