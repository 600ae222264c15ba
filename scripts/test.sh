#!/usr/bin/env bash
# Runs every test target of Stevedore: sets up what is missing (scripts/setup.sh: packages,
# dockerd, local images), builds, runs `swift test`. Exits non-zero on any failure.
#
#   scripts/test.sh                 all tests
#   scripts/test.sh --filter NAME   only tests matching NAME (passed to `swift test`; skips the
#                                   systemd end-to-end test)
#
# After `swift test`, scripts/test-systemd.sh runs the daemon under a real systemd (PID 1 in a
# container built by scripts/build-systemd-image.sh, cached as a local image).
set -euo pipefail
cd "$(dirname "$0")/.."

start=$(date +%s)
bash scripts/setup.sh

echo "[test] building (debug, with tests)" >&2
swift build --build-tests
STEVEDORE_BIN="$(swift build --show-bin-path)/stevedore"
export STEVEDORE_BIN

echo "[test] running tests" >&2
swift test --skip-build "$@"
if [ $# -eq 0 ]; then
  echo "[test] systemd end-to-end test (scripts/test-systemd.sh)" >&2
  bash scripts/test-systemd.sh
fi
echo "[test] done in $(( $(date +%s) - start )) s" >&2
