#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with an unlocked GNOME Keyring (a real Secret Service),
# with HOME and XDG dirs in a throwaway folder so nothing lands in the real home.
# If the daemon ever goes away, D-Bus starts it again unlocked on the same keyring (see the service file below).
set -euo pipefail
if [ -z "${OPENPANEL_KEYRING_READY:-}" ]; then
  tmp_home="$(mktemp -d /tmp/openpanel-home.XXXXXX)"
  export HOME="$tmp_home" XDG_DATA_HOME="$tmp_home/.local/share" XDG_CONFIG_HOME="$tmp_home/.config" XDG_CACHE_HOME="$tmp_home/.cache" XDG_RUNTIME_DIR="$tmp_home/run"
  mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
  # Should the daemon ever go away, D-Bus starts the Secret Service again on the next request: from this file
  # (the session bus looks in $XDG_DATA_HOME first), as an unlocked daemon on the same keyring, instead of the
  # system's locked one, which would ask for the password on a display there is none of.
  mkdir -p "$XDG_DATA_HOME/dbus-1/services"
  cat > "$XDG_DATA_HOME/dbus-1/services/org.freedesktop.secrets.service" <<'EOS'
[D-BUS Service]
Name=org.freedesktop.secrets
Exec=/bin/sh -c 'printf %s openpanel-test | exec /usr/bin/gnome-keyring-daemon --foreground --unlock --components=secrets'
EOS
  export OPENPANEL_KEYRING_READY=1
  exec dbus-run-session -- bash "$0" "$@"
fi
if [ -z "${OPENPANEL_KEYRING_STARTED:-}" ] && [ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ]; then
  export OPENPANEL_KEYRING_STARTED=1
  echo -n openpanel-test | gnome-keyring-daemon --replace --unlock --components=secrets >/dev/null 2>&1 || true
fi
exec "$@"
