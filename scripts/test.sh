#!/usr/bin/env bash
# Runs every test target of Stevedore: sets up what is missing (scripts/setup.sh: packages,
# dockerd, local images), builds, runs `swift test`. Exits non-zero on any failure.
#
#   scripts/test.sh                 all tests
#   scripts/test.sh --filter NAME   only tests matching NAME (passed to `swift test`; skips the
#                                   systemd end-to-end test)
#
# After `swift test`, scripts/test-systemd.sh runs the daemon under a real systemd (PID 1 in a
# container built by scripts/build-systemd-image.sh, cached as a local image), with the shipped
# hardened unit, on a Raspberry Pi Zero 2 W's budget (`--cpus 0.5 --memory 512m`; about 3 min).
#
# The `*FuzzTests` suites run among the unit tests with their CI budget (20,000 inputs per
# test, fewer for the slow YAML and stream ones: FuzzRun.iterations(ci:)); scripts/fuzz.sh
# runs them at length. A full run ignores an inherited STEVEDORE_FUZZ_ITERATIONS; with
# `--filter` it is kept, to replay a failure (STEVEDORE_SEED=… STEVEDORE_FUZZ_ITERATIONS=…).
set -euo pipefail
cd "$(dirname "$0")/.."

start=$(date +%s)
bash scripts/setup.sh

# Formatting is part of the suite: the repository's .swift-format, checked strictly (fix with
# `swift format -i -r -p Sources Tests Benchmarks Package.swift`).
echo "[test] swift format lint --strict" >&2
swift format lint --strict -r -p Sources Tests Benchmarks Package.swift

echo "[test] building (debug, with tests)" >&2
swift build --build-tests
STEVEDORE_BIN="$(swift build --show-bin-path)/stevedore"
export STEVEDORE_BIN

if [ $# -eq 0 ]; then
  unset STEVEDORE_FUZZ_ITERATIONS
  # Two runs: the end-to-end suites block test threads while they wait for the CLI, git and
  # Compose (synchronous child processes), which on a 2-core machine can starve the other
  # suites' async timeouts (e.g. a 60 s ProcessRunner timeout firing spuriously).
  echo "[test] unit and integration tests" >&2
  swift test --skip-build --skip '^EndToEndTests\.'
  echo "[test] end-to-end tests" >&2
  swift test --skip-build --filter '^EndToEndTests\.' --skip '^EndToEndTests\.EngineRestartTests'
  # Alone: restarting a second dockerd can delete the host's docker0 for a moment (the drill
  # puts it back), which would fail another suite's build step running at the same time.
  echo "[test] engine-restart drills (a private dockerd, killed and restarted)" >&2
  swift test --skip-build --filter '^EndToEndTests\.EngineRestartTests'
  echo "[test] systemd end-to-end test (scripts/test-systemd.sh)" >&2
  bash scripts/test-systemd.sh
else
  echo "[test] running tests" >&2
  swift test --skip-build "$@"
fi
echo "[test] done in $(( $(date +%s) - start )) s" >&2
