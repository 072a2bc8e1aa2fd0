#!/bin/sh
# Stand-in for the official redis image's entrypoint, built from Debian's redis-server (tests only): arguments
# starting with - (or a .conf file) go to redis-server; the server runs as the redis user in /data after the data
# is chowned to it; protected mode is off when no config file is given (the official build's default).
set -e
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then set -- redis-server "$@"; fi
if [ "$1" = redis-server ]; then
  shift
  case "${1:-}" in *.conf) ;; *) set -- --protected-mode no "$@" ;; esac
  set -- redis-server "$@"
  if [ "$(id -u)" = 0 ]; then
    find . \! -user redis -exec chown redis '{}' +
    exec setpriv --reuid=redis --regid=redis --clear-groups "$@"
  fi
fi
exec "$@"
