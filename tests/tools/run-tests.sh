#!/usr/bin/env bash
# Runs every test suite, keeps going after a failing one (and after a failing test binary), and
# ends with one summary line: "tests: N passed, N failed, N skipped". A suite that ran no test
# counts as a failure. Exit status: 0 only when everything passed.
set -uo pipefail
cd "$(dirname "$0")/../.."

export KATAPULT_EXT="${KATAPULT_EXT:-$PWD/target/release/libkatapult.so}"
EXT=$KATAPULT_EXT
log_dir=$(mktemp -d)
source tests/tools/php-ini.sh
without_installed_katapult "$log_dir/php-ini" || exit 1
passed=0
failed=0
skipped=0
suites_failed=()

# Adds one suite's counts; a suite that failed without a failing test (a build error, a crash)
# or that ran nothing counts one failure.
count_suite() {
  local name=$1 status=$2 p=$3 f=$4 s=$5
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  if ((p + f + s == 0)); then
    echo "== $name ran no test"
    suites_failed+=("$name (ran no test)")
    failed=$((failed + 1))
  elif ((status != 0)); then
    suites_failed+=("$name")
    ((f == 0)) && failed=$((failed + 1))
  fi
}

# cargo test: sums the "test result:" lines of every test binary (--no-fail-fast runs them all).
run_cargo() {
  local name=$1; shift
  local log="$log_dir/$name.log"
  echo "== $name: $*"
  "$@" 2>&1 | tee "$log"
  local status=${PIPESTATUS[0]}
  local counts
  counts=$(sed -n 's/^test result: [a-zA-Z]*\. \([0-9]*\) passed; \([0-9]*\) failed; \([0-9]*\) ignored.*/\1 \2 \3/p' "$log" \
    | awk '{p+=$1; f+=$2; s+=$3} END {print p+0, f+0, s+0}')
  # shellcheck disable=SC2086
  count_suite "$name" "$status" $counts
}

# PHPUnit: reads the JUnit report.
run_phpunit() {
  local name=$1; shift
  local junit="$log_dir/$name.xml"
  echo "== $name: phpunit $*"
  php -d extension="$EXT" /usr/bin/phpunit --log-junit "$junit" "$@"
  local status=$?
  local counts="0 0 0"
  if [[ -f $junit ]]; then
    counts=$(php -r '$x = simplexml_load_file($argv[1]); $s = $x->testsuite; $t = (int) $s["tests"]; $bad = (int) $s["failures"] + (int) $s["errors"]; $skip = (int) $s["skipped"]; echo ($t - $bad - $skip), " ", $bad, " ", $skip;' "$junit")
  fi
  # shellcheck disable=SC2086
  count_suite "$name" "$status" $counts
}

# A script that counts its own checks: reads its "<tag>: N passed, N failed" line.
run_counted() {
  local name=$1 tag=$2; shift 2
  local log="$log_dir/$name.log"
  echo "== $name: $*"
  "$@" 2>&1 | tee "$log"
  local status=${PIPESTATUS[0]}
  local counts
  counts=$(sed -n "s/^$tag: \([0-9]*\) passed, \([0-9]*\) failed\$/\1 \2 0/p" "$log" | tail -1)
  # shellcheck disable=SC2086
  count_suite "$name" "$status" ${counts:-0 0 0}
}

run_check() {
  local name=$1; shift
  echo "== $name: $*"
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); suites_failed+=("$name"); fi
}

run_check "rustfmt" cargo fmt --all -- --check
run_check "clippy" cargo clippy --workspace --all-targets --features katapult/php -- -D warnings
# Release profile: reuses the dependencies the extension build compiled.
run_cargo "rust" cargo test --release --workspace --no-fail-fast
run_phpunit "php" --colors=never -c tests/php/phpunit.xml

# The WHMCS stand-in's own tests, and the module inside it: on SQLite, then on a private MariaDB.
# The extension fixes its API URL when PHP starts: the module's tests start their simulator there.
free_port() { php -r '$s = stream_socket_server("tcp://127.0.0.1:0"); echo substr(strrchr(stream_socket_get_name($s, false), ":"), 1);'; }
module_api_url="http://127.0.0.1:$(free_port)/core/v1"
sqlite_db=$(mktemp -d)
WHMCS_DB_DSN="sqlite:$sqlite_db/whmcs.sqlite" run_phpunit "whmcs-standin (SQLite)" --colors=never -c tests/whmcs/tests/phpunit.xml
WHMCS_DB_DSN="sqlite:$sqlite_db/module.sqlite" KATAPULT_API_URL=$module_api_url run_phpunit "module in WHMCS (SQLite)" --colors=never -c tests/php-whmcs/phpunit.xml
rm -rf "$sqlite_db"
# The fault-and-crash soak, short: 50 services (make soak runs 500 on MariaDB).
run_check "soak (50 services)" tests/soak/run.sh --services=50
# Scale-out, short: 20 services on the Galera cluster, no node kill (make cluster runs 300 with one).
run_check "cluster (20 services, Galera)" tests/cluster/run.sh --services=20 --races=30
if mariadb_env=$(tests/whmcs/mariadb.sh start); then
  eval "$mariadb_env"
  run_phpunit "whmcs-standin (MariaDB)" --colors=never -c tests/whmcs/tests/phpunit.xml
  KATAPULT_API_URL=$module_api_url run_phpunit "module in WHMCS (MariaDB)" --colors=never -c tests/php-whmcs/phpunit.xml
  tests/whmcs/mariadb.sh stop >/dev/null
  unset WHMCS_DB_DSN WHMCS_DB_USER WHMCS_DB_PASS WHMCS_DB_SOCKET
else
  echo "MariaDB did not start"; failed=$((failed + 1)); suites_failed+=("mariadb")
fi

# The client area as a person uses it: real Chromium on the stand-in's web front.
run_counted "browser" browser tests/browser/run.sh

# The release as a provider installs it: make dist's tarball and .deb installed, run and removed.
run_counted "release" dist tests/dist/run.sh

rm -rf "$log_dir"
echo
if ((${#suites_failed[@]})); then
  echo "failing: ${suites_failed[*]}"
fi
echo "tests: $passed passed, $failed failed, $skipped skipped"
((failed == 0 && ${#suites_failed[@]} == 0))
