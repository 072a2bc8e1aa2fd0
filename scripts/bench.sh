#!/usr/bin/env bash
# Benchmarks, each side by side with the obvious alternative in one run, printing ratios.
# Needs root (it brings up test servers in network namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || bash scripts/setup.sh
source scripts/env.sh
# Benchmarks that run the app's services need a Secret Service keychain, like the tests: the same private,
# throwaway gnome-keyring session (scripts/with-keyring.sh), never the user's own.
for b in bench/*.bench.ts; do
  echo "== $b"
  bash scripts/with-keyring.sh node "$b"
done
