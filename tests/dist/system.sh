#!/usr/bin/env bash
# Parts 2-4 of tests/dist/run.sh, every install of the release: install.sh's refusals; the tarball
# into a temporary WHMCS tree and private ini directories; then into the machine's own PHP, as a
# provider would, with install.sh's defaults (phpenmod) and as the .deb (dpkg -i, -r, -P); the
# demo on the installed extension; nothing left after each removal.
#   system.sh [--overlay=DIR] RELEASE_DIR DEB WORK_DIR VERSION
# With --overlay (run by unshare in a private mount namespace), /etc/php, /usr, /var/lib and
# /var/log are first covered by overlays whose changes land in DIR and vanish with the
# namespace: the machine's other PHP users never load this install. Without it, the install is on
# the machine itself, and a purge at exit leaves it as it was.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/dist/checks.sh

overlay=""
if [[ $1 == --overlay=* ]]; then
  overlay=${1#*=}
  shift
fi
release=$1
deb=$2
work=$3
version=$4
php_xy=$(php -r 'echo PHP_MAJOR_VERSION, ".", PHP_MINOR_VERSION;')
package=$(dpkg-deb --field "$deb" Package)
fpm=/usr/sbin/php-fpm$php_xy
mkdir -p "$work"

if [[ -n $overlay ]]; then
  for dir in /etc/php /usr /var/lib /var/log; do
    layer=$overlay${dir//\//_}
    mkdir -p "$layer/upper" "$layer/work"
    mount -t overlay overlay -o "lowerdir=$dir,upperdir=$layer/upper,workdir=$layer/work" "$dir" \
      || { echo "not ok - overlay on $dir"; exit 1; }
  done
  # Service restarts by the packages' triggers (PHP-FPM's) are not this test's to make.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod 0755 /usr/sbin/policy-rc.d
else
  trap 'dpkg --purge "$package" >/dev/null 2>&1; "$release/install.sh" --uninstall >/dev/null 2>&1' EXIT
fi

# --- 2. refusals --------------------------------------------------------------------------------
# A copy of the release whose BUILD-INFO says what sed makes it say, summed again as a real
# build of that kind would be.
release_built_for() {
  local copy=$work/$1
  cp -R "$release" "$copy"
  sed -i "$2" "$copy/BUILD-INFO"
  packaging/sums.sh "$copy"
  echo "$copy"
}
# Every refused install is pointed at private directories: a refusal that failed installs nowhere.
refused() { "$1/install.sh" --extension-dir="$work/never" --ini-dir="$work/never" "$work/whmcs-never" 2>&1; }

other=$(release_built_for other-php 's/^php=.*/php=7.4/; s/^php_api=.*/php_api=20190902/')
check "install.sh refuses another PHP, naming the PHP it needs and the one it found" \
  bash -c "[[ ! -e '$work/never' ]] && grep -q 'built for PHP 7.4 (PHP API 20190902' <<<\"\$1\" && grep -q 'PHP $php_xy' <<<\"\$1\"" _ "$(refused "$other")"
newer=$(release_built_for newer-glibc 's/^glibc=.*/glibc=9.99/')
check "install.sh refuses a glibc older than the build's, naming both" \
  bash -c "[[ ! -e '$work/never' ]] && grep -q 'needs glibc 9.99 or later, this machine has [0-9]' <<<\"\$1\"" _ "$(refused "$newer")"
printf 'x' >> "$other/katapult.so"
check "install.sh refuses a damaged download" \
  bash -c "[[ ! -e '$work/never' ]] && grep -q 'do not match SHA256SUMS' <<<\"\$1\"" _ "$(refused "$other")"

# --- 3. the tarball into a temporary WHMCS tree -------------------------------------------------
whmcs=$work/whmcs
module=$whmcs/modules/servers/katapult
mkdir -p "$module/overrides/views/client/virtual_machines"
echo '{{! the provider own overview }}' > "$module/overrides/views/client/virtual_machines/overview.hbs"
ext_dir=$work/extensions
check "install.sh installs into a private extension dir, ini dirs and WHMCS tree" \
  "$release/install.sh" --extension-dir="$ext_dir" --ini-dir="$work/cli.d" --ini-dir="$work/fpm.d" "$whmcs"
check "the extension is in place, enabled by both ini files by its path" \
  bash -c "cmp '$release/katapult.so' '$ext_dir/katapult.so' && grep -qx 'extension=$ext_dir/katapult.so' '$work/cli.d/50-katapult.ini' '$work/fpm.d/50-katapult.ini'"
check "the module files are the release's, the provider's override kept" \
  bash -c "diff -r -x overrides '$release/module' '$module' && grep -q 'provider own' '$module/overrides/views/client/virtual_machines/overview.hbs'"
cli_scan_dir=$(php --ini | sed -n 's/^Scan for additional .ini files in: //p')
check "the demo runs on the extension the private CLI ini loads, with the installed module files" \
  env PHP_INI_SCAN_DIR="$cli_scan_dir:$work/cli.d" bash -c "source tests/dist/checks.sh; version=$version; demo_on_installed '$module'"
fpm=/usr/sbin/php-fpm$php_xy
if [[ -x $fpm ]]; then
  check "PHP-FPM loads it through its ini" \
    bash -c "PHP_INI_SCAN_DIR=\$('$fpm' -i | sed -n 's/^Scan this dir for additional .ini files => //p'):$work/fpm.d '$fpm' -m | grep -qx katapult"
fi
check "install.sh --uninstall removes it all but the provider's override" \
  "$release/install.sh" --uninstall --extension-dir="$ext_dir" --ini-dir="$work/cli.d" --ini-dir="$work/fpm.d" "$whmcs"
check "nothing of the release is left in the tree" \
  bash -c "[[ \$(cd '$work' && find extensions cli.d fpm.d whmcs -type f) == whmcs/modules/servers/katapult/overrides/views/client/virtual_machines/overview.hbs ]]"

# --- 4. the machine's own PHP: install.sh's defaults and the .deb --------------------------------
loads_katapult() { php -m | grep -qx katapult; }
fpm_loads_katapult() { [[ ! -x $fpm ]] || "$fpm" -m | grep -qx katapult; }
not() { ! "$@"; }

# install.sh with its defaults: Debian's PHP, so phpenmod, every SAPI.
whmcs=$work/whmcs-system
mkdir -p "$whmcs/modules/servers"
check "install.sh, defaults: installs into this PHP and a WHMCS tree" "$release/install.sh" "$whmcs"
check "install.sh, defaults: the CLI and PHP-FPM load it with no -d" bash -c "$(declare -f loads_katapult fpm_loads_katapult); fpm=$fpm; loads_katapult && fpm_loads_katapult"
check "install.sh --uninstall: the extension is gone from every SAPI" "$release/install.sh" --uninstall "$whmcs"
check "install.sh --uninstall: nothing left" bash -c "$(declare -f nothing_named_katapult_under loads_katapult); ! loads_katapult && nothing_named_katapult_under /etc/php /usr/lib/php /var/lib/php '$whmcs'"

# The .deb.
check "dpkg -i $(basename "$deb")" dpkg -i "$deb"
check "the .deb: the CLI and PHP-FPM load it with no -d" bash -c "$(declare -f loads_katapult fpm_loads_katapult); fpm=$fpm; loads_katapult && fpm_loads_katapult"
check "the .deb: php --ri katapult names the version, PHP API, thread safety and build target" \
  bash -c "php --ri katapult | grep -qx 'version => $version' && php --ri katapult | grep -q '^built for PHP API => [0-9]' && php --ri katapult | grep -q '^thread safety => [NZ]TS$' && php --ri katapult | grep -q '^build target => '"
check "the .deb: its documented command copies the module files into WHMCS" \
  bash -c "mkdir -p '$work/whmcs-deb/modules/servers' && /usr/share/katapult-whmcs/install.sh --module-only '$work/whmcs-deb' && diff -r /usr/share/katapult-whmcs/module '$work/whmcs-deb/modules/servers/katapult'"
check "the demo runs on the .deb's extension and module files" \
  bash -c "source tests/dist/checks.sh; version=$version; demo_on_installed '$work/whmcs-deb/modules/servers/katapult'"
# A test run's own `php -d extension=` (a checkout's build) beside the installed one.
check "with the .deb installed, a test run's php -d extension= loads the checkout's build" \
  bash -c "source tests/tools/php-ini.sh; without_installed_katapult '$work/ini' && ! php -m | grep -qx katapult && php -d extension='$PWD/target/release/libkatapult.so' -r 'echo Katapult\\version();' 2>&1 | grep -qx '$version'"
check "dpkg -r: the extension is gone from every SAPI, its ini kept as a configuration file" \
  bash -c "$(declare -f loads_katapult fpm_loads_katapult); fpm=$fpm; dpkg -r '$package' && ! loads_katapult && ! ls /etc/php/$php_xy/*/conf.d/*katapult* 2>/dev/null && test -f /etc/php/$php_xy/mods-available/katapult.ini && ! ls /usr/lib/php/*/katapult.so 2>/dev/null"
check "dpkg -P: nothing of the package is left" \
  bash -c "$(declare -f nothing_named_katapult_under); dpkg -P '$package' && ! dpkg-query -W '$package' 2>/dev/null && nothing_named_katapult_under /etc/php /usr/lib/php /usr/share/katapult-whmcs /usr/share/doc /var/lib/php /var/lib/dpkg/info"
exit 0
