#!/usr/bin/env bash
# A private three-node MariaDB Galera cluster on loopback for the cluster run (tests/cluster/),
# without systemd: Debian's mariadb-server and galera-4, data directories in a mktemp dir under
# /tmp, every port free on 127.0.0.1, no system service touched.
#
#   eval "$(tests/cluster/galera.sh start)"   # starts it; prints GALERA_DSN_1..3, WHMCS_DB_USER/PASS
#   tests/cluster/galera.sh env               # prints the exports of the running one
#   tests/cluster/galera.sh kill N            # SIGKILLs node N (1-3), as a crashed machine
#   tests/cluster/galera.sh rejoin N          # starts node N again: it rejoins (IST) and syncs
#   tests/cluster/galera.sh status            # each node's wsrep_local_state_comment and cluster size
#   tests/cluster/galera.sh stop              # shuts every node down and removes the files
#
# The nodes run with wsrep_retry_autocommit=0, the strictest setting: every certification
# conflict reaches the client, so the module's own retries are what the run shows.
# State lives in $GALERA_STATE (default /tmp/katapult-whmcs-galera.<uid>.env).
set -euo pipefail

STATE=${GALERA_STATE:-/tmp/katapult-whmcs-galera.$(id -u).env}
NODES=3
# shellcheck source=tests/whmcs/standin-database.sh
. "$(dirname "$0")/../whmcs/standin-database.sh"
PROVIDER=/usr/lib/galera/libgalera_smm.so
# As root the nodes run as Debian's mysql user: the rsync daemon of a state transfer started by
# root switches to nobody, who cannot write a root-owned data directory.
USER_OPT=()
if [[ $(id -u) -eq 0 ]]; then USER_OPT=(--user=mysql); fi

free_port() {
  php -r '$s = stream_socket_server("tcp://127.0.0.1:0"); $n = stream_socket_get_name($s, false); echo substr(strrchr($n, ":"), 1);'
}

load() {
  [[ -f $STATE ]] || { echo "galera: not running" >&2; exit 1; }
  # shellcheck disable=SC1090
  . "$STATE"
}

admin() { mariadb-admin --no-defaults --socket="$DIR/node$1/mysqld.sock" -uroot "${@:2}"; }
client() { mariadb --no-defaults --socket="$DIR/node$1/mysqld.sock" -uroot "${@:2}"; }

# The value of wsrep variable $2 on node $1, empty when it does not answer.
wsrep() { client "$1" -N -e "SHOW GLOBAL STATUS LIKE '$2'" 2>/dev/null | awk '{print $2}'; }

print_env() {
  load
  for n in $(seq 1 $NODES); do
    local port_var=SQL_PORT_$n
    echo "export GALERA_DSN_$n='mysql:host=127.0.0.1;port=${!port_var};dbname=${DB}'"
  done
  echo "export WHMCS_DB_USER='${DB_USER}'"
  echo "export WHMCS_DB_PASS='${DB_PASS}'"
}

# Starts node $1 in the background; extra mariadbd options follow (--wsrep-new-cluster).
launch() {
  local n=$1; shift
  local sql=SQL_PORT_$n gcomm=GCOMM_PORT_$n ist=IST_PORT_$n sst=SST_PORT_$n
  local peers=()
  for m in $(seq 1 $NODES); do local p=GCOMM_PORT_$m; peers+=("127.0.0.1:${!p}"); done
  local node_dir="$DIR/node$n"
  mariadbd --no-defaults "${USER_OPT[@]}" --datadir="$node_dir/data" --socket="$node_dir/mysqld.sock" \
    --pid-file="$node_dir/mysqld.pid" --tmpdir="$node_dir" --port="${!sql}" --bind-address=127.0.0.1 \
    --log-error="$node_dir/error.log" --innodb-buffer-pool-size=64M --innodb-log-file-size=32M \
    --binlog-format=ROW --default-storage-engine=InnoDB --innodb-autoinc-lock-mode=2 \
    --wsrep-on=ON --wsrep-provider="$PROVIDER" --wsrep-cluster-name=katapult-test \
    --wsrep-cluster-address="gcomm://$(IFS=,; echo "${peers[*]}")" \
    --wsrep-node-name="node$n" --wsrep-node-address="127.0.0.1:${!gcomm}" \
    --wsrep-provider-options="gmcast.listen_addr=tcp://127.0.0.1:${!gcomm};ist.recv_addr=127.0.0.1:${!ist};gcache.size=64M" \
    --wsrep-sst-method=rsync --wsrep-sst-receive-address="127.0.0.1:${!sst}" \
    --wsrep-retry-autocommit=0 --wsrep-slave-threads=2 "$@" >>"$node_dir/stdout.log" 2>&1 &
  local pid=$!
  sed -i "/^PID_$n=/d" "$STATE"
  printf 'PID_%s=%q\n' "$n" "$pid" >> "$STATE"
}

