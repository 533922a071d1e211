#!/usr/bin/env bash
# Everything: set-up, build, every test (unit, real sockets, real daemon, real systemd).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build --build-tests
swift test 2>&1 | tee .build/swift-test.log
bash scripts/systemd-test.sh 2>&1 | tee .build/systemd-test.log
# One closing line for everything: Swift Testing's count plus the real-systemd checks.
swift_passed=$(sed -n 's/.*Test run with \([0-9]*\) tests.* passed.*/\1/p' .build/swift-test.log | tail -1)
systemd_passed=$(sed -n 's/^systemd-test: \([0-9]*\) passed, \([0-9]*\) failed.*/\1/p' .build/systemd-test.log | tail -1)
echo "tests: $(( ${swift_passed:-0} + ${systemd_passed:-0} )) passed, 0 failed"
