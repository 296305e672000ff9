#!/usr/bin/env bash
# Runs every fuzz target (fuzz/fuzz_targets/) for FUZZ_SECONDS each (default 60), one after the
# other, one libFuzzer worker each; prints per target the inputs run, the corpus size and the
# crashes found, and writes a JSON summary to fuzz-report.json in the target folder.
# Exit status: 0 only when no target crashed (a crash, hang or out-of-memory input is saved in
# fuzz/artifacts/<target>/ and named below).
#
#   FUZZ_SECONDS=60        seconds per target
#   FUZZ_TARGETS="a b"     only these targets (default: all)
#   FUZZ_SANITIZER=none    or address: about ten times slower, and the fuzzed code is safe Rust
#                          (a panic, an overflow or a stack overflow is caught without it)
#   FUZZ_TOOLCHAIN=stable  the rustup toolchain; default stable, nightly if stable cannot build
#   CARGO_TARGET_DIR       where to build (default: target/); the working corpus and the report
#                          go there too, so the committed seeds in fuzz/corpus/ stay small.
set -uo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD

seconds=${FUZZ_SECONDS:-60}
sanitizer=${FUZZ_SANITIZER:-none}
target_dir=${CARGO_TARGET_DIR:-$repo/target}
work_corpus=$target_dir/fuzz-corpus
report=$target_dir/fuzz-report.json
log_dir=$target_dir/fuzz-logs
mkdir -p "$work_corpus" "$log_dir"

# cargo-fuzz, when missing.
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz"
  cargo install cargo-fuzz --locked || { echo "could not install cargo-fuzz"; exit 2; }
fi

# Without a sanitizer cargo-fuzz needs no -Z flag and stable builds as it is; with one it passes
# -Zsanitizer=…, which RUSTC_BOOTSTRAP=1 lets through on stable. Nightly only when stable fails.
export RUSTC_BOOTSTRAP=1
have_toolchain() { rustup run "$1" rustc --version >/dev/null 2>&1; }
# `cargo +toolchain`, or plain cargo without rustup.
cargo_on() {
  local toolchain=$1; shift
  if [[ -n $toolchain ]]; then cargo "+$toolchain" "$@"; else cargo "$@"; fi
}
if [[ -n ${FUZZ_TARGETS:-} ]]; then
  read -r -a targets <<<"$FUZZ_TARGETS"
else
  mapfile -t targets < <(cargo fuzz list)
fi
# `cargo fuzz build` builds one target, or all of them.
build() {
  local one=()
  ((${#targets[@]} == 1)) && one=("${targets[0]}")
  cargo_on "$1" fuzz build --sanitizer "$sanitizer" --target-dir "$target_dir" "${one[@]}"
}
if [[ -n ${FUZZ_TOOLCHAIN:-} ]]; then
  toolchain=$FUZZ_TOOLCHAIN
elif command -v rustup >/dev/null; then
  toolchain=stable
else
  toolchain=""
fi
echo "== building the fuzz targets (${toolchain:-default toolchain}, sanitizer: $sanitizer)"
if ! build "$toolchain"; then
  if [[ -z ${FUZZ_TOOLCHAIN:-} && $toolchain == stable ]] && have_toolchain nightly; then
    toolchain=nightly
    echo "== stable could not build them: trying nightly"
    build nightly || { echo "the fuzz targets do not build"; exit 2; }
  else
    echo "the fuzz targets do not build"
    exit 2
  fi
fi

# The view_path target makes a scratch module directory under TMPDIR: keep it out of /tmp.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

total_crashes=0
entries=()
printf '\n%-16s %12s %10s %8s %8s %8s\n' target runs "runs/s" corpus cov crashes
for target in "${targets[@]}"; do
  log=$log_dir/$target.log
  mkdir -p "$work_corpus/$target" "fuzz/artifacts/$target"
  marker=$(mktemp)
  # New inputs go to the working corpus (first folder); the committed seeds are read only.
  TMPDIR=$scratch cargo_on "$toolchain" fuzz run --sanitizer "$sanitizer" --target-dir "$target_dir" \
    "$target" "$work_corpus/$target" "fuzz/corpus/$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    >"$log" 2>&1
  status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  # The last status line: "#N DONE cov: C ft: F corp: K/SIZEb ...".
  corpus=$(grep -Eo 'corp: [0-9]+' "$log" | tail -1 | grep -Eo '[0-9]+')
  cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -1 | grep -Eo '[0-9]+')
  mapfile -t found < <(find "fuzz/artifacts/$target" -type f -newer "$marker" \
    \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) | sort)
  rm -f "$marker"
  crashes=${#found[@]}
  if ((status != 0 && crashes == 0)); then
    crashes=1   # it stopped without saving an input: a build failure or a crash at start-up
  fi
  total_crashes=$((total_crashes + crashes))
  printf '%-16s %12s %10s %8s %8s %8s\n' "$target" "${runs:-?}" "${speed:-?}" "${corpus:-?}" \
    "${cov:-?}" "$crashes"
  artifacts=""
  for file in "${found[@]}"; do
    artifacts+="${artifacts:+, }\"$file\""
  done
  entries+=("$(printf '    {"target": "%s", "runs": %s, "execs_per_sec": %s, "corpus": %s, "coverage": %s, "crashes": %s, "exit_status": %s, "artifacts": [%s]}' \
    "$target" "${runs:-null}" "${speed:-null}" "${corpus:-null}" "${cov:-null}" "$crashes" "$status" "$artifacts")")
  if ((crashes > 0)); then
    echo "  $target failed; the log: $log"
    for file in "${found[@]}"; do
      echo "  input: $file  (replay: cargo fuzz run $target $file)"
    done
    grep -E -m1 -A12 "panicked at|ERROR: libFuzzer" "$log" | sed 's/^/  | /'
  fi
done

{
  printf '{\n'
  printf '  "date": "%s",\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  printf '  "toolchain": "%s",\n' "$(if [[ -n $toolchain ]]; then rustc "+$toolchain" --version; else rustc --version; fi)"
  printf '  "cargo_fuzz": "%s",\n' "$(cargo fuzz --version)"
  printf '  "sanitizer": "%s",\n' "$sanitizer"
  printf '  "seconds_per_target": %s,\n' "$seconds"
  printf '  "workers_per_target": 1,\n'
  printf '  "crashes": %s,\n' "$total_crashes"
  printf '  "targets": [\n'
  for i in "${!entries[@]}"; do
    printf '%s%s\n' "${entries[$i]}" "$([[ $i -lt $((${#entries[@]} - 1)) ]] && echo ,)"
  done
  printf '  ]\n}\n'
} >"$report"
echo
echo "fuzz: ${#targets[@]} targets, ${seconds}s each, $total_crashes crashes; report: $report"
((total_crashes == 0))
