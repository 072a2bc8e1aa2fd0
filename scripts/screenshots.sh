#!/usr/bin/env bash
# Refreshes the screenshots the docs show (docs/screenshots): builds the app and runs the e2e tests with
# OPENPANEL_DOC_SCREENSHOTS set, so docScreenshot() copies into docs/. Ordinary test runs never write there.
# Extra arguments go to vitest (e.g. one test file).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
npx electron-vite build
export OPENPANEL_DOC_SCREENSHOTS="$PWD/docs/screenshots"
bash scripts/with-keyring.sh npx vitest run --project e2e "$@"
git status --short -- docs/screenshots 2>/dev/null || true
