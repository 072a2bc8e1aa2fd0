#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with an unlocked GNOME Keyring (a real Secret Service),
# with HOME and XDG dirs in a throwaway folder so nothing lands in the real home.
set -euo pipefail
if [ -z "${OPENPANEL_KEYRING_READY:-}" ]; then
  tmp_home="$(mktemp -d /tmp/openpanel-home.XXXXXX)"
  export HOME="$tmp_home" XDG_DATA_HOME="$tmp_home/.local/share" XDG_CONFIG_HOME="$tmp_home/.config" XDG_CACHE_HOME="$tmp_home/.cache" XDG_RUNTIME_DIR="$tmp_home/run"
  mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
  export OPENPANEL_KEYRING_READY=1
  exec dbus-run-session -- bash -c 'echo -n openpanel-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1; exec "$@"' bash "$@"
fi
exec "$@"
