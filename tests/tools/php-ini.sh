# Sourced by the test runner: `without_installed_katapult DIR`. When this machine's PHP already
# loads a katapult extension by its own configuration (an installed release: the .deb, install.sh,
# PIE), a test's `php -d extension=<this checkout's build>` would be refused ("already loaded")
# and the tests would run the installed one. Then PHP's ini scan directory is replaced, for this
# shell and its children, by DIR: links to the same ini files but katapult's.
without_installed_katapult() {
  local dir=$1 scan ini
  php -m 2>/dev/null | grep -qx katapult || return 0
  scan=$(php --ini | sed -n 's/^Scan for additional .ini files in: //p')
  mkdir -p "$dir"
  for ini in ${scan//:/ }; do
    for ini in "$ini"/*.ini; do
      [[ -e $ini ]] || continue
      grep -qE '^\s*extension\s*=\s*"?([^"]*/)?katapult(\.so)?"?\s*$' "$ini" || ln -sf "$ini" "$dir/$(basename "$ini")"
    done
  done
  export PHP_INI_SCAN_DIR=$dir
  php -m | grep -qx katapult && { echo "this PHP loads katapult from its php.ini: tests cannot load their own build" >&2; return 1; }
  echo "(this PHP has an installed katapult extension: the tests run with PHP_INI_SCAN_DIR=$dir without it)"
}
