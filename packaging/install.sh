#!/usr/bin/env bash
# Installs katapult-whmcs from an unpacked release: the extension (katapult.so) for the PHP it was
# built for, enabled for both PHP-FPM and the CLI that runs WHMCS's cron, and the module files into
# a WHMCS installation. Run it as root from the unpacked folder:
#
#   ./install.sh /var/www/whmcs                 extension + module files
#   ./install.sh                                the extension only
#   ./install.sh --module-only /var/www/whmcs   the module files only (the .deb's way, from
#                                               /usr/share/katapult-whmcs/install.sh)
#   ./install.sh --uninstall [/var/www/whmcs]   removes what the same command installed
#
# Options: --php=PATH (the PHP to install for; default: the first PHP of the right version and
# build among php<X.Y>, php, cPanel's ea-php and CloudLinux's alt-php), --extension-dir=DIR
# (default: that PHP's extension_dir), --ini-dir=DIR (repeatable; default: phpenmod on
# Debian/Ubuntu, else the ini scan directories of that PHP's CLI and PHP-FPM).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
php=""
extension_dir=""
ini_dirs=()
module_only=0
uninstall=0
whmcs_dir=""

die() {
  echo "install.sh: $*" >&2
  exit 1
}

usage() {
  sed -n '2,16s/^# \{0,1\}//p' "$0"
  exit "${1:-0}"
}

for arg in "$@"; do
  case $arg in
    --php=*) php=${arg#*=} ;;
    --extension-dir=*) extension_dir=${arg#*=} ;;
    --ini-dir=*) ini_dirs+=("${arg#*=}") ;;
    --module-only) module_only=1 ;;
    --uninstall) uninstall=1 ;;
    -h | --help) usage 0 ;;
    -*) echo "install.sh: unknown option $arg" >&2; usage 2 ;;
    *) [[ -z $whmcs_dir ]] || die "one WHMCS directory at a time (got $whmcs_dir and $arg)"; whmcs_dir=$arg ;;
  esac
done

# --- the module files ---------------------------------------------------------------------------

