#!/usr/bin/env bash
# Everything: set-up, build, every test (unit, real sockets, real daemon, real systemd).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build --build-tests
swift test 2>&1 | tee .build/swift-test.log
if [ -f scripts/systemd-test.sh ]; then bash scripts/systemd-test.sh; fi
