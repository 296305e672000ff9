#!/usr/bin/env bash
# Writes DIR/SHA256SUMS: the SHA-256 of every file under DIR, by relative path, in byte order
# (install.sh checks them before installing anything).
set -euo pipefail
cd "$1"
find . -type f ! -name SHA256SUMS | LC_ALL=C sort | sed 's|^\./||' | xargs sha256sum > SHA256SUMS
