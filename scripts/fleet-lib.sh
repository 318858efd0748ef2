# Shared by the scripts that run the whole fleet: source it, then `fleet_start PORT DATA LOG`
# starts `npm start` in its own process group (pid in $fleet_pid) and waits until it is
# ready, printing its log and failing if it exits or is not ready within 120 s.

fleet_start() {
  local port=$1 data=$2 log=$3
  PORT=$port ALTO_REDIS_DIR="$data" setsid npm start >"$log" 2>&1 &
  fleet_pid=$!
  for _ in $(seq 1 240); do
    grep -q 'Alto is ready' "$log" && return 0
    if ! kill -0 "$fleet_pid" 2>/dev/null; then cat "$log"; echo "npm start exited early"; return 1; fi
    sleep 0.5
  done
  cat "$log"
  echo "npm start was not ready in 120 s"
  return 1
}
