#!/usr/bin/env bash
# `make bench` (issue 6): ours (the katapult extension) against the PHP reference
# (tests/bench/reference, the PHP module's way), measured side by side in one run, on this machine:
#   1. the client-area product page of a built VM, served by a private php-fpm behind a private
#      nginx (loopback), the WHMCS stand-in's web front as the app, the simulator on HTTPS with
#      2 ms latency, loaded with wrk at concurrencies 1, 4, 16; the simulator's own VM GET;
#   2. the build sync: 1,000 pending builds, 50 ms latency, one cron run, with the simulator's rate
#      limit lifted, then with the real one (1,000 requests a minute) over two runs;
#   3. footprint: PHP start-up with the extension (hyperfine), RSS a php-fpm worker gains, RSS growth
#      over 10,000 page requests in one worker;
#   4. the profile: where our page's own work goes (perf, DWARF call graphs, katapult_ClientArea
#      4,000 times at zero latency); `make profile` runs this part alone.
# Prints every figure as a table and writes them as JSON to target/bench/ (latest.json, and one
# file per run). Never fails on a timing; exits non-zero only when a step could not run.
# See BENCHMARKS.md. Takes about 10 minutes on 2 cores.
#
# Env (all optional): BENCH_PAGE_SECONDS (4), BENCH_PAGE_REPS (3), BENCH_CONCURRENCY ("1 4 16"),
# BENCH_SYNC_BUILDS (1000), BENCH_SYNC_REPS (3, ours' lifted runs), BENCH_LEAK_REQUESTS (10000),
# BENCH_PROFILE_CALLS (4000), BENCH_OWN_COST_ROUNDS (200 a rep; see own-cost.php),
# BENCH_SKIP ("page profile sync limited footprint": the parts to leave out), BENCH_OUT (target/bench),
# KATAPULT_EXT, KATAPULT_SIM.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

EXT_SRC=${KATAPULT_EXT:-$ROOT/target/release/libkatapult.so}
SIM_SRC=${KATAPULT_SIM:-$ROOT/target/release/katapult-sim}
OUT=${BENCH_OUT:-$ROOT/target/bench}
PAGE_SECONDS=${BENCH_PAGE_SECONDS:-4}
PAGE_REPS=${BENCH_PAGE_REPS:-3}
CONCURRENCY=${BENCH_CONCURRENCY:-1 4 16}
SYNC_BUILDS=${BENCH_SYNC_BUILDS:-1000}
SYNC_REPS=${BENCH_SYNC_REPS:-3}
LEAK_REQUESTS=${BENCH_LEAK_REQUESTS:-10000}
PROFILE_CALLS=${BENCH_PROFILE_CALLS:-4000}
OWN_COST_ROUNDS=${BENCH_OWN_COST_ROUNDS:-200}
SKIP=" ${BENCH_SKIP:-} "
PAGE_LATENCY_MS=2
SYNC_LATENCY_MS=50
FPM_WORKERS=4
SESSIONS=32

log() { echo "bench: $*" >&2; }
started_at=$(date +%s)

# ---- packages (Debian 12), installed when missing; no system service is started by it
packages=(php-cli php8.2-fpm php-curl php-sqlite3 php-mbstring php-xml php-illuminate-database
  php-guzzlehttp-guzzle smarty4 nginx wrk hyperfine curl linux-perf)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    log "missing Debian packages: ${missing[*]} (as root: apt-get install -y ${missing[*]})"
    exit 1
  fi
  log "installing ${missing[*]}"
  # Packages such as nginx start their system service when installed: a policy-rc.d that says no,
  # for the time of the install only (unless the machine has its own), keeps them stopped.
  policy=''
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && policy=/usr/sbin/policy-rc.d
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  status=$?
  [[ -n $policy ]] && rm -f "$policy"
  ((status == 0)) || { log "apt-get install failed"; exit 1; }
fi
FPM_BIN=$(command -v php-fpm8.2 || ls /usr/sbin/php-fpm8.2 2>/dev/null)
NGINX_BIN=$(command -v nginx || ls /usr/sbin/nginx 2>/dev/null)
[[ -x $FPM_BIN && -x $NGINX_BIN ]] || { log "php-fpm8.2 or nginx not found"; exit 1; }

