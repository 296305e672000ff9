#!/usr/bin/env bash
# Builds php<X.Y>-katapult_<version>-1_<arch>.deb (dpkg-deb) from a release's staged folder:
#   <extension dir>/katapult.so
#   /etc/php/<X.Y>/mods-available/katapult.ini   a configuration file, enabled by postinst
#   /usr/share/katapult-whmcs/module/            the WHMCS module files
#   /usr/share/katapult-whmcs/install.sh         --module-only copies them into a WHMCS directory
#   /usr/share/doc/php<X.Y>-katapult/            copyright, third-party notices
# Usage (from packaging/dist.sh): deb.sh STAGE_DIR OUT_DIR EXTENSION_DIR
set -euo pipefail

stage=$1
out=$2
extension_dir=$3
templates=$(cd "$(dirname "$0")/debian" && pwd)
build() { sed -n "s/^$1=//p" "$stage/BUILD-INFO"; }
version=$(build version)
php_xy=$(build php)
package=php$php_xy-katapult
target=$(build target)
case ${target%%-*} in
  x86_64) deb_arch=amd64 ;;
  aarch64) deb_arch=arm64 ;;
  *) echo "deb: no Debian architecture for $target" >&2; exit 1 ;;
esac

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
install -D -m 0644 "$stage/katapult.so" "$root$extension_dir/katapult.so"
install -D -m 0644 "$templates/katapult.ini" "$root/etc/php/$php_xy/mods-available/katapult.ini"
mkdir -p "$root/usr/share/katapult-whmcs"
cp -R "$stage/module" "$root/usr/share/katapult-whmcs/module"
install -m 0755 "$stage/install.sh" "$root/usr/share/katapult-whmcs/install.sh"
doc=$root/usr/share/doc/$package
mkdir -p "$doc"
{
  echo "katapult-whmcs (native) $version, https://katapult.io"
  echo "The crates compiled into katapult.so and their licences: THIRD-PARTY-NOTICES.gz"
  echo
  cat "$stage/LICENSE"
} > "$doc/copyright"
gzip -9n < "$stage/THIRD-PARTY-NOTICES" > "$doc/THIRD-PARTY-NOTICES.gz"
find "$root" -type d -exec chmod 0755 {} +
find "$root" -type f ! -path '*/install.sh' -exec chmod 0644 {} +

mkdir -p "$root/DEBIAN"
fill() {
  sed -e "s|@PHP@|$php_xy|g" -e "s|@VERSION@|$version|g" -e "s|@ARCH@|$deb_arch|g" \
    -e "s|@PHP_API@|$(build php_api)|g" -e "s|@LIBC@|libc6 (>= $(build glibc))|g" \
    -e "s|@SIZE@|$(du -sk --exclude=DEBIAN "$root" | cut -f1)|g" "$templates/$1"
}
fill control > "$root/DEBIAN/control"
fill triggers > "$root/DEBIAN/triggers"
for script in postinst postrm; do
  fill "$script" > "$root/DEBIAN/$script"
  chmod 0755 "$root/DEBIAN/$script"
done
echo "/etc/php/$php_xy/mods-available/katapult.ini" > "$root/DEBIAN/conffiles"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) > "$root/DEBIAN/md5sums"

deb=$out/${package}_$version-1_$deb_arch.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" > /dev/null
echo "dist: $deb"
