#!/usr/bin/env bash
# `make demo`: the module's main job on the embedded default. Starts the Katapult API simulator
# (HTTPS, its own CA) on loopback, and runs an order through the module inside the WHMCS stand-in
# on SQLite: product setup, the order accepted (CreateAccount), the cron until the VM is built, the service as WHMCS
# sees it.
set -euo pipefail
cd "$(dirname "$0")/../.."

# KATAPULT_EXT= (empty) runs it on the extension PHP's own configuration loads (an installed
# release, tests/dist); WHMCS_MODULE_DIR names the module files to load (default module/).
EXT=${KATAPULT_EXT-$PWD/target/release/libkatapult.so}
export WHMCS_MODULE_DIR=${WHMCS_MODULE_DIR:-$PWD/module}
SIM="$PWD/target/release/katapult-sim"
work=$(mktemp -d)
trap 'kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; rm -rf "$work"' EXIT

source tests/tools/simulator.sh
KATAPULT_SIM="$SIM" start_simulator "$work" "${KATAPULT_DEMO_SPEED:-fast}" \
  || { echo "the simulator did not start:"; cat "$work/sim.err"; exit 1; }
echo "Katapult API simulator: $api_url (HTTPS, CA in katapult.ca_file)"

export KATAPULT_API_URL="$api_url" WHMCS_DB_DSN="sqlite:$work/whmcs.sqlite" WHMCS_ROOTDIR="$work/whmcs"
php_ext=(-d "katapult.ca_file=$work/ca.pem")
if [[ -n $EXT ]]; then php_ext+=(-d "extension=$EXT"); fi
KATAPULT_DEMO_SERVICE_FILE="$work/service" php "${php_ext[@]}" tests/demo/provision.php

# The client area, served on loopback until interrupted (KATAPULT_DEMO_SERVE=0 skips it).
[[ ${KATAPULT_DEMO_SERVE:-1} == 0 ]] && exit 0
if [[ ! -f tests/browser/node_modules/bootstrap/package.json ]]; then
  # The stand-in's theme (Bootstrap 4, as WHMCS's twenty-one) comes from npm; without it the
  # page still works, unstyled.
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error) > "$work/npm.log" 2>&1 \
    || echo "(npm ci failed: the client area is served without its theme's stylesheet)"
fi
port=${KATAPULT_DEMO_PORT:-8080}
if ! php -r 'exit(@stream_socket_server("tcp://127.0.0.1:'"$port"'") ? 0 : 1);'; then
  port=$(php -r '$s = stream_socket_server("tcp://127.0.0.1:0"); echo substr(strrchr(stream_socket_get_name($s, false), ":"), 1);')
fi
service=$(cat "$work/service")
setsid env PHP_CLI_SERVER_WORKERS=4 php "${php_ext[@]}" -S "127.0.0.1:$port" \
  -t "$WHMCS_ROOTDIR" tests/whmcs/web/router.php > "$work/web.log" 2>&1 &
web_pid=$!
# Ctrl-C: the web server (its own session, with its workers) and the simulator end before this does.
stop_all() {
  kill -- -"$web_pid" 2>/dev/null || true
  kill "$sim_pid" 2>/dev/null || true
  # The built-in server's workers are not our children: wait until its whole group is gone.
  for _ in $(seq 1 50); do
    kill -0 -- -"$web_pid" 2>/dev/null || break
    sleep 0.1
  done
  wait 2>/dev/null
  rm -rf "$work"
}
trap stop_all EXIT
for _ in $(seq 1 100); do
  php -r 'exit(@fsockopen("127.0.0.1", '"$port"') ? 0 : 1);' && break
  sleep 0.1
done
cat <<EOM

== The client area, served by the WHMCS stand-in (PHP's built-in server) on loopback
   URL:       http://127.0.0.1:$port/clientarea.php?action=productdetails&id=$service
   log in as: ada@example.test / demo-password
   The panel shows the VM live; Stop, Start, Restart and the console work against the
   simulator. (From another machine: ssh -L $port:127.0.0.1:$port this-host, then open the URL.)
   Press Ctrl-C to stop.
EOM
wait "$web_pid"