# Everything shipped in module/ replaces its old copy; overrides/ is the provider's and only gains
# the files it lacks.
install_module() {
  [[ -d $whmcs_dir/modules/servers ]] \
    || die "$whmcs_dir is not a WHMCS installation (it has no modules/servers)"
  [[ -d $here/module ]] || die "no module/ folder beside install.sh (in $here)"
  local dest=$whmcs_dir/modules/servers/katapult item name
  mkdir -p "$dest/overrides"
  for item in "$here"/module/* "$here"/module/.[!.]*; do
    [[ -e $item ]] || continue
    name=$(basename "$item")
    [[ $name == overrides ]] && continue
    rm -rf "${dest:?}/$name"
    cp -R "$item" "$dest/$name"
  done
  cp -Rn "$here/module/overrides/." "$dest/overrides/"
  # The web server reads these files: give them the owner of WHMCS's own module folder.
  chown -R --reference="$whmcs_dir/modules/servers" "$dest" 2>/dev/null || true
  echo "module files: $dest (overrides/ kept)"
}

uninstall_module() {
  local dest=$whmcs_dir/modules/servers/katapult item name
  [[ -d $dest ]] || { echo "module files: none in $whmcs_dir"; return; }
  for item in "$here"/module/* "$here"/module/.[!.]*; do
    [[ -e $item ]] || continue
    name=$(basename "$item")
    [[ $name == overrides ]] || rm -rf "${dest:?}/$name"
  done
  # Of overrides/, only the files shipped unchanged go; the provider's own stay.
  (cd "$here/module/overrides" && find . -type f) | while read -r file; do
    cmp -s "$here/module/overrides/$file" "$dest/overrides/$file" && rm -f "$dest/overrides/$file"
  done
  find "$dest" -depth -type d -empty -delete
  if [[ -d $dest ]]; then
    echo "module files removed; kept your files in $dest/overrides"
  else
    echo "module files removed from $whmcs_dir"
  fi
}

if ((module_only)); then
  [[ -n $whmcs_dir ]] || die "--module-only needs the WHMCS directory, e.g. $0 --module-only /var/www/whmcs"
  if ((uninstall)); then uninstall_module; else install_module; fi
  exit 0
fi

# --- the PHP this build is for -------------------------------------------------------------------

[[ -f $here/BUILD-INFO ]] || die "no BUILD-INFO beside install.sh: run it from the unpacked release"
build() { sed -n "s/^$1=//p" "$here/BUILD-INFO"; }
# "NTS", or "NTS, debug" for a debug build of PHP.
build_modes() { if [[ $2 == yes ]]; then echo "$1, debug"; else echo "$1"; fi; }
version=$(build version)
php_xy=$(build php)
php_api=$(build php_api)
thread_safety=$(build thread_safety)
debug=$(build debug)
target=$(build target)
arch=${target%%-*}
libc=$([[ $target == *musl* ]] && echo musl || echo glibc)
needed="PHP $php_xy (PHP API $php_api, $(build_modes "$thread_safety" "$debug")) on $arch $libc"

if [[ -f $here/SHA256SUMS ]] && ((!uninstall)); then
  (cd "$here" && sha256sum --quiet --check SHA256SUMS) \
    || die "the release's files do not match SHA256SUMS: download it again"
fi

machine_arch=$(uname -m)
[[ $machine_arch == "$arch" || ($machine_arch == arm64 && $arch == aarch64) ]] \
  || die "this release is built for $arch, this machine is $machine_arch: download the $machine_arch release"
machine_libc=$(ldd --version 2>&1 | grep -qi musl && echo musl || echo glibc)
[[ $machine_libc == "$libc" ]] \
  || die "this release is built for $libc, this machine uses $machine_libc: download the $machine_libc release"
glibc_needed=$(build glibc)
if [[ $libc == glibc && -n $glibc_needed ]]; then
  glibc_here=$(getconf GNU_LIBC_VERSION | cut -d' ' -f2)
  [[ $(printf '%s\n' "$glibc_needed" "$glibc_here" | sort -V | head -1) == "$glibc_needed" ]] \
    || die "this release needs glibc $glibc_needed or later, this machine has $glibc_here: build from source on it (README: building from source)"
fi

# "8.2 20220829 NTS no" for a PHP binary.
describe_php() {
  local api
  api=$("$1" -n -i 2>/dev/null | sed -n 's/^PHP API => //p') || return 1
  "$1" -n -r 'echo PHP_MAJOR_VERSION, ".", PHP_MINOR_VERSION, " '"$api"' ", PHP_ZTS ? "ZTS" : "NTS", " ", PHP_DEBUG ? "yes" : "no";' 2>/dev/null
}

if [[ -n $php ]]; then
  candidates=("$php")
else
  xy_digits=${php_xy//./}
  cpanel_prefix=/opt/cpanel/ea-php$xy_digits/root # cPanel's EasyApache PHP lives under this prefix
  candidates=("php$php_xy" php "php$xy_digits" "$cpanel_prefix/usr/bin/php"
    "/opt/alt/php$xy_digits/usr/bin/php" "/opt/plesk/php/$php_xy/bin/php" "/usr/local/bin/php")
fi
found=()
chosen=""
for candidate in "${candidates[@]}"; do
  path=$(command -v "$candidate" 2>/dev/null) || continue
  what=$(describe_php "$path") || continue
  if [[ $what == "$php_xy $php_api $thread_safety $debug" ]]; then
    chosen=$path
    break
  fi
  read -r c_xy c_api c_ts c_debug <<<"$what"
  found+=("$path: PHP $c_xy (PHP API $c_api, $(build_modes "$c_ts" "$c_debug"))")
done
if [[ -z $chosen ]]; then
  {
    echo "install.sh: katapult-whmcs $version is built for $needed."
    if ((${#found[@]})); then
      echo "It cannot load into the PHP found here:"
      printf '  %s\n' "${found[@]}"
    else
      echo "No PHP was found (${candidates[*]})."
    fi
    echo "Download the release built for your PHP, or build it from source (README: building for another PHP)."
    [[ -n $php ]] || echo "If PHP $php_xy is installed elsewhere, name it: $0 --php=/path/to/php$php_xy ..."
  } >&2
  exit 1
fi
php=$chosen

# --- the extension -------------------------------------------------------------------------------

php_extension_dir=$("$php" -n -r 'echo ini_get("extension_dir");')
extension_dir=${extension_dir:-$php_extension_dir}
# PHP finds katapult by name in its own extension_dir; anywhere else the ini names the file.
if [[ $extension_dir -ef $php_extension_dir ]]; then ini_line="extension=katapult"; else ini_line="extension=$extension_dir/katapult.so"; fi

debian_mods=/etc/php/$php_xy/mods-available
use_phpenmod=0
if ((${#ini_dirs[@]} == 0)) && [[ -d $debian_mods && $php == /usr/bin/php* ]] && command -v phpenmod >/dev/null; then
  use_phpenmod=1
  if command -v dpkg >/dev/null && dpkg -S "$debian_mods/katapult.ini" >/dev/null 2>&1; then
    die "the katapult Debian package is installed for PHP $php_xy: upgrade or remove it with apt, not with this script"
  fi
fi

# The ini scan directories of this PHP's CLI and of its PHP-FPM (often another one).
if ((${#ini_dirs[@]} == 0 && !use_phpenmod)); then
  cli_dir=$("$php" --ini 2>/dev/null | sed -n 's/^Scan for additional .ini files in: //p')
  [[ -d $cli_dir ]] && ini_dirs+=("$cli_dir")
  php_root=$(dirname "$(dirname "$php")")
  for fpm in "$php_root/sbin/php-fpm" "$php_root/usr/sbin/php-fpm" "/usr/sbin/php-fpm$php_xy" "$(dirname "$php")/php-fpm"; do
    [[ -x $fpm ]] || continue
    fpm_dir=$("$fpm" -i 2>/dev/null | sed -n 's/^Scan this dir for additional .ini files => //p')
    [[ -d $fpm_dir && ! $fpm_dir -ef ${cli_dir:-/nonexistent} ]] && ini_dirs+=("$fpm_dir")
    break
  done
fi

if ((uninstall)); then
  if ((use_phpenmod)); then
    phpdismod -v "$php_xy" -s ALL katapult 2>/dev/null || true
    rm -f "$debian_mods/katapult.ini"
    # phpdismod records the module as disabled by the admin: a later .deb would then stay off.
    rm -f /var/lib/php/modules/"$php_xy"/*/*/katapult
  fi
  for dir in "${ini_dirs[@]}"; do rm -f "$dir/50-katapult.ini"; done
  rm -f "$extension_dir/katapult.so"
  echo "extension removed from $extension_dir (restart PHP-FPM)"
  [[ -z $whmcs_dir ]] || uninstall_module
  exit 0
fi

# The new file is tried in this PHP before it replaces the old one, and replaces it by rename: a
# PHP-FPM worker still running the old one keeps its mapping intact.
mkdir -p "$extension_dir"
staged="$extension_dir/.katapult.so.new.$$"
trap 'rm -f "$staged"' EXIT
install -m 0644 "$here/katapult.so" "$staged"
"$php" -n -d "extension=$staged" -r 'exit(extension_loaded("katapult") ? 0 : 1);' \
  || die "$php cannot load katapult.so (see the message above); nothing was changed"
mv -f "$staged" "$extension_dir/katapult.so"
echo "extension: $extension_dir/katapult.so (katapult $version for $needed, $php)"

if ((use_phpenmod)); then
  printf '; katapult-whmcs %s\n; priority=20\n%s\n' "$version" "$ini_line" > "$debian_mods/katapult.ini"
  phpenmod -v "$php_xy" -s ALL katapult
  echo "enabled: $debian_mods/katapult.ini, for every SAPI of PHP $php_xy (phpenmod)"
elif ((${#ini_dirs[@]})); then
  for dir in "${ini_dirs[@]}"; do
    mkdir -p "$dir"
    printf '; katapult-whmcs %s\n%s\n' "$version" "$ini_line" > "$dir/50-katapult.ini"
    echo "enabled: $dir/50-katapult.ini"
  done
else
  echo "enable it: add the line $ini_line to the php.ini of PHP-FPM and of the CLI ($("$php" --ini | sed -n 's/^Loaded Configuration File: *//p'))"
fi

[[ -z $whmcs_dir ]] || install_module
echo "done: restart PHP-FPM (e.g. systemctl restart php$php_xy-fpm, or your panel's PHP-FPM), then check: $php --ri katapult"
