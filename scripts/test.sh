#!/usr/bin/env bash
# Everything: set-up, build, every test (unit, real sockets, real daemon, real systemd, the Python
# package against the real daemon). Every suite runs even when an earlier one fails; the closing
# line counts what each runner itself reported, and the exit status is non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
swift build --build-tests || exit 1
mkdir -p .build
status=0

swift test 2>&1 | tee .build/swift-test.log || status=1
bash scripts/systemd-test.sh 2>&1 | tee .build/systemd-test.log || status=1
if [ -d python/tests ]; then
  # The Python suite drives the ttad just built (python/README.md).
  TTAD_BINARY="$PWD/.build/debug/ttad" python3 -m pytest python/tests -q -p no:cacheprovider 2>&1 \
    | tee .build/pytest.log || status=1
fi

# Swift Testing: "Test run with N tests in M suites passed|failed ..."; each failing test prints
# one "✘ Test ... failed" line. XCTest is not used here.
swift_total=$(sed -n 's/.*Test run with \([0-9]*\) tests\{0,1\} .*/\1/p' .build/swift-test.log | tail -1)
swift_failed=$(grep '✘ Test .* failed' .build/swift-test.log | grep -vc '✘ Test run')
if [ -z "$swift_total" ]; then swift_total=0; swift_failed=$((swift_failed + 1)); status=1; fi  # the runner never finished
systemd_passed=$(sed -n 's/^systemd-test: \([0-9]*\) passed, \([0-9]*\) failed.*/\1/p' .build/systemd-test.log | tail -1)
systemd_failed=$(sed -n 's/^systemd-test: \([0-9]*\) passed, \([0-9]*\) failed.*/\2/p' .build/systemd-test.log | tail -1)
[ -n "$systemd_passed" ] || { systemd_passed=0; systemd_failed=1; status=1; }
py_passed=0; py_failed=0
if [ -f .build/pytest.log ] && [ -d python/tests ]; then
  summary=$(grep -E '^[0-9]+ (passed|failed|skipped|error)|^=* ?[0-9]+ (passed|failed)' .build/pytest.log | tail -1)
  py_passed=$(echo "$summary" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' || true)
  py_failed=$(( $(echo "$summary" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+' || echo 0) \
              + $(echo "$summary" | grep -oE '[0-9]+ errors?' | grep -oE '[0-9]+' || echo 0) ))
  [ -n "$summary" ] || { py_failed=1; status=1; }
  py_passed=${py_passed:-0}
fi

passed=$(( swift_total - swift_failed + systemd_passed + py_passed ))
failed=$(( swift_failed + systemd_failed + py_failed ))
echo "swift: $((swift_total - swift_failed)) passed, $swift_failed failed; systemd: $systemd_passed passed, $systemd_failed failed; python: $py_passed passed, $py_failed failed"
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ] || status=1
exit $status
