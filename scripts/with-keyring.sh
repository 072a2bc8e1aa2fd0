#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with an unlocked GNOME Keyring (a real Secret Service),
# with HOME and XDG dirs in a throwaway folder so nothing lands in the real home.
# A watchdog keeps the keyring daemon alive and unlocked for as long as the command runs: if it ever goes
# away, D-Bus would start a locked one that asks for a password on a display there is none of.
set -euo pipefail
if [ -z "${OPENPANEL_KEYRING_READY:-}" ]; then
  tmp_home="$(mktemp -d /tmp/openpanel-home.XXXXXX)"
  export HOME="$tmp_home" XDG_DATA_HOME="$tmp_home/.local/share" XDG_CONFIG_HOME="$tmp_home/.config" XDG_CACHE_HOME="$tmp_home/.cache" XDG_RUNTIME_DIR="$tmp_home/run"
  mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
  export OPENPANEL_KEYRING_READY=1
  exec dbus-run-session -- bash "$0" "$@"
fi
if [ -z "${OPENPANEL_KEYRING_STARTED:-}" ] && [ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ]; then
  export OPENPANEL_KEYRING_STARTED=1
  owner_pid() { { dbus-send --session --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets 2>/dev/null || true; } | awk '/uint32/ {print $2}'; }
  start_keyring() {
    echo -n openpanel-test | gnome-keyring-daemon --replace --unlock --components=secrets >/dev/null 2>&1 || true
    ours=""
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      ours="$(owner_pid)"
      [ -n "$ours" ] && break
      sleep 0.2
    done
  }
  # Ours is alive and still the one serving secrets (not a locked one that D-Bus started in its place).
  keyring_alive() { [ -n "$ours" ] && [ "$(owner_pid)" = "$ours" ]; }
  ours=""
  start_keyring
  "$@" &
  cmd=$!
  # Bounded by the command's lifetime: one check a second.
  while kill -0 "$cmd" 2>/dev/null; do
    if ! keyring_alive; then
      echo "with-keyring: the keyring daemon went away; starting it again" >&2
      start_keyring
    fi
    sleep 1
  done
  wait "$cmd"
  exit $?
fi
exec "$@"
