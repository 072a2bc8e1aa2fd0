#!/usr/bin/env bash
# Benchmarks, each side by side with the obvious alternative in one run, printing ratios.
# Needs root (it brings up test servers in network namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || bash scripts/setup.sh
source scripts/env.sh
for b in bench/*.bench.ts; do
  echo "== $b"
  node "$b"
done
