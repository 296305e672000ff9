#!/usr/bin/env bash
# TEST STAND-IN for proprietary WHMCS: a private MariaDB for the stand-in, without systemd.
#
#   eval "$(tests/whmcs/mariadb.sh start)"   # starts (or reuses) it, prints WHMCS_DB_* exports
#   tests/whmcs/mariadb.sh env               # prints the exports of the running one
#   tests/whmcs/mariadb.sh stop              # shuts it down and removes its files
#
# State lives in $MARIADB_STANDIN_STATE (default /tmp/katapult-whmcs-mariadb.<uid>.env), so `stop`
# finds what `start` started. Data dir, socket and logs are in a mktemp dir under /tmp.
set -euo pipefail

STATE=${MARIADB_STANDIN_STATE:-/tmp/katapult-whmcs-mariadb.$(id -u).env}
# shellcheck source=tests/whmcs/standin-database.sh
. "$(dirname "$0")/standin-database.sh"

print_env() {
  # shellcheck disable=SC1090
  . "$STATE"
  echo "export WHMCS_DB_DSN='mysql:host=127.0.0.1;port=${PORT};dbname=${DB}'"
  echo "export WHMCS_DB_USER='${DB_USER}'"
  echo "export WHMCS_DB_PASS='${DB_PASS}'"
  echo "export WHMCS_DB_SOCKET='${DIR}/mysqld.sock'"
}

running() {
  [[ -f $STATE ]] || return 1
  # shellcheck disable=SC1090
  . "$STATE"
  [[ -n ${PID:-} ]] && kill -0 "$PID" 2>/dev/null && mariadb-admin --no-defaults --socket="$DIR/mysqld.sock" -uroot ping >/dev/null 2>&1
}

free_port() {
  php -r '$s = stream_socket_server("tcp://127.0.0.1:0"); $n = stream_socket_get_name($s, false); echo substr(strrchr($n, ":"), 1);'
}

start() {
  if running; then print_env; return; fi
  [[ -f $STATE ]] && stop >/dev/null 2>&1 || true
  local dir port user_opt=()
  dir=$(mktemp -d /tmp/katapult-whmcs-mariadb.XXXXXX)
  port=$(free_port)
  if [[ $(id -u) -eq 0 ]]; then user_opt=(--user=root); fi
  mariadb-install-db --no-defaults "${user_opt[@]}" --datadir="$dir/data" --auth-root-authentication-method=normal \
    --skip-test-db >"$dir/install.log" 2>&1 || { cat "$dir/install.log" >&2; rm -rf "$dir"; exit 1; }
  mariadbd --no-defaults "${user_opt[@]}" --datadir="$dir/data" --socket="$dir/mysqld.sock" --pid-file="$dir/mysqld.pid" \
    --tmpdir="$dir" --port="$port" --bind-address=127.0.0.1 --skip-log-bin --innodb-buffer-pool-size=64M \
    --log-error="$dir/error.log" >/dev/null 2>&1 &
  local pid=$!
  printf 'DIR=%q\nPORT=%q\nPID=%q\n' "$dir" "$port" "$pid" > "$STATE"
  for _ in $(seq 1 100); do
    mariadb-admin --no-defaults --socket="$dir/mysqld.sock" -uroot ping >/dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || { cat "$dir/error.log" >&2; exit 1; }
    sleep 0.05
  done
  standin_database_sql | mariadb --no-defaults --socket="$dir/mysqld.sock" -uroot
  print_env
}

stop() {
  [[ -f $STATE ]] || { echo "not running" >&2; return 0; }
  # shellcheck disable=SC1090
  . "$STATE"
  if [[ -n ${PID:-} ]] && kill -0 "$PID" 2>/dev/null; then
    mariadb-admin --no-defaults --socket="$DIR/mysqld.sock" -uroot shutdown >/dev/null 2>&1 || kill "$PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.05; done
  fi
  [[ -n ${DIR:-} && $DIR == /tmp/katapult-whmcs-mariadb.* ]] && rm -rf "$DIR"
  rm -f "$STATE"
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  env) running && print_env || { echo "not running" >&2; exit 1; } ;;
  *) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