# ---- scratch space; everything started here is stopped on exit
work=$(mktemp -d "${TMPDIR:-/tmp}/katapult-bench.XXXXXX")
res=$work/results
mkdir -p "$res" "$work/logs" "$OUT"
declare -A pids=()

stop_pid() {
  local pid=$1
  [[ -n $pid ]] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return 0
}

stop() {
  local name=$1
  stop_pid "${pids[$name]:-}"
  unset "pids[$name]"
}

cleanup() {
  local name
  for name in "${!pids[@]}"; do stop "$name"; done
  if [[ -d $work ]]; then
    rm -rf "$OUT/logs" && mkdir -p "$OUT/logs"
    cp "$work"/logs/* "$OUT/logs/" 2>/dev/null
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'log "interrupted"; exit 1' INT TERM

# A step that could not run: say why, show the log's tail, stop.
die() {
  log "$1"
  [[ -n ${2:-} && -s $2 ]] && tail -n 20 "$2" >&2
  exit 1
}

skipped() { [[ $SKIP == *" $1 "* ]]; }

# How long each part took (for the report).
phase_started=$(date +%s)
phase() {
  local now
  now=$(date +%s)
  echo "$1 $((now - phase_started))" >> "$res/phases"
  phase_started=$now
}

free_port() {
  php -r '$s = stream_socket_server("tcp://127.0.0.1:0"); echo substr(strrchr(stream_socket_get_name($s, false), ":"), 1);'
}

# ---- the binaries, copied so that a rebuild during the run cannot change them
[[ -f $EXT_SRC ]] || die "$EXT_SRC is missing (make build)"
[[ -x $SIM_SRC ]] || die "$SIM_SRC is missing (make build)"
cp "$EXT_SRC" "$work/libkatapult.so" && cp "$SIM_SRC" "$work/katapult-sim"
EXT=$work/libkatapult.so
SIM=$work/katapult-sim
php -n -d "extension=$EXT" -r 'exit(extension_loaded("katapult") ? 0 : 1);' 2>"$work/logs/ext.log" \
  || die "$EXT_SRC does not load into PHP (built without the php feature? make build)" "$work/logs/ext.log"

# ---- the simulators (each with its own CA): start_sim NAME ARGS… starts one and uses it;
# use_sim NAME points api_url, sim_root, CA, php_ext and the environment at it.
declare -A sim_urls=()
use_sim() {
  api_url=${sim_urls[$1]}
  sim_root=${api_url%/core/v1}
  CA=$work/$1-ca.pem
  php_ext=(-d "extension=$EXT" -d "katapult.ca_file=$CA")
  export KATAPULT_API_URL=$api_url KATAPULT_CA_FILE=$CA
}
start_sim() {
  local name=$1 url; shift
  "$SIM" --listen 127.0.0.1:0 --tls --ca-out "$work/$name-ca.pem" --build-speed fast "$@" \
    > "$work/logs/$name.out" 2> "$work/logs/$name.err" &
  pids[$name]=$!
  for _ in $(seq 1 100); do
    grep -q "listening on" "$work/logs/$name.out" 2>/dev/null && break
    sleep 0.1
  done
  url=$(sed -n 's/.*listening on \(\S*\).*/\1/p' "$work/logs/$name.out")
  [[ -n $url ]] || die "the simulator did not start" "$work/logs/$name.err"
  sim_urls[$name]=$url
  use_sim "$name"
}

set_latency() {
  curl -sf --cacert "$CA" -X PUT "$sim_root/_sim/faults" -d "{\"latency_ms\":$1}" >/dev/null \
    || die "the simulator refused its fault settings"
}

