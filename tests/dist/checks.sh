# Sourced by the release tests: `check WHAT COMMAND...` prints "ok - WHAT" or "not ok - WHAT"
# (with the command's output when it fails) and counts it.
passed=${passed:-0}
failed=${failed:-0}
check() {
  local what=$1 output
  shift
  if output=$("$@" 2>&1); then
    echo "ok - $what"
    passed=$((passed + 1))
  else
    echo "not ok - $what"
    [[ -z $output ]] || sed 's/^/    /' <<<"$output" | tail -20
    failed=$((failed + 1))
  fi
}

# No file of the release's under these paths (find's names, for the message).
nothing_named_katapult_under() {
  local left
  left=$(find "$@" -name '*katapult*' 2>/dev/null)
  [[ -z $left ]] || { echo "left behind: $left"; return 1; }
}

# The demo (tests/demo/run.sh) on the extension PHP's configuration loads, with the module files
# of $1: it provisions a VM through them and says which extension it ran on.
demo_on_installed() {
  local module_dir=$1 log
  log=$(KATAPULT_EXT='' WHMCS_MODULE_DIR=$module_dir KATAPULT_DEMO_SERVE=0 tests/demo/run.sh 2>&1) \
    || { echo "$log"; return 1; }
  grep -q "^katapult extension $version in the WHMCS stand-in" <<<"$log" && grep -q '^Provisioning complete\.$' <<<"$log" \
    || { echo "$log"; return 1; }
}
