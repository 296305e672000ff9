#!/usr/bin/env bash
# `make dist`: the release artefacts of the built extension, in target/dist/, for the PHP that
# PHP_CONFIG names (default php-config, the one the extension was built against):
#   katapult-whmcs-<version>-php<X.Y>-<nts|zts>-<arch>-<libc>.tar.gz
#       katapult.so, module/ (real files), install.sh, BUILD-INFO, LICENSE, THIRD-PARTY-NOTICES,
#       SHA256SUMS
#   php_katapult-<version>_php<X.Y>-<arch>-linux-<libc>[-debug]-<nts|zts>.tgz
#       the asset PIE downloads for composer.json's pre-packaged-binary: katapult.so, LICENSE,
#       THIRD-PARTY-NOTICES
#   php<X.Y>-katapult_<version>-1_<arch>.deb
#       on Debian-like systems with that PHP's /etc/php/<X.Y> (packaging/deb.sh)
#   SHA256SUMS of the three
set -euo pipefail
cd "$(dirname "$0")/.."

PHP_CONFIG=${PHP_CONFIG:-php-config}
ext=$PWD/target/release/libkatapult.so
out=$PWD/target/dist
[[ -f $ext ]] || { echo "dist: no $ext: run make build first" >&2; exit 1; }

# What the extension is, asked of the extension itself in the PHP it was built for.
php_binary=$("$PHP_CONFIG" --php-binary)
info=$("$php_binary" -n -d "extension=$ext" --ri katapult) \
  || { echo "dist: $php_binary cannot load $ext: was it built with PHP_CONFIG=$PHP_CONFIG?" >&2; exit 1; }
row() { sed -n "s/^$1 => //p" <<<"$info"; }
version=$(row version)
php_api=$(row "built for PHP API")
php_xy=$(row "built against PHP" | cut -d. -f1,2)
thread_safety=$(row "thread safety")
debug=$(row "PHP debug build")
target=$(row "build target")
arch=${target%%-*}
case $target in
  *-linux-musl*) libc=musl ;;
  *-linux-gnu*) libc=glibc ;;
  *) echo "dist: a release is made for Linux (glibc or musl), not for $target" >&2; exit 1 ;;
esac
ts=$(tr '[:upper:]' '[:lower:]' <<<"$thread_safety")

module_version=$(sed -n "s/^const KATAPULT_MODULE_VERSION = '\(.*\)';$/\1/p" module/katapult.php)
[[ $module_version == "$version" ]] || {
  echo "dist: module/katapult.php says $module_version, the extension $version: release both as one version" >&2
  exit 1
}

name=katapult-whmcs-$version-php$php_xy-$ts-$arch-$libc
# PIE's names (its PrePackagedBinaryAssetName): arm64 for 64-bit ARM, the OS family in lower case.
pie_arch=$([[ $arch == aarch64 ]] && echo arm64 || echo "$arch")
debug_suffix=""
[[ $debug == yes ]] && debug_suffix=-debug
pie_name=php_katapult-${version}_php$php_xy-$pie_arch-linux-$libc$debug_suffix-$ts.tgz

# The newest glibc symbol version the extension uses: the oldest glibc it loads with.
glibc=""
[[ $libc == musl ]] || glibc=$(objdump -T "$ext" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1)

rm -rf "$out"
stage=$out/stage/$name
mkdir -p "$stage"
install -m 0644 "$ext" "$stage/katapult.so"
# module/ links views, assets and overrides from the top level: the release holds real files.
cp -RL module "$stage/module"
install -m 0755 packaging/install.sh "$stage/install.sh"
cp LICENSE "$stage/LICENSE"
php packaging/third-party-notices.php > "$stage/THIRD-PARTY-NOTICES"
{
  echo "version=$version"
  echo "git_revision=$(row "git revision")"
  echo "php=$php_xy"
  echo "php_api=$php_api"
  echo "thread_safety=$thread_safety"
  echo "debug=$debug"
  echo "target=$target"
  echo "glibc=$glibc"
} > "$stage/BUILD-INFO"
packaging/sums.sh "$stage"

# Same input, same archive: names sorted, owner root, times the commit's.
epoch=$(git log -1 --format=%ct 2>/dev/null || date +%s)
pack() {
  local archive=$1 dir=$2
  shift 2
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" -C "$dir" -cf - "$@" \
    | gzip -9n > "$archive"
}
pack "$out/$name.tar.gz" "$out/stage" "$name"
pack "$out/$pie_name" "$stage" katapult.so LICENSE THIRD-PARTY-NOTICES
echo "dist: $out/$name.tar.gz"
echo "dist: $out/$pie_name"

if [[ -d /etc/php/$php_xy ]] && command -v dpkg-deb >/dev/null; then
  packaging/deb.sh "$stage" "$out" "$("$PHP_CONFIG" --extension-dir)"
else
  echo "dist: no .deb (this is not a Debian-like system with PHP $php_xy in /etc/php/$php_xy)"
fi
rm -rf "$out/stage"
(cd "$out" && sha256sum -- * > SHA256SUMS)
echo "dist: $out/SHA256SUMS"