# ---- php-fpm (private instances): fpm_start NAME WORKERS PORT PHP_INI_EXTRA
fpm_start() {
  local name=$1 workers=$2 port=$3 extra=$4
  cat > "$work/$name.ini" <<EOF
memory_limit = 256M
display_errors = Off
log_errors = On
error_log = $work/logs/$name-php.log
session.gc_probability = 0
opcache.enable = 1
opcache.memory_consumption = 128
$extra
EOF
  cat > "$work/$name.conf" <<EOF
[global]
pid = $work/$name.pid
error_log = $work/logs/$name-fpm.log
daemonize = no

[bench]
listen = 127.0.0.1:$port
pm = static
pm.max_children = $workers
pm.max_requests = 0
clear_env = yes
env[WHMCS_DB_DSN] = $WHMCS_DB_DSN
env[WHMCS_ROOTDIR] = $WHMCS_ROOTDIR
env[KATAPULT_API_URL] = $api_url
env[KATAPULT_CA_FILE] = $CA
env[PATH] = /usr/local/bin:/usr/bin:/bin
EOF
  local as_root=()
  if [[ $(id -u) -eq 0 ]]; then
    printf 'user = root\ngroup = root\n' >> "$work/$name.conf"
    as_root=(-R)
  fi
  "$FPM_BIN" -F "${as_root[@]}" -y "$work/$name.conf" -c "$work/$name.ini" > "$work/logs/$name-fpm.out" 2>&1 &
  pids[$name]=$!
  for _ in $(seq 1 100); do
    php -r 'exit(@fsockopen("127.0.0.1", '"$port"') ? 0 : 1);' && return 0
    sleep 0.1
  done
  die "php-fpm ($name) did not start" "$work/logs/$name-fpm.log"
}

