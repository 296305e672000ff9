#!/usr/bin/env bash
# Memory errors in the extension, found by valgrind (memcheck) on a subset of the PHP tests:
#   1. ExtensionTest and ApiClientTest, in one PHPUnit process under valgrind: loading the
#      extension, its INI settings, MINFO, exceptions, the API client against the simulator
#      (a whole VM life cycle: arrays in and out of Rust, errors thrown from Rust).
#   2. FatalErrorInHookTest: a provider's hook ends in a PHP fatal error (memory_limit, "Cannot
#      redeclare") or exit() while CreateAccount or the build sync is at work, then a shutdown
#      function calls the API; each of its child PHPs runs under valgrind.
#   3. HostileInputTest without WHMCS ("bare"): PHPUnit itself runs normally and each child PHP
#      that makes the hostile calls runs under valgrind, so whatever valgrind reports is put down
#      to the call that was running. The calls are merged into 4 children (a PHP start under
#      valgrind costs seconds) and use the smaller value set (HOSTILE_VALUES=field, ~2100 calls).
# About 1 minute on 2 cores. With --all (about 10 minutes): the full value set (~4300 calls) and
# the "whmcs" run too (the WHMCS stand-in, Eloquent and SQLite around the same extension code,
# ~5200 calls).
#
# Prints "valgrind: N errors" (the sum of valgrind's ERROR SUMMARY lines) and exits non-zero when
# valgrind found an error or a test failed. Before that it checks that valgrind, with these
# settings, does report a use-after-free planted through FFI in the hostile-call child.
#
# Why these settings:
# - USE_ZEND_ALLOC=0: PHP's allocator (Zend MM) hands out pieces of its own big chunks, so
#   memcheck cannot see the bounds of a PHP value; with it off every emalloc is a malloc.
# - pcre.jit=0: PCRE2's JIT code reads up to 16 bytes past the end of a subject string on purpose
#   (it stays inside the allocation's granule); memcheck reports that as "Invalid read of size
#   16" and "Conditional jump ... uninitialised" in code it cannot name: 235 errors in one
#   PHPUnit run with the JIT on, none with it off.
# - --leak-check=no --errors-for-leak-kinds=none: leaks are not what this checks (PHP frees in
#   bulk at shutdown; the API client pool is meant to live as long as the process).
# No suppressions file is needed: with the two settings above the runs report nothing from PHP,
# OpenSSL, rustls or aws-lc. If one becomes necessary, add tests/tools/valgrind.supp and pass
# it with --suppressions, one commented entry per source of noise.
set -uo pipefail
cd "$(dirname "$0")/../.."

all=false
[[ ${1:-} == --all ]] && all=true

export KATAPULT_EXT="${KATAPULT_EXT:-$PWD/target/release/libkatapult.so}"
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)"; exit 2; }

logs=$(mktemp -d)        # every valgrind report counted below
scratch=$(mktemp -d)     # the self-check's planted error, not counted
trap 'rm -rf "$logs" "$scratch"' EXIT
export USE_ZEND_ALLOC=0
valgrind=(valgrind --tool=memcheck --error-exitcode=99 --leak-check=no --errors-for-leak-kinds=none --num-callers=40)
status=0

echo "== valgrind self-check: a planted use-after-free must be reported"
php -r 'file_put_contents($argv[1], serialize(["mode" => "bare", "setup" => [], "cases" => [7 => ["call" => ["harness", "use after free"], "args" => []]]]));' "$scratch/batch.ser"
"${valgrind[@]}" php -d pcre.jit=0 -d extension="$KATAPULT_EXT" tests/php/support/hostile-child.php "$scratch/batch.ser" \
  >"$scratch/out" 2>"$scratch/err"
planted=$?
if ((planted != 99)) || ! sed -n '/^@@case 7$/,$p' "$scratch/err" | grep -q 'Invalid read'; then
  echo "valgrind did not report the planted use-after-free (exit $planted):"
  tail -20 "$scratch/err"
  exit 2
fi

echo "== valgrind: ExtensionTest, ApiClientTest (PHPUnit under valgrind)"
"${valgrind[@]}" --log-file="$logs/phpunit.%p.log" \
  php -d pcre.jit=0 -d extension="$KATAPULT_EXT" /usr/bin/phpunit --colors=never -c tests/php/phpunit.xml \
  --filter '/^(ExtensionTest|ApiClientTest)::/' || status=1

echo "== valgrind: FatalErrorInHookTest (each child PHP, whose hook ends in a fatal error or exit, under valgrind)"
fatal_db=$(mktemp -d)
WHMCS_DB_DSN="sqlite:$fatal_db/whmcs.sqlite" KATAPULT_CHILD_PREFIX="${valgrind[*]} --log-file=$logs/fatal.%p.log" \
  php -d extension="$KATAPULT_EXT" /usr/bin/phpunit --colors=never -c tests/php-whmcs/phpunit.xml \
  --filter '/^FatalErrorInHookTest::/' || status=1
rm -rf "$fatal_db"

hostile=(HOSTILE_CHILD_PREFIX="${valgrind[*]} --log-fd=2" HOSTILE_WRAPPER_EXIT=99 HOSTILE_KEEP_STDERR="$logs"
  HOSTILE_CHILDREN=4 HOSTILE_PARALLEL=2)
if $all; then
  echo "== valgrind: HostileInputTest, bare and whmcs, all values (each child PHP under valgrind)"
  hostile+=(HOSTILE_MODES=bare,whmcs)
  filter='/^HostileInputTest::test(EveryFunctionAndMethod|TheModuleSurvives)/'
else
  echo "== valgrind: HostileInputTest without WHMCS, the smaller value set (each child PHP under valgrind)"
  hostile+=(HOSTILE_MODES=bare HOSTILE_VALUES=field)
  filter='/^HostileInputTest::testEveryFunctionAndMethod/'
fi
env "${hostile[@]}" php -d extension="$KATAPULT_EXT" /usr/bin/phpunit --colors=never -c tests/php/phpunit.xml \
  --filter "$filter" || status=1

# Every valgrind process ends with "ERROR SUMMARY: N errors from M contexts".
summaries=$(grep -h 'ERROR SUMMARY:' "$logs"/* 2>/dev/null)
processes=$(grep -c . <<<"$summaries")
errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' <<<"$summaries" | awk '{s += $1} END {print s + 0}')
if ((errors > 0)); then
  echo
  echo "valgrind's reports (first 150 lines):"
  grep -h -A30 -E '^==[0-9]+== (Invalid|Conditional|Use of uninit|Syscall param|Mismatched|Source and dest|Jump to)' "$logs"/* | head -150
fi
echo "valgrind: $errors errors ($processes processes checked)"
((errors == 0 && status == 0 && processes >= 8))
