# Sourced by scripts/demo.sh and scripts/report-example.sh (run from the repo root, after a
# release build of ttad and ttactl).
#
# start_local_ttad DIR: starts .build/release/ttad on this repo's robot-configs (default robot
# reacher2) with its sockets, state and log in DIR; exports TTAD_ENDPOINT and TTAD_EVENTS for
# ttactl; waits (at most 10 s) until it answers ping; sets TTAD_PID and stops the daemon with
# SIGTERM when the calling script exits.
start_local_ttad() {
  local dir=$1
  cat > "$dir/ttad.yaml" <<YAML
request_endpoint: ipc://$dir/ttad.sock
event_endpoint: ipc://$dir/events.sock
state_directory: $dir/state
robot_config_directory: $PWD/robot-configs
default_robot: reacher2
YAML
  export TTAD_ENDPOINT="ipc://$dir/ttad.sock" TTAD_EVENTS="ipc://$dir/events.sock"
  .build/release/ttad --config "$dir/ttad.yaml" 2>"$dir/ttad.log" &
  TTAD_PID=$!
  trap 'kill -TERM $TTAD_PID 2>/dev/null; wait $TTAD_PID 2>/dev/null || true' EXIT
  for _ in $(seq 1 100); do .build/release/ttactl ping --timeout 0.2 >/dev/null 2>&1 && break; sleep 0.1; done
}
