#!/usr/bin/env bash
# Makes docs/report-example.png: a real daemon on reacher2 with the experiment's dynamics shift
# (damping x3, gear x0.6) runs TASKS tasks (default 50) submitted with ttactl; `ttactl report`
# writes the HTML page and headless Chromium screenshots it. Needs `chromium` (Debian package).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v chromium >/dev/null || { echo "report-example: needs chromium (apt-get install chromium)" >&2; exit 1; }
swift build -c release --product ttad
swift build -c release --product ttactl
BIN=.build/release
WORK=$(mktemp -d /tmp/ttad-report.XXXXXX)
source scripts/local-daemon.sh
start_local_ttad "$WORK"
for i in $(seq 1 "${TASKS:-50}"); do
  "$BIN/ttactl" submit --task reach --dynamics damping_scale=3 --dynamics gear_scale=0.6 --attempts 8 --seed "$((9000 + i))" >/dev/null
done
"$BIN/ttactl" report --output "$WORK/report.html"
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1000,1500 \
  --screenshot="$PWD/docs/report-example.png" "file://$WORK/report.html" 2>/dev/null
echo "wrote docs/report-example.png (page: $WORK/report.html)"
