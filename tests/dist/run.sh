#!/usr/bin/env bash
# The release as a provider gets it: `make dist`'s artefacts made from the built extension, checked,
# installed and run, then removed without leftovers.
#  1. the artefacts: the tarball's name for this PHP, PIE's name for this PHP (its
#     PrePackagedBinaryAssetName convention) and composer.json, contents, SHA-256 sums;
#  2. install.sh refuses a PHP it was not built for, and a damaged download;
#  3. the tarball into a temporary WHMCS tree, the extension in a private directory enabled through
#     private ini directories for the CLI and PHP-FPM; the demo on it; --uninstall;
#  4. install.sh's defaults (phpenmod) and the .deb with dpkg -i, the demo on the installed
#     extension, dpkg -r and -P, and nothing left.
# Parts 2-4 are system.sh, run in a private mount namespace whose /etc/php, /usr, /var/lib and
# /var/log are overlays, so that no install (not even a broken install.sh's) reaches the machine's
# other PHP users; where namespaces are not allowed (an unprivileged container), on the machine
# itself, purged at the end.
# Prints "dist: N passed, N failed". Needs the release build (make build) and root.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/dist/checks.sh

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "== make dist"
if ! packaging/dist.sh; then
  echo "dist: 0 passed, 1 failed"
  exit 1
fi
dist=$PWD/target/dist
version=$(php -n -d "extension=$PWD/target/release/libkatapult.so" -r 'echo Katapult\version();')

# --- 1. the artefacts ---------------------------------------------------------------------------
php_xy=$(php -r 'echo PHP_MAJOR_VERSION, ".", PHP_MINOR_VERSION;')
ts=$(php -r 'echo PHP_ZTS ? "zts" : "nts";')
libc=$(ldd --version 2>&1 | grep -qi musl && echo musl || echo glibc)
name=katapult-whmcs-$version-php$php_xy-$ts-$(uname -m)-$libc
tarball=$dist/$name.tar.gz
check "the tarball is named for this PHP: $name.tar.gz" test -f "$tarball"
check "SHA256SUMS covers every artefact" bash -c "cd '$dist' && sha256sum --check --strict SHA256SUMS && [[ \$(wc -l < SHA256SUMS) == 3 ]]"

# PIE's own convention, from this PHP's facts as PIE reads them; the name make dist gave must be
# one PIE looks for.
pie_names=$(php -r '
  $arch = ["x86_64" => ["x86_64", "x64"], "aarch64" => ["arm64", "aarch64"]][php_uname("m")] ?? [php_uname("m")];
  $libc = str_contains((string) shell_exec("ldd --version 2>&1"), "musl") ? "musl" : "glibc";
  foreach ($arch as $a) {
    foreach (PHP_ZTS ? ["-zts"] : ["", "-nts"] as $ts) {
      foreach (["zip", "tgz"] as $ext) {
        echo strtolower(sprintf("php_%s-%s_php%s-%s-%s-%s%s%s.%s", "katapult", $argv[1], PHP_MAJOR_VERSION . "." . PHP_MINOR_VERSION,
          $a, PHP_OS_FAMILY, $libc, PHP_DEBUG ? "-debug" : "", $ts, $ext)), "\n";
      }
    }
  }' "$version")
pie_asset=$(cd "$dist" && ls php_katapult-*)
check "the PIE asset $pie_asset is a name PIE looks up for this PHP" grep -qxF "$pie_asset" <<<"$pie_names"
check "the PIE asset holds katapult.so at its root, with the licences" \
  bash -c "[[ \$(tar tzf '$dist/$pie_asset' | sort | tr '\n' ' ') == 'LICENSE THIRD-PARTY-NOTICES katapult.so ' ]]"
check "composer.json: a php-ext named katapult, offering pre-packaged binaries" php -r '
  $c = json_decode(file_get_contents("composer.json"), true, flags: JSON_THROW_ON_ERROR);
  exit($c["type"] === "php-ext" && $c["php-ext"]["extension-name"] === "katapult"
    && in_array("pre-packaged-binary", (array) $c["php-ext"]["download-url-method"], true) ? 0 : 1);'

tar xzf "$tarball" -C "$work"
release=$work/$name
check "the tarball holds katapult.so, install.sh, module/, LICENSE, THIRD-PARTY-NOTICES, BUILD-INFO, SHA256SUMS" \
  bash -c "cd '$release' && test -f katapult.so -a -x install.sh -a -f module/katapult.php -a -f LICENSE -a -f THIRD-PARTY-NOTICES -a -f BUILD-INFO && sha256sum --quiet --check SHA256SUMS"
check "the module folder is real files: views, assets and overrides copied, no links" \
  bash -c "[[ -z \$(find '$release' -type l) ]] && test -f '$release/module/views/client/virtual_machines/overview.hbs' -a -f '$release/module/assets/js/client.js'"
check "the third-party notices name the crates linked in, with their licence texts" \
  bash -c "grep -q '^ext-php-rs ' '$release/THIRD-PARTY-NOTICES' && grep -q '^reqwest ' '$release/THIRD-PARTY-NOTICES' && grep -q 'Apache License' '$release/THIRD-PARTY-NOTICES'"

# --- 2-4. every install, in a private mount namespace where there is one -------------------------
deb=$(ls "$dist"/*.deb 2>/dev/null | head -1)
if [[ -z $deb ]]; then
  echo "not ok - no .deb was made"
  failed=$((failed + 1))
else
  mkdir -p "$work/overlay"
  if unshare --mount --propagation private true 2>/dev/null; then
    runner=(unshare --mount --propagation private tests/dist/system.sh --overlay="$work/overlay")
  else
    echo "(no private mount namespace here: installing on the machine itself, purged at the end)"
    runner=(tests/dist/system.sh)
  fi
  while IFS= read -r line; do
    echo "$line"
    case $line in
      "ok - "*) passed=$((passed + 1)) ;;
      "not ok - "*) failed=$((failed + 1)) ;;
      "system.sh exit 0") ;;
      "system.sh exit "*) failed=$((failed + 1)) ;;
    esac
  done < <("${runner[@]}" "$release" "$deb" "$work/system" "$version" 2>&1; echo "system.sh exit $?")
fi

echo "dist: $passed passed, $failed failed"
((failed == 0))
