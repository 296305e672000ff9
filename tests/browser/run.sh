#!/usr/bin/env bash
# The Katapult client area in a real browser: starts the Katapult simulator (HTTPS, its own CA),
# a scratch WHMCS stand-in on SQLite with one client whose VM order was accepted (CreateAccount),
# the stand-in's web front (PHP's built-in server on loopback, with the katapult extension), the
# WHMCS cron every second, and runs test.js (Debian's headless Chromium driven by playwright-core).
# Cleans everything up, even on failure or Ctrl-C. Exit status 0 only when every step passed;
# the last line is "browser: N passed, N failed".
#
# Env (all optional):
#   WHMCS_MODULE_DIR     the module to test (default: the repository's module/)
#   BROWSER_SIM_SPEED    the simulator's --build-speed (default realtime: build ~30 s, boot ~5 s,
#                        power tasks ~6 s, whatever the page and the cron poll; poll:N counts GETs)
#   BROWSER_OUT          screenshots and logs (default target/browser)
#   KATAPULT_EXT, KATAPULT_SIM, CHROMIUM   the extension, simulator and browser binaries
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

EXT=${KATAPULT_EXT:-$ROOT/target/release/libkatapult.so}
SIM=${KATAPULT_SIM:-$ROOT/target/release/katapult-sim}
MODULE_DIR=${WHMCS_MODULE_DIR:-$ROOT/module}
SPEED=${BROWSER_SIM_SPEED:-realtime}
OUT=${BROWSER_OUT:-$ROOT/target/browser}
export CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

work=$(mktemp -d "${TMPDIR:-/tmp}/katapult-browser.XXXXXX")
sim_pid=''
web_pid=''
cron_pid=''

# Ends one process this script started, by its id (web: its own process group, for the
# built-in server's worker processes).
stop_process() {
  local pid=$1 group=${2:-}
  [[ -n $pid ]] || return 0
  if [[ -n $group ]]; then kill -TERM -- "-$pid" 2>/dev/null; else kill -TERM "$pid" 2>/dev/null; fi
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if [[ -n $group ]]; then kill -KILL -- "-$pid" 2>/dev/null; else kill -KILL "$pid" 2>/dev/null; fi
  wait "$pid" 2>/dev/null
  return 0
}

cleanup() {
  [[ -d $work ]] || return 0
  touch "$work/stop-cron"   # the cron loop ends after its current run
  for _ in $(seq 1 100); do
    [[ -n $cron_pid ]] && kill -0 "$cron_pid" 2>/dev/null || break
    sleep 0.1
  done
  stop_process "$cron_pid"; cron_pid=''
  stop_process "$web_pid" group; web_pid=''
  stop_process "$sim_pid"; sim_pid=''
  mkdir -p "$OUT/logs"
  for log in sim.out sim.err setup.log web.log cron.log; do
    [[ -f $work/$log ]] && cp "$work/$log" "$OUT/logs/$log"
  done
  rm -rf "$work"
}

# Prints the summary as the last line and exits.
finish() {
  local passed=$1 failed=$2
  cleanup
  echo "browser: $passed passed, $failed failed"
  ((failed == 0 && passed > 0)) && exit 0
  exit 1
}

# A failure before the browser steps: say why, show the logs' tails, count one failure.
setup_failed() {
  echo "browser: set-up failed: $*" >&2
  for log in sim.err setup.log web.log cron.log; do
    if [[ -s $work/$log ]]; then
      echo "---- $log (last lines)" >&2
      tail -n 15 "$work/$log" >&2
    fi
  done
  finish 0 1
}

trap cleanup EXIT
trap 'echo "browser: interrupted" >&2; finish 0 1' INT TERM

# ---- what the run needs
command -v node >/dev/null || setup_failed "node is missing (tests/tools/install-deps.sh)"
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' \
  || setup_failed "playwright-core needs Node.js 20 or later; this is $(node --version)"
[[ -x $CHROMIUM ]] || setup_failed "$CHROMIUM is missing (apt-get install chromium; tests/tools/install-deps.sh)"
[[ -f $EXT ]] || setup_failed "$EXT is missing (make build)"
[[ -x $SIM ]] || setup_failed "$SIM is missing (make build)"
[[ -f $MODULE_DIR/katapult.php ]] || setup_failed "no katapult.php in $MODULE_DIR"
if [[ ! -f tests/browser/node_modules/playwright-core/package.json || ! -f tests/browser/node_modules/bootstrap/package.json
      || tests/browser/package-lock.json -nt tests/browser/node_modules/.package-lock.json ]]; then
  echo "browser: npm ci in tests/browser"
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error) > "$work/npm.log" 2>&1 \
    || { cat "$work/npm.log" >&2; setup_failed "npm ci failed"; }
