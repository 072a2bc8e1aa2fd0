#!/usr/bin/env bash
# Installs everything OpenPanel needs to build, run and test on Debian/Ubuntu, then builds it.
# Idempotent: only what is missing is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

DEBIAN_PACKAGES=(chromium gnome-keyring dbus-user-session dbus docker.io openssh-server openssh-client busybox-static iproute2 debootstrap sudo procps psmisc git openssl shellcheck age)
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  missing=()
  for p in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  fi
elif [ "$(id -u)" != 0 ]; then
  echo "setup: not root, skipping Debian packages (${DEBIAN_PACKAGES[*]}); the app runs without them, the tests need them" >&2
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
npx electron-vite build --logLevel warn >&2
