#!/usr/bin/env bash
# One command: set up, build and start OpenPanel. The desktop app where Electron can run,
# otherwise web mode on loopback (prints the URL to open). Extra arguments go to `openpanel web`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
electron_bin="$(node -e 'try{process.stdout.write(require("electron"))}catch{}' 2>/dev/null || true)"
if [ -z "${OPENPANEL_WEB:-}" ] && [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -n "$electron_bin" ] && [ -x "$electron_bin" ]; then
  exec npx electron-vite preview
fi
echo "Starting OpenPanel in web mode (no Electron binary or display here)." >&2
exec node bin/openpanel.mjs web "$@"