fi
mkdir -p "$OUT"
rm -f "$OUT"/*.png "$OUT"/failure*.html

# ---- the Katapult simulator (HTTPS with its own CA)
source tests/tools/simulator.sh
KATAPULT_SIM="$SIM" start_simulator "$work" "$SPEED" || setup_failed "the simulator did not start"
sim_root=${api_url%/core/v1}
echo "browser: simulator $api_url (build speed $SPEED)"

# ---- the WHMCS stand-in: scratch root and database, shared by setup, web server and cron
port=$(php -r '$s = stream_socket_server("tcp://127.0.0.1:0"); echo substr(strrchr(stream_socket_get_name($s, false), ":"), 1);')
base_url="http://127.0.0.1:$port"
export WHMCS_DB_DSN="sqlite:$work/whmcs.sqlite"
export WHMCS_ROOTDIR="$work/whmcs"
export WHMCS_MODULE_DIR="$MODULE_DIR"
export KATAPULT_API_URL="$api_url"
export KATAPULT_SIM_CA="$work/ca.pem"
php_ext=(-d "extension=$EXT" -d "katapult.ca_file=$work/ca.pem")

setup_json=$(BROWSER_BASE_URL="$base_url" php "${php_ext[@]}" tests/browser/setup.php 2> "$work/setup.log" | tail -n 1)
service_id=$(printf '%s' "$setup_json" | php -r '$j = json_decode(stream_get_contents(STDIN), true); echo $j["serviceId"] ?? "";')
[[ -n $service_id ]] || { printf '%s\n' "$setup_json" >> "$work/setup.log"; setup_failed "tests/browser/setup.php failed"; }
email=$(printf '%s' "$setup_json" | php -r 'echo json_decode(stream_get_contents(STDIN), true)["email"];')
password=$(printf '%s' "$setup_json" | php -r 'echo json_decode(stream_get_contents(STDIN), true)["password"];')
echo "browser: service $service_id ordered and provisioning (CreateAccount), module $MODULE_DIR"

# ---- the web front (its own process group: the built-in server forks workers)
setsid env PHP_CLI_SERVER_WORKERS=4 php "${php_ext[@]}" -S "127.0.0.1:$port" -t "$WHMCS_ROOTDIR" \
  tests/whmcs/web/router.php > "$work/web.log" 2>&1 &
web_pid=$!
for _ in $(seq 1 100); do
  [[ $(curl -s -o /dev/null -w '%{http_code}' "$base_url/login.php") == 200 ]] && break
  sleep 0.1
done
[[ $(curl -s -o /dev/null -w '%{http_code}' "$base_url/login.php") == 200 ]] || setup_failed "the web front did not answer on $base_url"
echo "browser: WHMCS stand-in web front $base_url"

# ---- the WHMCS cron, every second
(
  while [[ ! -e $work/stop-cron ]]; do
    php "${php_ext[@]}" tests/whmcs/cron.php --module="$MODULE_DIR" >> "$work/cron.log" 2>&1
    sleep 1
  done
) &
cron_pid=$!

# ---- the browser
BROWSER_BASE_URL="$base_url" BROWSER_SERVICE_ID="$service_id" BROWSER_CLIENT_EMAIL="$email" \
BROWSER_CLIENT_PASSWORD="$password" KATAPULT_SIM_ROOT="$sim_root" BROWSER_OUT="$OUT" BROWSER_SETUP="$setup_json" \
BROWSER_RESULT="$work/result.txt" timeout 900 node tests/browser/test.js
node_status=$?

read -r passed failed < "$work/result.txt" 2>/dev/null || { passed=0; failed=1; }
if ((node_status != 0 && failed == 0)); then
  failed=1
fi
if ((failed > 0)); then
  for log in web.log cron.log; do
    if [[ -s $work/$log ]]; then
      echo "---- $log (last lines; all logs in $OUT/logs)"
      grep -v -E ' (Accepted|Closing)$' "$work/$log" | tail -n 20
    fi
  done
fi
finish "$passed" "$failed"