# Waits until node $1 is Synced with the cluster (a joiner receives its state first).
wait_synced() {
  local n=$1 pid_var=PID_$1
  load
  for _ in $(seq 1 600); do
    [[ $(wsrep "$n" wsrep_local_state_comment) == Synced ]] && return 0
    kill -0 "${!pid_var}" 2>/dev/null || { echo "galera: node $n stopped while starting" >&2; tail -30 "$DIR/node$n/error.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "galera: node $n did not sync in 60 s" >&2
  tail -30 "$DIR/node$n/error.log" >&2
  exit 1
}

start() {
  if [[ -f $STATE ]]; then stop >/dev/null 2>&1 || true; fi
  local dir
  dir=$(mktemp -d /tmp/katapult-whmcs-galera.XXXXXX)
  ((${#USER_OPT[@]})) && chown mysql: "$dir"
  printf 'DIR=%q\n' "$dir" > "$STATE"
  for n in $(seq 1 $NODES); do
    mkdir -p "$dir/node$n/data"
    ((${#USER_OPT[@]})) && chown -R mysql: "$dir/node$n"
    for kind in SQL GCOMM IST SST; do printf '%s_PORT_%s=%q\n' "$kind" "$n" "$(free_port)" >> "$STATE"; done
  done
  load
  # Node 1 gets the system tables, the database and its user, and shuts down cleanly; the others
  # start from copies of its data at the same position, so nobody needs a full state transfer.
  mariadb-install-db --no-defaults "${USER_OPT[@]}" --datadir="$dir/node1/data" --auth-root-authentication-method=normal \
    --skip-test-db >"$dir/install.log" 2>&1 || { cat "$dir/install.log" >&2; exit 1; }
  launch 1 --wsrep-new-cluster
  wait_synced 1
  standin_database_sql | client 1
  local pid=$PID_1
  admin 1 shutdown
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  for n in $(seq 2 $NODES); do cp -a "$dir/node1/data/." "$dir/node$n/data/"; done
  launch 1 --wsrep-new-cluster
  wait_synced 1
  for n in $(seq 2 $NODES); do
    launch "$n"
    wait_synced "$n"
  done
  print_env
}

kill_node() {
  local n=$1 pid_var=PID_$1
  load
  kill -9 "${!pid_var}" 2>/dev/null || true
  while kill -0 "${!pid_var}" 2>/dev/null; do sleep 0.05; done
}

# A crashed node rejoins from the position InnoDB recovered, so the others send it only what it
# missed (IST) rather than everything (SST).
rejoin() {
  local n=$1
  load
  local position
  mariadbd --no-defaults "${USER_OPT[@]}" --datadir="$DIR/node$n/data" --wsrep-on=ON --wsrep-provider="$PROVIDER" \
    --wsrep-cluster-address=gcomm:// --binlog-format=ROW --innodb-autoinc-lock-mode=2 --innodb-log-file-size=32M \
    --innodb-buffer-pool-size=64M --wsrep-recover --log-error="$DIR/node$n/recover.log" >/dev/null 2>&1 || true
  position=$(sed -n 's/.*WSREP: Recovered position: \([0-9a-f-]*:[0-9-]*\).*/\1/p' "$DIR/node$n/recover.log" 2>/dev/null | tail -1)
  launch "$n" ${position:+--wsrep-start-position="$position"}
  wait_synced "$n"
}

status() {
  load
  for n in $(seq 1 $NODES); do
    echo "node $n: $(wsrep "$n" wsrep_local_state_comment || true) (cluster size $(wsrep "$n" wsrep_cluster_size || true))"
  done
}

stop() {
  [[ -f $STATE ]] || { echo "galera: not running" >&2; return 0; }
  load
  for n in $(seq $NODES -1 1); do
    local pid_var=PID_$n
    local pid=${!pid_var:-}
    if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
      admin "$n" shutdown >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
  [[ -n ${DIR:-} && $DIR == /tmp/katapult-whmcs-galera.* ]] && rm -rf "$DIR"
  rm -f "$STATE"
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  env) print_env ;;
  status) status ;;
  kill) kill_node "${2:?node number}" ;;
  rejoin) rejoin "${2:?node number}" ;;
  *) echo "usage: $0 start|stop|env|status|kill N|rejoin N" >&2; exit 2 ;;
esac
