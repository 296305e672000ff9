#!/usr/bin/env bash
# The fault-and-crash soak (tests/soak/soak.php): a fresh stand-in WHMCS on SQLite, or with
# --mariadb on the private MariaDB (started for the run, and stopped after unless it was running).
#
#   tests/soak/run.sh [--mariadb] [--services=50] [--seed=N] [--fault-rounds=4] [--report=path]
#
# Prints the figures, writes them as JSON (default target/soak/report.json), and exits non-zero
# when an invariant was violated.
set -euo pipefail
cd "$(dirname "$0")/../.."
export KATAPULT_EXT="${KATAPULT_EXT:-$PWD/target/release/libkatapult.so}"

use_mariadb=0
args=()
for arg in "$@"; do
  case $arg in
    --mariadb) use_mariadb=1 ;;
    *) args+=("$arg") ;;
  esac
done

work=$(mktemp -d)
stop_mariadb=0
cleanup() {
  ((stop_mariadb)) && tests/whmcs/mariadb.sh stop >/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

export WHMCS_ROOTDIR="$work/whmcs"
if ((use_mariadb)); then
  tests/whmcs/mariadb.sh env >/dev/null 2>&1 || stop_mariadb=1
  eval "$(tests/whmcs/mariadb.sh start)"
else
  export WHMCS_DB_DSN="sqlite:$work/whmcs.sqlite"
fi

# The extension fixes the API URL when PHP starts: the simulator soak.php starts listens there.
port=$(php -r '$s = stream_socket_server("tcp://127.0.0.1:0"); echo substr(strrchr(stream_socket_get_name($s, false), ":"), 1);')
export KATAPULT_API_URL="https://127.0.0.1:$port/core/v1"
# Short time-outs, so the simulator's hangs (2.5 s) are time-outs; a short suspend grace.
php -d extension="$KATAPULT_EXT" -d katapult.ca_file="$work/ca.pem" -d katapult.timeout=2 \
  -d katapult.connect_timeout=1 -d katapult.suspend_grace=2 tests/soak/soak.php "${args[@]}"
