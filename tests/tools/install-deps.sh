#!/usr/bin/env bash
# Installs the Debian 12 packages the build and the tests need (only the missing ones), and checks
# for the Rust toolchain. Run as root; idempotent, so `make` runs it on every build for newcomers.
set -euo pipefail

packages=(
  php-cli php-dev            # PHP 8.2 and php-config for ext-php-rs
  clang libclang-dev         # bindgen (ext-php-rs's build) needs libclang
  php-mbstring php-xml phpunit
  php-sqlite3 php-mysql php-illuminate-database mariadb-server   # the WHMCS stand-in and its databases
  galera-4 rsync iproute2    # the Galera cluster of tests/cluster (a rejoining node's state transfer uses rsync and ss)
  gcc make git ca-certificates
  php-curl                   # the stand-in's web-front tests (HTTP client)
  chromium curl              # the browser test (tests/browser): headless Chromium, readiness checks
)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
# The browser test runs playwright-core on Node.js (>= 20) with npm; most machines have them
# (/usr/bin or /usr/local/bin): Debian's packages only when they are missing.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "katapult: missing Debian packages: ${missing[*]}" >&2
    echo "install them as root: apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "katapult: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "katapult: the Rust toolchain (cargo 1.85 or later) is missing; install it with rustup (https://rustup.rs)" >&2
  exit 1
fi
