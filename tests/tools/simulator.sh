# Sourced by the demo and the browser test: starts the Katapult API simulator on a free loopback
# port over HTTPS with its own CA (written to $1/ca.pem), builds at speed $2. Sets sim_pid and
# api_url; returns 1 (with the simulator's stderr in $1/sim.err) when it did not start.
start_simulator() {
  local work=$1 speed=$2
  "${KATAPULT_SIM:-target/release/katapult-sim}" --listen 127.0.0.1:0 --tls --ca-out "$work/ca.pem" \
    --build-speed "$speed" > "$work/sim.out" 2> "$work/sim.err" &
  sim_pid=$!
  for _ in $(seq 1 100); do
    grep -q "listening on" "$work/sim.out" 2>/dev/null && break
    sleep 0.1
  done
  api_url=$(sed -n 's/.*listening on \(\S*\).*/\1/p' "$work/sim.out")
  [[ -n $api_url ]]
}
