#!/usr/bin/env bash
# The cluster run (tests/cluster/cluster.php): a private three-node MariaDB Galera cluster
# (galera.sh, started for the run and stopped after), the simulator, and two web nodes.
#
#   tests/cluster/run.sh [--services=300] [--node-kill] [--races=60] [--seed=N] [--report=path]
#
# Prints the figures, writes them as JSON (default target/cluster/report.json), and exits non-zero
# when an invariant was violated.
set -euo pipefail
cd "$(dirname "$0")/../.."
export KATAPULT_EXT="${KATAPULT_EXT:-$PWD/target/release/libkatapult.so}"

work=$(mktemp -d)
export GALERA_STATE="$work/galera.env"
cleanup() {
  tests/cluster/galera.sh stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

started=$(date +%s)
eval "$(tests/cluster/galera.sh start)"
echo "cluster: Galera up in $(($(date +%s) - started)) s"
export WHMCS_ROOTDIR="$work/whmcs"
# This process checks from node 3; the web nodes use nodes 1 and 2.
export WHMCS_DB_DSN=$GALERA_DSN_3
port=$(php -r '$s = stream_socket_server("tcp://127.0.0.1:0"); echo substr(strrchr(stream_socket_get_name($s, false), ":"), 1);')
# The extension fixes the API URL when PHP starts: the simulator cluster.php starts listens there.
export KATAPULT_API_URL="http://127.0.0.1:$port/core/v1"
php -d extension="$KATAPULT_EXT" tests/cluster/cluster.php "$@"
