#!/usr/bin/env bash
# The main job, end to end: set up, build, start ttad on the default simulated robot (a 2-link
# reacher whose joints are 3x more damped than its policy was trained for), submit a series of
# tasks with ttactl, and show each attempt, its temperature and reward, the updates, and the
# history. TASKS=N sets how many tasks (default 20).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "== building (release)"
swift build -c release --product ttad
swift build -c release --product ttactl
BIN=.build/release
DEMO=$(mktemp -d /tmp/ttad-demo.XXXXXX)
source scripts/local-daemon.sh
echo "== starting ttad (log: $DEMO/ttad.log)"
start_local_ttad "$DEMO"
"$BIN/ttactl" ping
"$BIN/ttactl" status
for i in $(seq 1 "${TASKS:-20}"); do
  echo
  echo "== task $i of ${TASKS:-20}"
  "$BIN/ttactl" submit --task reach --dynamics damping_scale=3 --attempts 8 --seed "$i" || true
done
echo
echo "== history"
"$BIN/ttactl" history --limit "${TASKS:-20}"
echo
echo "== checkpoints"
"$BIN/ttactl" checkpoints
echo
"$BIN/ttactl" status
echo "== stopping ttad (SIGTERM)"
kill -TERM $TTAD_PID; wait $TTAD_PID && echo "ttad exited cleanly"
trap - EXIT
