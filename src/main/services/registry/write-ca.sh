#!/bin/sh
# The registry's CA root for dockerd: /etc/docker/certs.d/<host:port>/ca.crt (read per pull, no restart).
# $1 = host:port (checked by the app), $2 = write (CA on stdin) | check (CA on stdin) | remove.
set -eu
[ "$(id -u)" = 0 ] || exit 13
dir="/etc/docker/certs.d/$1"
case "$2" in
  write)
    mkdir -p -- "$dir"
    chmod 0755 -- "$dir"
    tmp="$dir/.ca.crt.$$"
    cat > "$tmp"
    chmod 0644 -- "$tmp"
    mv -f -- "$tmp" "$dir/ca.crt"
    ;;
  check)
    [ -f "$dir/ca.crt" ] || { echo "missing: $dir/ca.crt"; exit 1; }
    cmp -s - "$dir/ca.crt" || { echo "another CA is in $dir/ca.crt"; exit 1; }
    ;;
  remove)
    rm -f -- "$dir/ca.crt"
    rmdir -- "$dir" 2>/dev/null || true
    ;;
  *) echo "unknown operation $2" >&2; exit 2 ;;
esac