# The worker of a one-worker pool.
fpm_worker() { pgrep -P "${pids[$1]}" | head -n 1; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
anon_kb() { awk '/^RssAnon/ {print $2}' "/proc/$1/status"; }

# ---- nginx (private instance): one loopback port per (pool, module); the whole URL space goes
# to the stand-in's web front (tests/whmcs/web/router.php) through FastCGI, as the built-in server
# sends it every request; the module is the stand-in's WHMCS_MODULE_DIR/NAME switch.
nginx_server() {   # PORT FPM_PORT MODULE_DIR MODULE_NAME
  cat <<EOF
  server {
    listen 127.0.0.1:$1;
    location / {
      include /etc/nginx/fastcgi_params;
      fastcgi_param SCRIPT_FILENAME $ROOT/tests/whmcs/web/router.php;
      fastcgi_param SCRIPT_NAME /router.php;
      fastcgi_param WHMCS_MODULE_DIR $3;
      fastcgi_param WHMCS_MODULE_NAME $4;
      fastcgi_pass 127.0.0.1:$2;
    }
  }
EOF
}

nginx_start() {   # lines of "PORT FPM_PORT MODULE_DIR MODULE_NAME" on stdin
  mkdir -p "$work/nginx/tmp"
  {
    [[ $(id -u) -eq 0 ]] && echo "user root;"
    cat <<EOF
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/logs/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx/tmp/body;
  fastcgi_temp_path $work/nginx/tmp/fastcgi;
  proxy_temp_path $work/nginx/tmp/proxy;
  uwsgi_temp_path $work/nginx/tmp/uwsgi;
  scgi_temp_path $work/nginx/tmp/scgi;
EOF
    while read -r port fpm dir module; do nginx_server "$port" "$fpm" "$dir" "$module"; done
    echo "}"
  } > "$work/nginx/nginx.conf"
  "$NGINX_BIN" -p "$work/nginx" -c "$work/nginx/nginx.conf" -g 'daemon off;' > "$work/logs/nginx.out" 2>&1 &
  pids[nginx]=$!
  sleep 0.3
  kill -0 "${pids[nginx]}" 2>/dev/null || die "nginx did not start" "$work/logs/nginx.out"
}

# wrk with page.lua: wrk_page OUT_JSON URL CONCURRENCY SECONDS MARKER (what every answer must hold)
wrk_page() {
  local out=$1 url=$2 c=$3 seconds=$4 marker=$5 threads=1
  ((c > 1)) && threads=2
  BENCH_COOKIES=$work/cookies.txt BENCH_OUT=$out BENCH_MARKER=$marker timeout $((seconds + 30)) \
    wrk -t"$threads" -c"$c" -d"${seconds}s" --timeout 10s -s tests/bench/wrk/page.lua "$url" > /dev/null 2>> "$work/logs/wrk.log" \
    || die "wrk failed on $url" "$work/logs/wrk.log"
}

# N page requests one after another on one kept-alive connection: page_requests OUT_JSON URL N
page_requests() {
  timeout 900 php tests/bench/requests.php "$2" "$(head -n 1 "$work/cookies.txt")" "$3" > "$1" 2>> "$work/logs/requests.log" \
    || die "requests to $2 failed" "$1"
}

# =====================================================================================
# 1. The client-area page (and the footprint, which uses the same stand-in)
# =====================================================================================
start_sim sim-page --latency-ms "$PAGE_LATENCY_MS" --rate-limit 4000000000
export WHMCS_DB_DSN="sqlite:$work/page/whmcs.sqlite" WHMCS_ROOTDIR="$work/page/root"
mkdir -p "$work/page"
if ! skipped page || ! skipped footprint || ! skipped profile; then
  log "client area: setting up the stand-in (a client, a VM for ours and one for the reference)"
  timeout 120 php "${php_ext[@]}" tests/bench/setup-page.php > "$res/setup.json" 2> "$work/logs/setup-page.log" \
    || die "tests/bench/setup-page.php failed" "$work/logs/setup-page.log"
  jq_setup() { php -r '$j = json_decode(file_get_contents($argv[1]), true); echo $j[$argv[2]];' "$res/setup.json" "$1"; }
  svc_ours=$(jq_setup ours); svc_ref=$(jq_setup ref); svc_nothing=$(jq_setup nothing); vm_ours=$(jq_setup vmOurs)
  email=$(jq_setup email); password=$(jq_setup password)
fi
if ! skipped page || ! skipped footprint; then

  port_fpm_main=$(free_port); port_fpm_noext=$(free_port); port_fpm_ext=$(free_port)
  fpm_start fpm-main "$FPM_WORKERS" "$port_fpm_main" "extension = $EXT
katapult.ca_file = $CA"
  p_ours=$(free_port); p_ref=$(free_port); p_nothing=$(free_port); p_noext_ref=$(free_port); p_ext_ref=$(free_port); p_ext_ours=$(free_port)
  nginx_start <<EOF
$p_ours $port_fpm_main $ROOT/module katapult
$p_ref $port_fpm_main $ROOT/tests/bench/reference katapultref
$p_nothing $port_fpm_main $ROOT/tests/bench/nothing nothing
$p_noext_ref $port_fpm_noext $ROOT/tests/bench/reference katapultref
$p_ext_ref $port_fpm_ext $ROOT/tests/bench/reference katapultref
$p_ext_ours $port_fpm_ext $ROOT/module katapult
EOF
  for _ in $(seq 1 50); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$p_ours/login.php") == 200 ]] && break
    sleep 0.1
  done
  timeout 60 php tests/bench/login.php "http://127.0.0.1:$p_ours" "$email" "$password" "$SESSIONS" > "$work/cookies.txt" 2> "$work/logs/login.log" \
    || die "logging in through the web front failed" "$work/logs/login.log"
  page() { echo "http://127.0.0.1:$1/clientarea.php?action=productdetails&id=$2"; }
  url_ours=$(page "$p_ours" "$svc_ours"); url_ref=$(page "$p_ref" "$svc_ref"); url_nothing=$(page "$p_nothing" "$svc_nothing")
  # What every timed answer must hold (page.lua counts any other answer as an error): ours and
  # the reference's VM overview, the floor's panel.
  marker_ours='katapult katapult-overview'; marker_ref='katapult katapult-overview'; marker_nothing='class="nothing-panel"'
  # Each page, in every session wrk will use, must show the VM (a started VM: its overview and
  # console) before anything is timed.
  session=0
  while IFS= read -r cookie; do
    [[ -n $cookie ]] || continue
    session=$((session + 1))
    for v in ours ref nothing; do
      url_var=url_$v; marker_var=marker_$v
      status=$(curl -s -o "$work/logs/page-$v.html" -w '%{http_code}' -H "Cookie: $cookie" "${!url_var}")
      [[ $status == 200 ]] && grep -qF "${!marker_var}" "$work/logs/page-$v.html" \
        && { [[ $v == nothing ]] || grep -q 'data-katapult-action="console"' "$work/logs/page-$v.html"; } \
        || die "session $session: the $v page does not show the VM (HTTP $status; see $OUT/logs/page-$v.html)" "$work/logs/fpm-main-php.log"
    done
  done < "$work/cookies.txt"
  ((session == SESSIONS)) || die "$session sessions logged in, $SESSIONS wanted" "$work/logs/login.log"
fi

if ! skipped page; then
  log "client area: warming up, then wrk at concurrency $CONCURRENCY, ${PAGE_SECONDS}s x $PAGE_REPS each"
  wrk_page "$res/warmup-ours.json" "$url_ours" 4 2 "$marker_ours"
  wrk_page "$res/warmup-ref.json" "$url_ref" 4 2 "$marker_ref"
  BENCH_TOKEN=sim-token BENCH_OUT="$res/sim-c1.json" timeout 60 \
    wrk -t1 -c1 -d3s -s tests/bench/wrk/api.lua "$api_url/virtual_machines/_?virtual_machine%5Bid%5D=$vm_ours" > /dev/null 2>> "$work/logs/wrk.log" \
    || die "wrk failed on the simulator" "$work/logs/wrk.log"
  for c in $CONCURRENCY; do
    for r in $(seq 1 "$PAGE_REPS"); do
      wrk_page "$res/page-ours-c$c-r$r.json" "$url_ours" "$c" "$PAGE_SECONDS" "$marker_ours"
      wrk_page "$res/page-ref-c$c-r$r.json" "$url_ref" "$c" "$PAGE_SECONDS" "$marker_ref"
      wrk_page "$res/page-nothing-c$c-r$r.json" "$url_nothing" "$c" "$PAGE_SECONDS" "$marker_nothing"
    done
  done
  # The pages above are served from the VM as last read (fresh for a few seconds). Our page
  # reading its VM, the do-nothing module's page with and without the same read, the simulator's
  # GET, our page from the copy, the do-nothing module's page with our statement and bytes, and
  # our call made twice in a page, taken in turn, round after round (own-cost.php).
  log "client area: the module's own cost in a page, $OWN_COST_ROUNDS rounds x $PAGE_REPS"
  for r in $(seq 1 "$PAGE_REPS"); do
    timeout 900 php tests/bench/own-cost.php "$OWN_COST_ROUNDS" "$url_ours" "$marker_ours" "$url_nothing" "$marker_nothing" \
      "$(head -n 1 "$work/cookies.txt")" "$api_url/virtual_machines/_?virtual_machine%5Bid%5D=$vm_ours" sim-token "$CA" \
      "$WHMCS_DB_DSN" "$sim_root/_sim/stats" "$vm_ours" "$svc_ours" > "$res/own-cost-r$r.json" 2> "$work/logs/own-cost.log" \
      || die "tests/bench/own-cost.php failed" "$work/logs/own-cost.log"
  done
  log "client area: the module functions alone, in one process"
  timeout 120 php "${php_ext[@]}" -d opcache.enable_cli=1 tests/bench/inproc.php "$res/setup.json" 300 > "$res/inproc.json" 2> "$work/logs/inproc.log" \
    || die "tests/bench/inproc.php failed" "$work/logs/inproc.log"
fi
[[ -n ${pids[fpm-main]:-} ]] && stop fpm-main
phase "page"

# =====================================================================================
# The profile of our page's own work (make profile runs this part alone)
# =====================================================================================
if ! skipped profile; then
  set_latency 0
  # Twice: the page as most views and polls get it (from the VM as last read), and the page that
  # reads the VM from Katapult (the copy aged before each call, untimed).
  for kind in cached live; do
    log "profile ($kind): katapult_ClientArea $PROFILE_CALLS times in one process at zero latency, perf with DWARF call graphs"
    live=0
    [[ $kind == live ]] && live=1
    # -F 4999: enough samples for shares of a few percent; 32 KB of stack per sample reaches from
    # PHP's executor down through the extension; 16 MB of buffer keeps lost samples few.
    BENCH_LIVE=$live timeout 600 perf record -q -F 4999 -m 4096 --call-graph dwarf,32768 -o "$work/perf-$kind.data" -- \
      php "${php_ext[@]}" -d opcache.enable_cli=1 tests/bench/inproc.php "$res/setup.json" "$PROFILE_CALLS" ours \
      > "$res/profile-$kind-calls.json" 2> "$work/logs/perf-record.log" || die "perf record failed" "$work/logs/perf-record.log"
    perf report -i "$work/perf-$kind.data" --children --stdio --no-header -g none --percent-limit 0.5 --sort symbol \
      > "$work/logs/perf-report-$kind.txt" 2> "$work/logs/perf-report.log" || die "perf report failed" "$work/logs/perf-report.log"
    php tests/bench/profile.php "$work/logs/perf-report-$kind.txt" > "$res/profile-$kind.json" 2>> "$work/logs/perf-report.log" \
      || die "tests/bench/profile.php could not read the profile" "$work/logs/perf-report.log"
  done
  set_latency "$PAGE_LATENCY_MS"
  phase "profile"
fi

# =====================================================================================
# 3. Footprint
# =====================================================================================
if ! skipped footprint; then
  log "footprint: PHP start-up with and without the extension (hyperfine)"
  # Six rounds of 20 runs each, the order swapped every round (three rounds each way): the
  # command run second meets a warmer machine, so each order counts equally in the figure.
  for round in 1 2 3 4 5 6; do
    commands=("php -n -r ''" "php -n -d extension=$EXT -r ''")
    ((round % 2 == 0)) && commands=("${commands[1]}" "${commands[0]}")
    timeout 120 hyperfine -N --warmup 5 --runs 20 --export-json "$res/hyperfine-$round.json" "${commands[@]}" \
      >> "$work/logs/hyperfine.log" 2>&1 || die "hyperfine failed" "$work/logs/hyperfine.log"
  done

  log "footprint: RSS of a php-fpm worker, without and with the extension, after warm-up requests"
  fpm_start fpm-noext 1 "$port_fpm_noext" ""
  fpm_start fpm-ext 1 "$port_fpm_ext" "extension = $EXT
katapult.ca_file = $CA"
  page_requests "$res/warm-noext-ref.json" "$(page "$p_noext_ref" "$svc_ref")" 50
  page_requests "$res/warm-ext-ref.json" "$(page "$p_ext_ref" "$svc_ref")" 50
  w_noext=$(fpm_worker fpm-noext); w_ext=$(fpm_worker fpm-ext)
  rss_noext_ref=$(rss_kb "$w_noext"); anon_noext_ref=$(anon_kb "$w_noext")
  rss_ext_ref=$(rss_kb "$w_ext"); anon_ext_ref=$(anon_kb "$w_ext")
  stop fpm-noext
  page_requests "$res/warm-ext-ours.json" "$(page "$p_ext_ours" "$svc_ours")" 50
  rss_ext_ours=$(rss_kb "$w_ext"); anon_ext_ours=$(anon_kb "$w_ext")

  log "footprint: $LEAK_REQUESTS client-area requests in one worker (RSS at 1,000 and $LEAK_REQUESTS)"
  page_requests "$res/leak-1k.json" "$(page "$p_ext_ours" "$svc_ours")" 950
  rss_1k=$(rss_kb "$w_ext"); anon_1k=$(anon_kb "$w_ext")
  page_requests "$res/leak-rest.json" "$(page "$p_ext_ours" "$svc_ours")" $((LEAK_REQUESTS - 1000))
  rss_end=$(rss_kb "$w_ext"); anon_end=$(anon_kb "$w_ext")
  [[ $(fpm_worker fpm-ext) == "$w_ext" ]] || log "warning: the php-fpm worker was replaced during the run"
  stop fpm-ext
  cat > "$res/rss.json" <<EOF
{"noext_after_ref_kb": $rss_noext_ref, "noext_after_ref_anon_kb": $anon_noext_ref,
 "ext_after_ref_kb": $rss_ext_ref, "ext_after_ref_anon_kb": $anon_ext_ref,
 "ext_after_ours_kb": $rss_ext_ours, "ext_after_ours_anon_kb": $anon_ext_ours,
 "leak_requests": $LEAK_REQUESTS, "at_1k_kb": $rss_1k, "at_1k_anon_kb": $anon_1k,
 "at_end_kb": $rss_end, "at_end_anon_kb": $anon_end}
EOF
fi
[[ -n ${pids[nginx]:-} ]] && stop nginx
phase "footprint"

# =====================================================================================
# 2. Build sync: 2a with the simulator's rate limit lifted, 2b with the real one
# =====================================================================================
restore() { cp "$1/snapshot.sqlite" "$1/whmcs.sqlite" && rm -f "$1/whmcs.sqlite-wal" "$1/whmcs.sqlite-shm"; }
make_builds() {   # DIR SETUP_TOKENS
  mkdir -p "$1"
  WHMCS_DB_DSN="sqlite:$1/whmcs.sqlite" WHMCS_ROOTDIR="$1/root" timeout 300 \
    php "${php_ext[@]}" tests/bench/builds.php "$SYNC_BUILDS" "$2" > "$1/builds.json" 2> "$work/logs/builds.log" \
    || die "tests/bench/builds.php failed" "$work/logs/builds.log"
  cp "$1/builds.json" "$res/$(basename "$1")-builds.json"
  rm -f "$1/whmcs.sqlite-wal" "$1/whmcs.sqlite-shm"
  cp "$1/whmcs.sqlite" "$1/snapshot.sqlite"
  sleep 1   # the simulator's fast builds complete after 0.5 s
}
sync_run() {   # DIR ours|ref OUT_JSON
  local ext=()
  [[ $2 == ours ]] && ext=("${php_ext[@]}")
  WHMCS_DB_DSN="sqlite:$1/whmcs.sqlite" WHMCS_ROOTDIR="$1/root" timeout 600 \
    php "${ext[@]}" tests/bench/sync.php "$2" "$sim_root" > "$3" 2>> "$work/logs/sync-$2.log" \
    || die "tests/bench/sync.php $2 failed" "$work/logs/sync-$2.log"
}

# The rate-limited runs (2b) bracket the lifted ones (2a): their first cron run, then the lifted
# runs on another simulator, then their second cron run, which (as WHMCS's next cron run, minutes
# later) finds the API's one-minute window renewed.
[[ -n ${pids[sim-page]:-} ]] && stop sim-page
if ! skipped limited; then
  start_sim sim-limited --rate-limit 1000 --token sim-token --token bench-setup-1 --token bench-setup-2
  log "build sync: $SYNC_BUILDS pending builds, rate limit 1000 a minute"
  make_builds "$work/limited" bench-setup-1,bench-setup-2
  set_latency "$SYNC_LATENCY_MS"
  log "build sync: ours, limited, run 1"
  sync_run "$work/limited" ours "$res/limited-1.json"
  limited_run1_end=$(date +%s)
  phase "limited-run-1"
fi

if ! skipped sync; then
  start_sim sim-sync --rate-limit 4000000000 --token sim-token --token bench-setup-1 --token bench-setup-2
  log "build sync: $SYNC_BUILDS pending builds, rate limit lifted"
  make_builds "$work/sync" bench-setup-1,bench-setup-2
  set_latency "$SYNC_LATENCY_MS"
  for r in $(seq 1 "$SYNC_REPS"); do
    restore "$work/sync"
    log "build sync: ours, run $r of $SYNC_REPS"
    sync_run "$work/sync" ours "$res/sync-ours-r$r.json"
  done
  restore "$work/sync"
  log "build sync: the PHP reference (one service after another; about 2 minutes)"
  sync_run "$work/sync" ref "$res/sync-ref.json"
  # Where the time goes: the same runs with no simulated latency (the work that is not waiting).
  set_latency 0
  restore "$work/sync"
  sync_run "$work/sync" ours "$res/sync0-ours.json"
  restore "$work/sync"
  sync_run "$work/sync" ref "$res/sync0-ref.json"
  stop sim-sync
  phase "sync"
fi

if ! skipped limited; then
  use_sim sim-limited
  wait_s=$((limited_run1_end + 61 - $(date +%s)))
  ((wait_s > 0)) && { log "build sync: waiting ${wait_s}s for the API's window to renew"; sleep "$wait_s"; }
  log "build sync: ours, limited, run 2"
  sync_run "$work/limited" ours "$res/limited-2.json"
  stop sim-limited
  phase "limited-run-2"
fi

# =====================================================================================
# The report
# =====================================================================================
echo "$(( $(date +%s) - started_at ))" > "$res/elapsed"
php tests/bench/report.php "$res" "$OUT" "$EXT" || die "tests/bench/report.php failed"
