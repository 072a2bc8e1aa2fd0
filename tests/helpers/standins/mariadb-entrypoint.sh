#!/bin/bash
# Stand-in for the official mariadb image's entrypoint, built from Debian's mariadb-server (tests only): same
# environment (MARIADB_* or MYSQL_*), data directory /var/lib/mysql, port 3306; the first start initialises the
# data directory with a temporary server without networking, then the real server starts.
set -euo pipefail
if [ "${1:-}" = "" ] || [ "${1#-}" != "$1" ]; then set -- mariadbd "$@"; fi
if [ "$1" != mariadbd ] && [ "$1" != mysqld ]; then exec "$@"; fi
shift
DATADIR=/var/lib/mysql
mkdir -p "$DATADIR" /run/mysqld
chown -R mysql:mysql "$DATADIR" /run/mysqld
ROOTPW=${MARIADB_ROOT_PASSWORD:-${MYSQL_ROOT_PASSWORD:-}}
DB=${MARIADB_DATABASE:-${MYSQL_DATABASE:-}}
APPUSER=${MARIADB_USER:-${MYSQL_USER:-}}
APPPW=${MARIADB_PASSWORD:-${MYSQL_PASSWORD:-}}
ROOTHOST=${MARIADB_ROOT_HOST:-${MYSQL_ROOT_HOST:-%}}
if [ ! -d "$DATADIR/mysql" ]; then
  if [ -z "$ROOTPW" ] && [ -z "${MARIADB_ALLOW_EMPTY_ROOT_PASSWORD:-}" ]; then
    echo "error: database is uninitialized and MARIADB_ROOT_PASSWORD is not set" >&2
    exit 1
  fi
  mariadb-install-db --user=mysql --datadir="$DATADIR" --skip-test-db --auth-root-authentication-method=normal > /dev/null
  mariadbd --user=mysql --datadir="$DATADIR" --skip-networking --socket=/run/mysqld/init.sock &
  PID=$!
  up=0
  for _ in $(seq 120); do
    if mariadb --protocol=socket -S /run/mysqld/init.sock -uroot -e 'select 1' > /dev/null 2>&1; then up=1; break; fi
    sleep 0.5
  done
  if [ $up = 0 ]; then echo "error: the init server did not start" >&2; exit 1; fi
  esc() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e "s/'/\\\\'/g"; }
  ident() { printf '%s' "$1" | sed -e 's/`/``/g'; }
  {
    echo "SET @@SESSION.SQL_LOG_BIN=0;"
    # As the official entrypoint: only root@localhost (and root@ROOTHOST below) remain.
    echo "DROP USER IF EXISTS root@'127.0.0.1', root@'::1';"
    echo "EXECUTE IMMEDIATE CONCAT('DROP USER IF EXISTS root@\\'', @@hostname, '\\'');"
    echo "ALTER USER 'root'@'localhost' IDENTIFIED BY '$(esc "$ROOTPW")';"
    if [ "$ROOTHOST" != localhost ]; then
      echo "CREATE USER 'root'@'$(esc "$ROOTHOST")' IDENTIFIED BY '$(esc "$ROOTPW")';"
      echo "GRANT ALL ON *.* TO 'root'@'$(esc "$ROOTHOST")' WITH GRANT OPTION;"
    fi
    if [ -n "$DB" ]; then echo "CREATE DATABASE IF NOT EXISTS \`$(ident "$DB")\`;"; fi
    if [ -n "$APPUSER" ]; then
      echo "CREATE USER '$(esc "$APPUSER")'@'%' IDENTIFIED BY '$(esc "$APPPW")';"
      if [ -n "$DB" ]; then echo "GRANT ALL ON \`$(ident "$DB")\`.* TO '$(esc "$APPUSER")'@'%';"; fi
    fi
    echo "FLUSH PRIVILEGES;"
  } | mariadb --protocol=socket -S /run/mysqld/init.sock -uroot
  kill "$PID"
  wait "$PID" || true
fi
exec mariadbd --user=mysql --datadir="$DATADIR" --bind-address=0.0.0.0 --port=3306 --skip-name-resolve "$@"
