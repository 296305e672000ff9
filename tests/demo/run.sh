#!/usr/bin/env bash
# `make demo`: the module's main job on the embedded default. Starts the Katapult API simulator
# (HTTPS, its own CA) on loopback, and runs an order through the module inside the WHMCS stand-in
# on SQLite: product setup, CreateAccount, the cron until the VM is built, the service as WHMCS
# sees it.
set -euo pipefail
cd "$(dirname "$0")/../.."

EXT="$PWD/target/release/libkatapult.so"
SIM="$PWD/target/release/katapult-sim"
work=$(mktemp -d)
trap 'kill "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; rm -rf "$work"' EXIT

"$SIM" --listen 127.0.0.1:0 --tls --ca-out "$work/ca.pem" --build-speed "${KATAPULT_DEMO_SPEED:-fast}" > "$work/sim.out" 2> "$work/sim.err" &
sim_pid=$!
for _ in $(seq 1 100); do
  grep -q "listening on" "$work/sim.out" 2>/dev/null && break
  sleep 0.1
done
api_url=$(sed -n 's/.*listening on \(\S*\).*/\1/p' "$work/sim.out")
[[ -n $api_url ]] || { echo "the simulator did not start:"; cat "$work/sim.err"; exit 1; }
echo "Katapult API simulator: $api_url (HTTPS, CA in katapult.ca_file)"

KATAPULT_API_URL="$api_url" WHMCS_DB_DSN="sqlite:$work/whmcs.sqlite" WHMCS_ROOTDIR="$work/whmcs" \
  php -d extension="$EXT" -d katapult.ca_file="$work/ca.pem" tests/demo/provision.php
